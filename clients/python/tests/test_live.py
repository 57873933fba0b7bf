"""End-to-end tests against the real aigw binary (see conftest.py for how it is started).

These check the client and the server together against docs/protocol.md: handshake, Admin access rules, error
codes and reasons, deadlines, streaming, cancellation, multiplexing and drain.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

from aigw.v1 import admin_pb2, common_pb2, debug_pb2, frame_pb2, gateway_pb2
from aigw_client import Client, RPCError

from live_server import RunningServer, start_server


@pytest.fixture
def unix_client(aigw_server: RunningServer) -> Iterator[Client]:
    with Client.connect_unix(aigw_server.socket_path, client_name="pytest/unix") as client:
        yield client


@pytest.fixture
def tcp_client(aigw_server: RunningServer) -> Iterator[Client]:
    with Client.connect_tcp(aigw_server.host, aigw_server.port, client_name="pytest/tcp") as client:
        yield client


# ---- handshake and Admin --------------------------------------------------------------------------------------------


def test_handshake_records_server_limits(unix_client: Client) -> None:
    assert unix_client.protocol_version == 1
    assert unix_client.server_version != ""
    assert unix_client.max_frame_bytes > 0
    assert unix_client.max_concurrent_calls > 0


def test_health_over_unix(unix_client: Client) -> None:
    health = unix_client.health()
    assert health.status == admin_pb2.SERVING_STATUS_SERVING == 1


def test_server_info_over_unix(unix_client: Client, aigw_server: RunningServer) -> None:
    info = unix_client.server_info()
    assert info.version != ""
    assert info.protocol_version == 1
    assert info.store_backend == "memory"
    transports = {listener.transport for listener in info.listeners}
    assert {"unix", "tcp"} <= transports, info.listeners
    addresses = {listener.address for listener in info.listeners}
    assert aigw_server.socket_path in addresses
    assert f"{aigw_server.host}:{aigw_server.port}" in addresses


def test_admin_over_tcp_without_token_is_permission_denied(tcp_client: Client) -> None:
    for method in ("Health", "ServerInfo"):
        with pytest.raises(RPCError) as info:
            tcp_client.call("Admin", method)
        assert info.value.code == frame_pb2.STATUS_CODE_PERMISSION_DENIED == 7, info.value
        assert info.value.code_name == "PERMISSION_DENIED"
    # A refused call is a status, not a connection error: the connection keeps working.
    echoed = tcp_client.call("Debug", "Echo", debug_pb2.EchoRequest(payload=b"still here"))
    assert echoed.payload == b"still here"


# ---- errors --------------------------------------------------------------------------------------------------------


def test_unknown_method_is_unimplemented(unix_client: Client) -> None:
    with pytest.raises(RPCError) as info:
        unix_client.call_raw("/aigw.v1.Gateway/Nope", b"")
    assert info.value.code == frame_pb2.STATUS_CODE_UNIMPLEMENTED == 12, info.value
    assert info.value.code_name == "UNIMPLEMENTED"
    assert info.value.reason == "unknown_method", info.value


def test_complete_without_a_configured_provider_is_a_failed_precondition(unix_client: Client) -> None:
    request = gateway_pb2.CompleteRequest(
        caller=common_pb2.Caller(user_id="u-1", org_id="o-1", endpoint=common_pb2.ENDPOINT_CHAT),
        model="gpt-4o-mini",
        messages=[gateway_pb2.ChatMessage(role=gateway_pb2.ROLE_USER, content="hello")],
    )
    with pytest.raises(RPCError) as info:
        unix_client.call("Gateway", "Complete", request)
    assert info.value.code == frame_pb2.STATUS_CODE_FAILED_PRECONDITION, info.value
    assert info.value.reason == "no_provider", info.value


def test_malformed_payload_keeps_the_connection_usable(unix_client: Client) -> None:
    with pytest.raises(RPCError) as info:
        unix_client.call_raw("/aigw.v1.Debug/Echo", b"\xff\xff\xff")
    assert info.value.code == frame_pb2.STATUS_CODE_INVALID_ARGUMENT, info.value
    assert info.value.reason == "malformed_payload", info.value
    assert unix_client.call("Debug", "Echo", debug_pb2.EchoRequest(payload=b"ok")).payload == b"ok"


# ---- deadlines and cancellation -------------------------------------------------------------------------------------


def test_deadline_exceeded_comes_from_the_server_quickly(unix_client: Client) -> None:
    start = time.monotonic()
    with pytest.raises(RPCError) as info:
        unix_client.call("Debug", "Sleep", debug_pb2.SleepRequest(duration_ms=5000), timeout=0.2)
    elapsed = time.monotonic() - start
    assert info.value.code == frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED == 4, info.value
    assert elapsed < 1.0, f"DEADLINE_EXCEEDED after {elapsed:.2f} s"
    # The server, not the client's fallback timer, must have ended the call (timeout_ms was sent as 200).
    assert info.value.reason != "client_timeout", f"the server did not honour timeout_ms: {info.value}"
    assert unix_client.health().status == admin_pb2.SERVING_STATUS_SERVING


def test_sleep_within_its_deadline_succeeds(unix_client: Client) -> None:
    response = unix_client.call("Debug", "Sleep", debug_pb2.SleepRequest(duration_ms=50), timeout=5.0)
    assert 50 <= response.slept_ms < 5000


# ---- streaming -------------------------------------------------------------------------------------------------------


def test_ticks_stream(unix_client: Client) -> None:
    ticks = unix_client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=3, interval_ms=10), timeout=10)
    assert [tick.index for tick in ticks] == [0, 1, 2]


def test_ticks_stream_over_tcp(tcp_client: Client) -> None:
    ticks = list(tcp_client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=3), timeout=10))
    assert [tick.index for tick in ticks] == [0, 1, 2]


def test_closing_a_stream_early_cancels_it(unix_client: Client) -> None:
    with unix_client.stream("Debug", "Ticks", debug_pb2.TicksRequest(count=1000, interval_ms=20)) as ticks:
        first = [next(ticks).index, next(ticks).index]
    assert first == [0, 1]
    # The server answers the cancel; the connection stays usable and the slot is freed.
    assert unix_client.call("Debug", "Echo", debug_pb2.EchoRequest(payload=b"after")).payload == b"after"
    deadline = time.monotonic() + 2.0
    while unix_client.server_info().in_flight_calls > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert unix_client.server_info().in_flight_calls <= 1  # only the ServerInfo call itself


# ---- multiplexing and sizes -----------------------------------------------------------------------------------------


def test_200_concurrent_calls_from_8_threads(unix_client: Client) -> None:
    def one(i: int) -> bytes:
        if i % 10 == 0:  # a few slow calls so fast ones overtake them on the same connection
            unix_client.call("Debug", "Sleep", debug_pb2.SleepRequest(duration_ms=20), timeout=10)
        payload = f"call-{i}".encode() * (1 + i % 7)
        response = unix_client.call("Debug", "Echo", debug_pb2.EchoRequest(payload=payload), timeout=10)
        assert response.payload == payload, f"call {i} got another call's answer"
        return response.payload

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(200)))
    assert len(results) == 200


def test_echo_100kb_round_trip(unix_client: Client, tcp_client: Client) -> None:
    payload = os.urandom(100 * 1024)
    for client in (unix_client, tcp_client):
        assert client.call("Debug", "Echo", debug_pb2.EchoRequest(payload=payload), timeout=10).payload == payload


def test_ping(unix_client: Client) -> None:
    assert 0 <= unix_client.ping(timeout=5.0) < 5.0


# ---- drain ---------------------------------------------------------------------------------------------------------


def test_go_away_drains_the_connection(short_tmp: Path) -> None:
    """SIGTERM: the in-flight call completes, new calls fail locally with UNAVAILABLE draining."""
    server = start_server(short_tmp)
    try:
        client = Client.connect_unix(server.socket_path)
        results: List[object] = []
        slow = threading.Thread(
            target=lambda: results.append(
                _capture(lambda: client.call("Debug", "Sleep", debug_pb2.SleepRequest(duration_ms=1000), timeout=10))
            )
        )
        slow.start()
        time.sleep(0.3)  # let the Sleep call reach the server
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        while not client.draining and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.draining, "no go_away within 5 s of SIGTERM"
        with pytest.raises(RPCError) as info:
            client.health()
        assert info.value.code == frame_pb2.STATUS_CODE_UNAVAILABLE
        assert info.value.reason == "draining"
        slow.join(timeout=10)
        assert len(results) == 1
        assert isinstance(results[0], debug_pb2.SleepResponse), results[0]
        client.close()
        assert server.process.wait(timeout=15) is not None
    finally:
        server.stop()


def _capture(fn: Callable[[], object]) -> object:
    """Run ``fn`` and return its result or the exception it raised (for calls made in helper threads)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - handed to the asserting thread
        return exc
