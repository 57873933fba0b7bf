"""Client behaviour against a scripted fake server on a socketpair.

The live tests check the client with the real server; these pin down the client's own rules deterministically,
including situations the real server rarely produces on demand: responses out of order, a server that never answers,
a dropped connection, go_away with calls in flight, the announced limits.
"""

from __future__ import annotations

import gc
import pickle
import queue
import socket
import threading
import time
from typing import Callable, Generic, Iterator, List, Optional, TypeVar

import pytest

from aigw.v1 import admin_pb2, debug_pb2, frame_pb2
from aigw.v1.frame_pb2 import (
    ErrorDetail,
    Frame,
    GoAway,
    HelloAck,
    Ping,
    Pong,
    Response,
    Status,
    StreamItem,
)
from aigw_client import Client, FrameReader, RPCError, encode_frame

T = TypeVar("T")


class FakeServer:
    """The server end of a socketpair; the test reads what the client sent and scripts the answers."""

    def __init__(self) -> None:
        self.client_sock, self.sock = socket.socketpair()
        self._frames: "queue.Queue[Optional[Frame]]" = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        reader = FrameReader()
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for frame in reader.feed(data):
                    self._frames.put(frame)
        except OSError:
            pass
        self._frames.put(None)

    def send(self, frame: Frame) -> None:
        self.sock.sendall(encode_frame(frame))

    def expect(self, kind: str, timeout: float = 2.0) -> Frame:
        """The next frame the client sent, which must be of ``kind``."""
        frame = self._frames.get(timeout=timeout)
        assert frame is not None, f"connection closed while expecting {kind}"
        assert frame.WhichOneof("kind") == kind, f"expected {kind}, got {frame}"
        return frame

    def expect_nothing(self, wait: float = 0.2) -> None:
        with pytest.raises(queue.Empty):
            frame = self._frames.get(timeout=wait)
            pytest.fail(f"unexpected frame from the client: {frame}")

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Background(Generic[T]):
    """Run ``fn`` in a thread; ``result()`` returns its value or re-raises its exception."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._value: Optional[T] = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], T]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            self._error = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, timeout: float = 2.0) -> T:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "background call did not finish"
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def ack(max_frame_bytes: int = 4 * 1024 * 1024, max_concurrent_calls: int = 1024) -> Frame:
    return Frame(
        hello_ack=HelloAck(
            version=1,
            server_version="fake-1.0",
            max_frame_bytes=max_frame_bytes,
            max_concurrent_calls=max_concurrent_calls,
        )
    )


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def connect(fake: FakeServer, hello_ack: Optional[Frame] = None, **kwargs: object) -> Client:
    # The answer can be written before the client connects: it is buffered in the socketpair.
    fake.send(hello_ack or ack())
    client = Client(fake.client_sock, **kwargs)  # type: ignore[arg-type]
    fake.expect("hello")
    return client


def echo(client: Client, payload: bytes, **kwargs: object) -> bytes:
    response = client.call("Debug", "Echo", debug_pb2.EchoRequest(payload=payload), **kwargs)  # type: ignore[arg-type]
    assert isinstance(response, debug_pb2.EchoResponse)
    return response.payload


def respond_echo(fake: FakeServer, request: Frame) -> None:
    payload = debug_pb2.EchoRequest.FromString(request.request.payload).payload
    fake.send(
        Frame(
            call_id=request.call_id,
            response=Response(payload=debug_pb2.EchoResponse(payload=payload).SerializeToString()),
        )
    )


# ---- handshake ----------------------------------------------------------------------------------------------------


def test_handshake_sends_hello_and_records_the_ack(fake: FakeServer) -> None:
    fake.send(ack(max_frame_bytes=65536, max_concurrent_calls=7))
    client = Client(fake.client_sock, client_name="test/1")
    hello = fake.expect("hello")
    assert hello.call_id == 0
    assert (hello.hello.min_version, hello.hello.max_version, hello.hello.client_name) == (1, 1, "test/1")
    assert (client.protocol_version, client.server_version) == (1, "fake-1.0")
    assert (client.max_frame_bytes, client.max_concurrent_calls) == (65536, 7)
    client.close()


def test_connection_error_during_handshake_raises(fake: FakeServer) -> None:
    fake.send(
        Frame(
            status=Status(
                code=frame_pb2.STATUS_CODE_FAILED_PRECONDITION,
                message="no common version",
                detail=ErrorDetail(reason="unsupported_protocol_version"),
            )
        )
    )
    with pytest.raises(RPCError) as info:
        Client(fake.client_sock)
    assert info.value.code == 9
    assert info.value.code_name == "FAILED_PRECONDITION"
    assert info.value.reason == "unsupported_protocol_version"
    assert info.value.message == "no common version"


def test_handshake_timeout(fake: FakeServer) -> None:
    start = time.monotonic()
    with pytest.raises(RPCError) as info:
        Client(fake.client_sock, timeout=0.2)
    assert info.value.code == frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED
    assert info.value.reason == "handshake_timeout"
    assert time.monotonic() - start < 1.0


def test_connect_failure_is_unavailable(tmp_path: object) -> None:
    with pytest.raises(RPCError) as info:
        Client.connect_unix("/nonexistent/aigw.sock", timeout=0.5)
    assert info.value.code == frame_pb2.STATUS_CODE_UNAVAILABLE
    assert info.value.reason == "connect_failed"


# ---- unary calls --------------------------------------------------------------------------------------------------


def test_call_ids_increase_from_1_and_metadata_is_sent(fake: FakeServer) -> None:
    client = connect(fake, token="secret")
    call = Background(lambda: client.health(timeout=2.0))
    request = fake.expect("request")
    assert request.call_id == 1
    assert request.request.method == "/aigw.v1.Admin/Health"
    assert request.request.payload == b""
    assert 1900 <= request.request.metadata.timeout_ms <= 2000
    assert request.request.metadata.auth_token == "secret"
    healthy = admin_pb2.HealthResponse(status=admin_pb2.SERVING_STATUS_SERVING)
    fake.send(Frame(call_id=1, response=Response(payload=healthy.SerializeToString())))
    assert call.result().status == admin_pb2.SERVING_STATUS_SERVING

    call2 = Background(lambda: client.call("Admin", "ServerInfo", timeout=None, request_id="r-9", token="other"))
    request = fake.expect("request")
    assert request.call_id == 2
    assert request.request.metadata.timeout_ms == 0
    assert request.request.metadata.request_id == "r-9"
    assert request.request.metadata.auth_token == "other"
    info = admin_pb2.ServerInfoResponse(version="v")
    fake.send(Frame(call_id=2, response=Response(payload=info.SerializeToString())))
    assert call2.result().version == "v"
    client.close()


def test_responses_are_routed_by_call_id(fake: FakeServer) -> None:
    client = connect(fake)
    first = Background(lambda: echo(client, b"first"))
    r1 = fake.expect("request")
    second = Background(lambda: echo(client, b"second"))
    r2 = fake.expect("request")
    respond_echo(fake, r2)  # out of order
    assert second.result() == b"second"
    assert not first.done()
    respond_echo(fake, r1)
    assert first.result() == b"first"
    client.close()


def test_error_status_becomes_rpc_error(fake: FakeServer) -> None:
    client = connect(fake)
    call = Background(lambda: echo(client, b"x"))
    request = fake.expect("request")
    fake.send(
        Frame(
            call_id=request.call_id,
            status=Status(
                code=frame_pb2.STATUS_CODE_RESOURCE_EXHAUSTED,
                message="slow down",
                detail=ErrorDetail(reason="rate_limited", retry_after_ms=1500),
            ),
        )
    )
    with pytest.raises(RPCError) as info:
        call.result()
    error = info.value
    assert (error.code, error.code_name) == (8, "RESOURCE_EXHAUSTED")
    assert (error.message, error.reason) == ("slow down", "rate_limited")
    assert error.detail is not None and error.detail.retry_after_ms == 1500
    assert str(error) == "RESOURCE_EXHAUSTED (8): slow down [reason=rate_limited]"
    client.close()


def test_call_raw_sends_any_path(fake: FakeServer) -> None:
    client = connect(fake)
    call = Background(lambda: client.call_raw("/aigw.v1.Gateway/Nope", b"\x01\x02"))
    request = fake.expect("request")
    assert (request.request.method, request.request.payload) == ("/aigw.v1.Gateway/Nope", b"\x01\x02")
    fake.send(
        Frame(
            call_id=request.call_id,
            status=Status(code=frame_pb2.STATUS_CODE_UNIMPLEMENTED, detail=ErrorDetail(reason="unknown_method")),
        )
    )
    with pytest.raises(RPCError) as info:
        call.result()
    assert (info.value.code, info.value.reason) == (12, "unknown_method")
    client.close()


def test_client_gives_up_after_the_deadline_and_cancels(fake: FakeServer) -> None:
    client = connect(fake)
    client.deadline_grace = 0.05
    start = time.monotonic()
    call = Background(lambda: echo(client, b"x", timeout=0.1))
    request = fake.expect("request")
    assert request.request.metadata.timeout_ms == 100
    with pytest.raises(RPCError) as info:
        call.result()
    assert info.value.code == frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED
    assert info.value.reason == "client_timeout"
    assert time.monotonic() - start < 1.0
    cancel = fake.expect("cancel")
    assert cancel.call_id == request.call_id
    # The server's late answer for the abandoned call is dropped; the connection keeps working.
    fake.send(Frame(call_id=request.call_id, status=Status(code=frame_pb2.STATUS_CODE_CANCELLED)))
    next_call = Background(lambda: echo(client, b"y"))
    respond_echo(fake, fake.expect("request"))
    assert next_call.result() == b"y"
    client.close()


def test_local_argument_errors(fake: FakeServer) -> None:
    client = connect(fake)
    with pytest.raises(ValueError):
        client.call("Nope", "Health")
    with pytest.raises(ValueError):
        client.call("Admin", "Nope")
    with pytest.raises(ValueError):
        client.call("Debug", "Ticks", debug_pb2.TicksRequest(count=1))
    with pytest.raises(ValueError):
        client.stream("Debug", "Echo")
    with pytest.raises(TypeError):
        client.call("Debug", "Echo", debug_pb2.SleepRequest())
    with pytest.raises(ValueError):
        client.call("Debug", "Echo", timeout=0)
    fake.expect_nothing()
    client.close()


# ---- streams ------------------------------------------------------------------------------------------------------


def tick(call_id: int, index: int) -> Frame:
    return Frame(call_id=call_id, stream_item=StreamItem(payload=debug_pb2.Tick(index=index).SerializeToString()))


def test_stream_yields_items_until_status_ok(fake: FakeServer) -> None:
    client = connect(fake)
    ticks = client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=3))
    request = fake.expect("request")  # sent before the first next()
    assert request.request.method == "/aigw.v1.Debug/Ticks"
    for i in range(3):
        fake.send(tick(request.call_id, i))
    fake.send(Frame(call_id=request.call_id, status=Status()))
    assert [t.index for t in ticks] == [0, 1, 2]
    fake.expect_nothing()  # no cancel for a stream that ended
    client.close()


def test_stream_error_status_raises_after_items(fake: FakeServer) -> None:
    client = connect(fake)
    ticks = client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=3))
    request = fake.expect("request")
    fake.send(tick(request.call_id, 0))
    fake.send(Frame(call_id=request.call_id, status=Status(code=frame_pb2.STATUS_CODE_INTERNAL, message="boom")))
    assert next(ticks).index == 0
    with pytest.raises(RPCError) as info:
        next(ticks)
    assert info.value.code == frame_pb2.STATUS_CODE_INTERNAL
    with pytest.raises(StopIteration):
        next(ticks)
    client.close()


def test_closing_a_stream_early_sends_cancel(fake: FakeServer) -> None:
    client = connect(fake)
    with client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=100)) as ticks:
        request = fake.expect("request")
        fake.send(tick(request.call_id, 0))
        fake.send(tick(request.call_id, 1))
        assert next(ticks).index == 0
    cancel = fake.expect("cancel")
    assert cancel.call_id == request.call_id
    client.close()


def test_dropping_an_unfinished_stream_cancels_it(fake: FakeServer) -> None:
    client = connect(fake)
    ticks = client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=100))
    request = fake.expect("request")
    del ticks
    gc.collect()
    assert fake.expect("cancel").call_id == request.call_id
    # Once the server has ended the call, dropping its stream sends nothing.
    ticks = client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=0))
    request = fake.expect("request")
    fake.send(Frame(call_id=request.call_id, status=Status()))
    time.sleep(0.05)  # let the reader retire the call
    del ticks
    gc.collect()
    fake.expect_nothing()
    client.close()


# ---- connection-level behaviour -------------------------------------------------------------------------------------


def test_go_away_fails_new_calls_locally_and_lets_in_flight_calls_finish(fake: FakeServer) -> None:
    client = connect(fake)
    in_flight = Background(lambda: echo(client, b"in flight"))
    request = fake.expect("request")
    fake.send(Frame(go_away=GoAway(last_call_id=request.call_id, reason="draining")))
    deadline = time.monotonic() + 2
    while not client.draining and time.monotonic() < deadline:
        time.sleep(0.005)
    assert client.draining
    assert client.go_away is not None and client.go_away.last_call_id == request.call_id
    with pytest.raises(RPCError) as info:
        echo(client, b"new")
    assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_UNAVAILABLE, "draining")
    fake.expect_nothing()  # the new call never reached the wire
    respond_echo(fake, request)
    assert in_flight.result() == b"in flight"
    client.close()


def test_connection_drop_fails_every_waiting_call(fake: FakeServer) -> None:
    client = connect(fake)
    calls = [Background(lambda payload=b"%d" % i: echo(client, payload)) for i in range(5)]
    stream = client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=5))
    for _ in range(6):
        fake.expect("request")
    fake.close()
    for call in calls:
        with pytest.raises(RPCError) as info:
            call.result()
        assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_UNAVAILABLE, "connection_closed")
    with pytest.raises(RPCError) as info:
        next(stream)
    assert info.value.reason == "connection_closed"
    assert client.closed
    with pytest.raises(RPCError) as info:
        echo(client, b"later")
    assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_UNAVAILABLE, "connection_closed")
    client.close()


def test_connection_error_frame_fails_waiting_calls(fake: FakeServer) -> None:
    client = connect(fake)
    call = Background(lambda: echo(client, b"x"))
    fake.expect("request")
    error = Status(
        code=frame_pb2.STATUS_CODE_INVALID_ARGUMENT,
        message="bad envelope",
        detail=ErrorDetail(reason="malformed_envelope"),
    )
    fake.send(Frame(status=error))
    with pytest.raises(RPCError) as info:
        call.result()
    assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_UNAVAILABLE, "connection_closed")
    assert "malformed_envelope" in info.value.message
    client.close()


def test_close_fails_waiting_calls(fake: FakeServer) -> None:
    client = connect(fake)
    call = Background(lambda: echo(client, b"x"))
    fake.expect("request")
    client.close()
    with pytest.raises(RPCError) as info:
        call.result()
    assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_UNAVAILABLE, "connection_closed")
    client.close()  # idempotent


def test_ping_and_pong(fake: FakeServer) -> None:
    client = connect(fake)
    rtt = Background(lambda: client.ping(timeout=2.0))
    ping = fake.expect("ping")
    assert ping.call_id == 0
    fake.send(Frame(pong=Pong(nonce=ping.ping.nonce)))
    assert rtt.result() >= 0
    fake.send(Frame(ping=Ping(nonce=77)))
    pong = fake.expect("pong")
    assert (pong.call_id, pong.pong.nonce) == (0, 77)
    client.close()


def test_max_concurrent_calls_is_respected(fake: FakeServer) -> None:
    client = connect(fake, hello_ack=ack(max_concurrent_calls=1))
    first = Background(lambda: echo(client, b"1"))
    r1 = fake.expect("request")
    second = Background(lambda: echo(client, b"2"))
    fake.expect_nothing()  # waits for the slot instead of exceeding the server's limit
    respond_echo(fake, r1)
    assert first.result() == b"1"
    respond_echo(fake, fake.expect("request"))
    assert second.result() == b"2"
    # Waiting for a slot counts against the call's timeout.
    blocker = Background(lambda: echo(client, b"3"))
    r3 = fake.expect("request")
    with pytest.raises(RPCError) as info:
        echo(client, b"4", timeout=0.1)
    assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED, "client_timeout")
    respond_echo(fake, r3)
    assert blocker.result() == b"3"
    client.close()


def test_request_above_max_frame_bytes_is_refused_locally(fake: FakeServer) -> None:
    client = connect(fake, hello_ack=ack(max_frame_bytes=1024))
    with pytest.raises(RPCError) as info:
        echo(client, b"x" * 2000)
    assert (info.value.code, info.value.reason) == (frame_pb2.STATUS_CODE_RESOURCE_EXHAUSTED, "frame_too_large")
    fake.expect_nothing()
    call = Background(lambda: echo(client, b"small"))
    respond_echo(fake, fake.expect("request"))
    assert call.result() == b"small"
    client.close()


def test_many_threads_share_one_connection(fake: FakeServer) -> None:
    client = connect(fake)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                respond_echo(fake, fake.expect("request", timeout=0.1))
            except queue.Empty:
                continue

    server_thread = threading.Thread(target=serve, daemon=True)
    server_thread.start()
    results: List[bytes] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(25):
            payload = b"%d-%d" % (n, i)
            got = echo(client, payload, timeout=5)
            assert got == payload
            with lock:
                results.append(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    stop.set()
    server_thread.join(2)
    assert len(results) == 200
    client.close()


def test_rpc_error_pickles() -> None:
    error = RPCError(14, "gone", reason="connection_closed")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.code_name, copy.message, copy.reason) == (14, "UNAVAILABLE", "gone", "connection_closed")
    assert RPCError(99).code_name == "CODE_99"
