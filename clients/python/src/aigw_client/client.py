"""A synchronous, thread-safe aigw client that multiplexes many calls over one connection.

Design (docs/protocol.md is the contract):

* One socket per :class:`Client`. After the handshake two daemon threads own it: a *reader* that decodes frames and
  routes them by ``call_id`` to the waiting caller's queue, and a *writer* that sends queued frames. Callers never
  touch the socket, so any number of threads can have calls in flight at once, and the reader never blocks on a
  write (which could deadlock against a server that is itself blocked writing to us).
* Request and response classes come from the generated descriptors, so every method in ``proto/aigw/v1`` works
  without per-method code; :meth:`Client.call_raw` / :meth:`Client.stream_raw` take any path and raw bytes.
* Every failure surfaces as :class:`~aigw_client.errors.RPCError` with a gRPC code and a snake_case reason, whether
  the server or the client decided it (``connection_closed``, ``draining``, ``client_timeout``, ...).
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
import queue
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Dict, Generic, List, Optional, Tuple, Type, TypeVar, Union, cast

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

import aigw.v1
from aigw.v1 import admin_pb2, frame_pb2
from aigw.v1.frame_pb2 import (
    Cancel,
    Frame,
    GoAway,
    Hello,
    Metadata,
    Ping,
    Pong,
    Request,
)

from .errors import RPCError
from .framing import (
    DEFAULT_MAX_FRAME_BYTES,
    LENGTH_PREFIX_BYTES,
    PROTOCOL_VERSION,
    FrameError,
    FrameReader,
    encode_frame,
)

__all__ = ["Client", "ResponseStream", "MethodInfo", "resolve_method", "DEFAULT_CLIENT_NAME"]

_log = logging.getLogger("aigw_client")

DEFAULT_CLIENT_NAME = "python/0.1"

# Reasons the client uses for errors it decides itself (the server's own reasons are listed in docs/protocol.md).
REASON_CONNECTION_CLOSED = "connection_closed"
REASON_DRAINING = "draining"
REASON_CLIENT_TIMEOUT = "client_timeout"
REASON_CONNECT_FAILED = "connect_failed"
REASON_HANDSHAKE_TIMEOUT = "handshake_timeout"
REASON_PROTOCOL_VIOLATION = "protocol_violation"
REASON_MALFORMED_RESPONSE = "malformed_response"
REASON_FRAME_TOO_LARGE = "frame_too_large"
REASON_UNSUPPORTED_VERSION = "unsupported_protocol_version"

_RECV_BYTES = 256 * 1024
# The writer coalesces queued frames into one send up to this many bytes, to save syscalls under load.
_COALESCE_BYTES = 256 * 1024

T = TypeVar("T")


# --------------------------------------------------------------------------------------------------------------------
# Method lookup from the generated descriptors
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodInfo:
    """What the client needs to know about one RPC method, taken from its descriptor."""

    path: str
    request_class: Type[Message]
    response_class: Type[Message]
    server_streaming: bool


_generated_loaded = False
_generated_lock = threading.Lock()


def _load_generated_modules() -> None:
    """Import every ``aigw.v1.*_pb2`` module so the default descriptor pool knows all services.

    Importing them all (rather than a hand-kept list) means a service added to proto/ only needs regeneration.
    """
    global _generated_loaded
    with _generated_lock:
        if _generated_loaded:
            return
        for info in pkgutil.iter_modules(aigw.v1.__path__):
            if info.name.endswith("_pb2"):
                importlib.import_module(f"aigw.v1.{info.name}")
        _generated_loaded = True


@lru_cache(maxsize=None)
def resolve_method(service: str, method: str) -> MethodInfo:
    """Look up ``aigw.v1.<service>/<method>`` in the generated descriptors.

    Raises ``ValueError`` for a name that is not in the contract: that is a local programming error, not something to
    send to the server (use :meth:`Client.call_raw` to send an arbitrary path on purpose).
    """
    _load_generated_modules()
    pool = descriptor_pool.Default()
    try:
        service_desc = pool.FindServiceByName(f"{frame_pb2.DESCRIPTOR.package}.{service}")
    except KeyError:
        raise ValueError(f"unknown service {service!r}") from None
    method_desc = service_desc.methods_by_name.get(method)
    if method_desc is None:
        known = ", ".join(sorted(service_desc.methods_by_name))
        raise ValueError(f"service {service!r} has no method {method!r} (it has: {known})")
    return MethodInfo(
        path=f"/{service_desc.full_name}/{method_desc.name}",
        request_class=message_factory.GetMessageClass(method_desc.input_type),
        response_class=message_factory.GetMessageClass(method_desc.output_type),
        server_streaming=bool(method_desc.server_streaming),
    )


# --------------------------------------------------------------------------------------------------------------------
# Per-call and per-ping state
# --------------------------------------------------------------------------------------------------------------------


class _ConnectionLost:
    """Put in a call's queue when the connection ends; the waiter turns it into an RPCError in its own thread."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_Event = Union[Frame, _ConnectionLost]


class _Call:
    """One call in flight. ``abandoned`` calls stay registered until their terminal frame, see Client._abandon."""

    __slots__ = ("call_id", "path", "timeout", "events", "abandoned")

    def __init__(self, call_id: int, path: str, timeout: Optional[float]) -> None:
        self.call_id = call_id
        self.path = path
        self.timeout = timeout
        self.events: "queue.SimpleQueue[_Event]" = queue.SimpleQueue()
        self.abandoned = False


class _PendingPing:
    __slots__ = ("event", "answered")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.answered = False


class _CancelIfInFlight:
    """A request, queued from a finalizer, for the writer thread to cancel ``call`` if it is still in flight."""

    __slots__ = ("call",)

    def __init__(self, call: _Call) -> None:
        self.call = call


#: What the writer thread takes from its queue: encoded frames, deferred cancels, and None to stop.
_Outgoing = Union[bytes, _CancelIfInFlight]


class _ProtocolViolation(Exception):
    """The server sent something the protocol does not allow; the connection is closed."""


class _ServerConnectionError(Exception):
    """The server sent a connection error (a status frame with call_id 0) and will close the connection."""


# --------------------------------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------------------------------


class ResponseStream(Generic[T]):
    """Iterator over the messages of one server-streaming call.

    Iteration ends normally when the server ends the stream with status OK and raises :class:`RPCError` when it ends
    with an error. :meth:`close` (also via ``with`` or garbage collection) before the end sends ``Cancel`` so the
    server stops producing items nobody reads. One stream must be consumed by one thread at a time.
    """

    def __init__(
        self,
        client: "Client",
        call: _Call,
        deadline: Optional[float],
        decode: Callable[[bytes], T],
    ) -> None:
        self._client = client
        self._call = call
        self._deadline = deadline
        self._decode = decode
        self._finished = False

    @property
    def call_id(self) -> int:
        return self._call.call_id

    def __iter__(self) -> "ResponseStream[T]":
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        try:
            frame = self._client._next_event(self._call, self._deadline)
        except BaseException:
            self.close()
            raise
        kind = frame.WhichOneof("kind")
        if kind == "stream_item":
            try:
                return self._decode(frame.stream_item.payload)
            except DecodeError as exc:
                self.close()
                raise RPCError(
                    frame_pb2.STATUS_CODE_INTERNAL,
                    f"{self._call.path}: stream item is not the method's response message: {exc}",
                    reason=REASON_MALFORMED_RESPONSE,
                ) from exc
        # Any other frame ended the call on the server side.
        self._finished = True
        if kind == "status":
            if frame.status.code == frame_pb2.STATUS_CODE_OK:
                raise StopIteration
            raise RPCError.from_status(frame.status)
        raise RPCError(
            frame_pb2.STATUS_CODE_INTERNAL,
            f"{self._call.path}: a streaming call was answered with a unary response",
            reason=REASON_PROTOCOL_VIOLATION,
        )

    def close(self) -> None:
        """Stop reading; if the stream has not ended, send Cancel. Idempotent."""
        if not self._finished:
            self._finished = True
            self._client._abandon(self._call)

    cancel = close

    def __enter__(self) -> "ResponseStream[T]":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A finalizer may run in any thread at any allocation, even one holding the client's lock, so it must not
        # take that lock: it only marks the stream finished and leaves the cancel to the writer thread.
        try:
            if not self._finished:
                self._finished = True
                self._client._abandon_from_finalizer(self._call)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


# --------------------------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------------------------


class Client:
    """A connection to aigw. Create it with :meth:`connect_unix` or :meth:`connect_tcp`; close it with
    :meth:`close` or a ``with`` block.

    All methods are thread-safe. After the handshake these attributes describe the server:
    ``protocol_version``, ``server_version``, ``max_frame_bytes`` and ``max_concurrent_calls`` (0 = no limit). The
    client respects both limits: it refuses to send a frame above ``max_frame_bytes`` and waits for a free slot
    (within the call's timeout) rather than exceeding ``max_concurrent_calls``.
    """

    #: Seconds the client keeps waiting after a call's timeout, so the server's DEADLINE_EXCEEDED (with its reason)
    #: normally arrives first; after it the client gives up on its own, sends Cancel and raises ``client_timeout``.
    deadline_grace: float = 0.25

    # ---- construction --------------------------------------------------------------------------------------------

    def __init__(
        self,
        sock: socket.socket,
        *,
        token: Optional[str] = None,
        timeout: float = 5.0,
        client_name: str = DEFAULT_CLIENT_NAME,
    ) -> None:
        """Handshake on an already connected stream socket. Prefer :meth:`connect_unix` / :meth:`connect_tcp`."""
        self._sock = sock
        self._token = token or ""
        self._lock = threading.Lock()
        self._slots = threading.Condition(self._lock)  # signalled when a call ends, on go_away and on close
        self._calls: Dict[int, _Call] = {}
        self._next_call_id = 1
        self._pings: Dict[int, _PendingPing] = {}
        self._next_nonce = 1
        self._closed = False
        self._close_message = ""
        self._go_away: Optional[GoAway] = None
        self._send_queue: "queue.SimpleQueue[Optional[_Outgoing]]" = queue.SimpleQueue()
        self._frames = FrameReader(DEFAULT_MAX_FRAME_BYTES)

        self.protocol_version = 0
        self.server_version = ""
        self.max_frame_bytes = DEFAULT_MAX_FRAME_BYTES
        self.max_concurrent_calls = 0

        try:
            leftover = self._handshake(time.monotonic() + timeout, client_name)
        except BaseException:
            sock.close()
            raise
        sock.settimeout(None)

        self._writer_thread = threading.Thread(target=self._write_loop, name="aigw-client-writer", daemon=True)
        self._reader_thread = threading.Thread(
            target=self._read_loop, args=(leftover,), name="aigw-client-reader", daemon=True
        )
        self._writer_thread.start()
        self._reader_thread.start()

    @classmethod
    def connect_unix(
        cls,
        path: str,
        *,
        token: Optional[str] = None,
        timeout: float = 5.0,
        client_name: str = DEFAULT_CLIENT_NAME,
    ) -> "Client":
        """Connect to the Unix socket at ``path`` and handshake, all within ``timeout`` seconds."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        start = time.monotonic()
        try:
            sock.settimeout(timeout)
            sock.connect(path)
        except OSError as exc:
            sock.close()
            raise RPCError(
                frame_pb2.STATUS_CODE_UNAVAILABLE, f"cannot connect to {path}: {exc}", reason=REASON_CONNECT_FAILED
            ) from exc
        return cls(sock, token=token, timeout=_remaining(start, timeout), client_name=client_name)

    @classmethod
    def connect_tcp(
        cls,
        host: str,
        port: int,
        *,
        token: Optional[str] = None,
        timeout: float = 5.0,
        client_name: str = DEFAULT_CLIENT_NAME,
    ) -> "Client":
        """Connect to ``host:port`` over TCP and handshake, all within ``timeout`` seconds."""
        start = time.monotonic()
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise RPCError(
                frame_pb2.STATUS_CODE_UNAVAILABLE,
                f"cannot connect to {host}:{port}: {exc}",
                reason=REASON_CONNECT_FAILED,
            ) from exc
        # Frames are small and latency matters more than packet count; the writer already coalesces under load.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, token=token, timeout=_remaining(start, timeout), client_name=client_name)

    def _handshake(self, deadline: float, client_name: str) -> List[Frame]:
        """Send Hello, wait for HelloAck, record the server's limits. Returns frames that arrived after the ack.

        Runs on the constructing thread before the reader starts, so a failed handshake raises right here.
        """
        hello = Frame(
            call_id=0,
            hello=Hello(min_version=PROTOCOL_VERSION, max_version=PROTOCOL_VERSION, client_name=client_name),
        )
        try:
            self._sock.settimeout(max(deadline - time.monotonic(), 0.001))
            self._sock.sendall(encode_frame(hello))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout()
                self._sock.settimeout(remaining)
                data = self._sock.recv(_RECV_BYTES)
                if not data:
                    raise RPCError(
                        frame_pb2.STATUS_CODE_UNAVAILABLE,
                        "the server closed the connection during the handshake",
                        reason=REASON_CONNECTION_CLOSED,
                    )
                frames = self._frames.feed(data)
                for index, frame in enumerate(frames):
                    kind = frame.WhichOneof("kind")
                    if kind == "hello_ack":
                        self._accept_hello_ack(frame)
                        return frames[index + 1 :]
                    if kind == "status" and frame.call_id == 0:
                        raise RPCError.from_status(frame.status)
                    if kind == "ping":
                        self._sock.sendall(encode_frame(Frame(pong=Pong(nonce=frame.ping.nonce))))
                        continue
                    raise RPCError(
                        frame_pb2.STATUS_CODE_INTERNAL,
                        f"expected hello_ack, got a {kind or 'kindless'} frame (call {frame.call_id})",
                        reason=REASON_PROTOCOL_VIOLATION,
                    )
        except socket.timeout as exc:
            raise RPCError(
                frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED,
                "no hello_ack from the server in time",
                reason=REASON_HANDSHAKE_TIMEOUT,
            ) from exc
        except FrameError as exc:
            raise RPCError(
                frame_pb2.STATUS_CODE_INTERNAL,
                f"bad frame during the handshake: {exc}",
                reason=REASON_PROTOCOL_VIOLATION,
            ) from exc
        except OSError as exc:
            raise RPCError(
                frame_pb2.STATUS_CODE_UNAVAILABLE,
                f"connection failed during the handshake: {exc}",
                reason=REASON_CONNECTION_CLOSED,
            ) from exc

    def _accept_hello_ack(self, frame: Frame) -> None:
        ack = frame.hello_ack
        if ack.version != PROTOCOL_VERSION:
            raise RPCError(
                frame_pb2.STATUS_CODE_FAILED_PRECONDITION,
                f"server chose protocol version {ack.version}, this client speaks only {PROTOCOL_VERSION}",
                reason=REASON_UNSUPPORTED_VERSION,
            )
        self.protocol_version = ack.version
        self.server_version = ack.server_version
        self.max_frame_bytes = ack.max_frame_bytes or DEFAULT_MAX_FRAME_BYTES
        self.max_concurrent_calls = ack.max_concurrent_calls
        # Accept answers at least as large as what we may send; never shrink below the protocol default.
        self._frames.max_frame_bytes = max(DEFAULT_MAX_FRAME_BYTES, self.max_frame_bytes)

    # ---- public API ----------------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the connection has ended (closed by either side or broken)."""
        with self._lock:
            return self._closed

    @property
    def draining(self) -> bool:
        """True once the server sent go_away: new calls fail locally, calls in flight still complete."""
        with self._lock:
            return self._go_away is not None

    @property
    def go_away(self) -> Optional[GoAway]:
        """The server's GoAway (``last_call_id``, ``reason``), or None."""
        with self._lock:
            return self._go_away

    def call(
        self,
        service: str,
        method: str,
        request: Optional[Message] = None,
        *,
        timeout: Optional[float] = None,
        request_id: str = "",
        token: Optional[str] = None,
    ) -> Message:
        """Make a unary call to ``/aigw.v1.<service>/<method>`` and return its response message.

        ``request`` defaults to an empty request message. ``timeout`` (seconds) is sent as ``metadata.timeout_ms``;
        ``token`` overrides the connection's admin token for this call. Raises :class:`RPCError`.
        """
        info = resolve_method(service, method)
        if info.server_streaming:
            raise ValueError(f"{info.path} is server-streaming; use stream()")
        payload = self.call_raw(
            info.path, _encode_request(info, request), timeout=timeout, request_id=request_id, token=token
        )
        return _decode_response(info, payload)

    def stream(
        self,
        service: str,
        method: str,
        request: Optional[Message] = None,
        *,
        timeout: Optional[float] = None,
        request_id: str = "",
        token: Optional[str] = None,
    ) -> ResponseStream[Message]:
        """Start a server-streaming call and return an iterator over its response messages.

        The request is sent immediately. ``timeout`` bounds the whole stream, not each item.
        """
        info = resolve_method(service, method)
        if not info.server_streaming:
            raise ValueError(f"{info.path} is unary; use call()")
        call, deadline = self._start_call(
            info.path, _encode_request(info, request), timeout=timeout, request_id=request_id, token=token
        )
        return ResponseStream(self, call, deadline, info.response_class.FromString)

    def call_raw(
        self,
        path: str,
        payload: bytes = b"",
        *,
        timeout: Optional[float] = None,
        request_id: str = "",
        token: Optional[str] = None,
    ) -> bytes:
        """Unary call to an arbitrary method path with an already-encoded payload; returns the response payload.

        For testing the server's handling of unknown methods and malformed payloads, and for methods newer than the
        generated code.
        """
        call, deadline = self._start_call(path, payload, timeout=timeout, request_id=request_id, token=token)
        try:
            frame = self._next_event(call, deadline)
            kind = frame.WhichOneof("kind")
            if kind == "response":
                return frame.response.payload
            if kind == "status":
                if frame.status.code != frame_pb2.STATUS_CODE_OK:
                    raise RPCError.from_status(frame.status)
                raise RPCError(
                    frame_pb2.STATUS_CODE_INTERNAL,
                    f"{path}: unary call ended with status OK but no response",
                    reason=REASON_PROTOCOL_VIOLATION,
                )
            raise RPCError(
                frame_pb2.STATUS_CODE_INTERNAL,
                f"{path}: unary call answered with a stream item (server-streaming method? use stream())",
                reason=REASON_PROTOCOL_VIOLATION,
            )
        finally:
            # No-op when the call ended; otherwise (timeout, interrupt, stray stream item) tell the server to stop.
            self._abandon(call)

    def stream_raw(
        self,
        path: str,
        payload: bytes = b"",
        *,
        timeout: Optional[float] = None,
        request_id: str = "",
        token: Optional[str] = None,
    ) -> ResponseStream[bytes]:
        """Server-streaming call to an arbitrary path; yields each item's raw payload bytes."""
        call, deadline = self._start_call(path, payload, timeout=timeout, request_id=request_id, token=token)
        return ResponseStream(self, call, deadline, bytes)

    def health(self, *, timeout: Optional[float] = 5.0, token: Optional[str] = None) -> admin_pb2.HealthResponse:
        """``Admin/Health``. Over TCP it needs the admin token (or, without one configured, is refused)."""
        response = self.call("Admin", "Health", admin_pb2.HealthRequest(), timeout=timeout, token=token)
        return cast(admin_pb2.HealthResponse, response)

    def server_info(
        self, *, timeout: Optional[float] = 5.0, token: Optional[str] = None
    ) -> admin_pb2.ServerInfoResponse:
        """``Admin/ServerInfo``: version, listeners, limits and counters of the server."""
        response = self.call("Admin", "ServerInfo", admin_pb2.ServerInfoRequest(), timeout=timeout, token=token)
        return cast(admin_pb2.ServerInfoResponse, response)

    def ping(self, timeout: float = 5.0) -> float:
        """Send a ping and wait for the matching pong; returns the round trip in seconds."""
        pending = _PendingPing()
        with self._lock:
            self._raise_if_closed_locked()
            nonce = self._next_nonce
            self._next_nonce += 1
            self._pings[nonce] = pending
            self._send_queue.put(encode_frame(Frame(call_id=0, ping=Ping(nonce=nonce))))
        start = time.monotonic()
        answered = pending.event.wait(timeout)
        with self._lock:
            self._pings.pop(nonce, None)
            if pending.answered:
                return time.monotonic() - start
            if not answered:
                raise RPCError(
                    frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED,
                    f"no pong within {timeout} s",
                    reason=REASON_CLIENT_TIMEOUT,
                )
            self._raise_if_closed_locked()
        raise AssertionError("ping woken without an answer on an open connection")  # pragma: no cover

    def close(self) -> None:
        """Close the connection now. Calls still waiting fail with UNAVAILABLE ``connection_closed``. Idempotent."""
        self._connection_lost("the client closed the connection")
        if threading.current_thread() is not self._reader_thread:
            self._reader_thread.join()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("draining" if self._go_away is not None else "open")
        return f"<aigw_client.Client server_version={self.server_version!r} {state} calls={len(self._calls)}>"

    # ---- calls ---------------------------------------------------------------------------------------------------

    def _start_call(
        self,
        path: str,
        payload: bytes,
        *,
        timeout: Optional[float],
        request_id: str,
        token: Optional[str],
    ) -> Tuple[_Call, Optional[float]]:
        """Register a call, queue its request frame, and return it with its absolute deadline (monotonic)."""
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be positive seconds or None, got {timeout!r}")
        deadline = None if timeout is None else time.monotonic() + timeout
        metadata = Metadata(request_id=request_id, auth_token=self._token if token is None else token)
        with self._lock:
            while True:
                self._raise_if_unusable_locked()
                if not self.max_concurrent_calls or len(self._calls) < self.max_concurrent_calls:
                    break
                if deadline is None:
                    self._slots.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RPCError(
                        frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED,
                        f"{path}: no free call slot within the timeout "
                        f"(max_concurrent_calls={self.max_concurrent_calls})",
                        reason=REASON_CLIENT_TIMEOUT,
                    )
                self._slots.wait(remaining)
            if deadline is not None:
                # The server measures the deadline from receipt, so send what is left after waiting for a slot.
                metadata.timeout_ms = max(1, math.ceil((deadline - time.monotonic()) * 1000))
            call = _Call(self._next_call_id, path, timeout)
            self._next_call_id += 1
            # Encoding and queueing under the lock keeps call ids increasing in wire order, as the protocol asks.
            data = encode_frame(
                Frame(call_id=call.call_id, request=Request(method=path, payload=payload, metadata=metadata))
            )
            if len(data) - LENGTH_PREFIX_BYTES > self.max_frame_bytes:
                raise RPCError(
                    frame_pb2.STATUS_CODE_RESOURCE_EXHAUSTED,
                    f"{path}: request frame of {len(data) - LENGTH_PREFIX_BYTES} bytes exceeds the server's "
                    f"max_frame_bytes ({self.max_frame_bytes})",
                    reason=REASON_FRAME_TOO_LARGE,
                )
            self._calls[call.call_id] = call
            self._send_queue.put(data)
        return call, deadline

    def _next_event(self, call: _Call, deadline: Optional[float]) -> Frame:
        """Wait for the call's next frame, up to the deadline plus :attr:`deadline_grace`."""
        try:
            if deadline is None:
                event = call.events.get()
            else:
                remaining = deadline + self.deadline_grace - time.monotonic()
                event = call.events.get(timeout=max(remaining, 0.0))
        except queue.Empty:
            raise RPCError(
                frame_pb2.STATUS_CODE_DEADLINE_EXCEEDED,
                f"{call.path}: no answer within the {call.timeout} s timeout",
                reason=REASON_CLIENT_TIMEOUT,
            ) from None
        if isinstance(event, _ConnectionLost):
            raise RPCError(frame_pb2.STATUS_CODE_UNAVAILABLE, event.message, reason=REASON_CONNECTION_CLOSED)
        return event

    def _abandon(self, call: _Call) -> None:
        """Stop waiting for ``call``; if it is still in flight, send Cancel.

        The call stays registered (frames for it are dropped) until the server's terminal frame, so its slot counts
        against ``max_concurrent_calls`` exactly as long as the server counts it.
        """
        with self._lock:
            if self._calls.get(call.call_id) is not call or call.abandoned:
                return
            call.abandoned = True
            self._send_queue.put(encode_frame(Frame(call_id=call.call_id, cancel=Cancel())))

    def _abandon_from_finalizer(self, call: _Call) -> None:
        """:meth:`_abandon` for ``__del__``: queue the decision for the writer thread instead of taking the lock.

        ``SimpleQueue.put`` is documented as safe to call from finalizers; the writer re-checks under the lock
        whether the call is still in flight before sending Cancel.
        """
        self._send_queue.put(_CancelIfInFlight(call))

    def _raise_if_closed_locked(self) -> None:
        if self._closed:
            raise RPCError(
                frame_pb2.STATUS_CODE_UNAVAILABLE,
                f"connection closed: {self._close_message}",
                reason=REASON_CONNECTION_CLOSED,
            )

    def _raise_if_unusable_locked(self) -> None:
        self._raise_if_closed_locked()
        if self._go_away is not None:
            raise RPCError(
                frame_pb2.STATUS_CODE_UNAVAILABLE,
                f"the server is draining ({self._go_away.reason or 'go_away'}); open a new connection",
                reason=REASON_DRAINING,
            )

    # ---- connection threads ----------------------------------------------------------------------------------------

    def _read_loop(self, leftover: List[Frame]) -> None:
        """Reader thread: decode frames and dispatch them until the connection ends; then owns closing the socket."""
        message = "the server closed the connection"
        try:
            for frame in leftover:
                self._dispatch(frame)
            while True:
                data = self._sock.recv(_RECV_BYTES)
                if not data:
                    if self._frames.buffered:
                        message = "the server closed the connection in the middle of a frame"
                    break
                for frame in self._frames.feed(data):
                    self._dispatch(frame)
        except FrameError as exc:
            message = f"bad frame from the server: {exc}"
        except _ProtocolViolation as exc:
            message = f"protocol violation by the server: {exc}"
        except _ServerConnectionError as exc:
            message = f"the server ended the connection: {exc}"
        except OSError as exc:
            message = f"connection error: {exc}"
        except BaseException:  # pragma: no cover - a bug here must not leave callers hanging
            _log.exception("aigw client reader failed")
            message = "the client's reader thread failed"
        finally:
            self._connection_lost(message)
            self._writer_thread.join()
            self._sock.close()

    def _dispatch(self, frame: Frame) -> None:
        kind = frame.WhichOneof("kind")
        if frame.call_id == 0:
            self._dispatch_connection_frame(frame, kind)
            return
        if kind not in ("response", "stream_item", "status"):
            raise _ProtocolViolation(f"unexpected {kind or 'kindless'} frame for call {frame.call_id}")
        with self._lock:
            call = self._calls.get(frame.call_id)
            if call is None:
                _log.debug("dropping %s frame for unknown call %d", kind, frame.call_id)
                return
            if kind != "stream_item":
                del self._calls[frame.call_id]
                self._slots.notify()
            if call.abandoned:
                return
        call.events.put(frame)

    def _dispatch_connection_frame(self, frame: Frame, kind: Optional[str]) -> None:
        if kind == "ping":
            self._send_queue.put(encode_frame(Frame(call_id=0, pong=Pong(nonce=frame.ping.nonce))))
        elif kind == "pong":
            with self._lock:
                pending = self._pings.get(frame.pong.nonce)
                if pending is not None:
                    pending.answered = True
                    pending.event.set()
        elif kind == "go_away":
            _log.info("server is draining: last_call_id=%d reason=%r", frame.go_away.last_call_id, frame.go_away.reason)
            with self._lock:
                self._go_away = frame.go_away
                self._slots.notify_all()  # callers waiting for a slot must now fail with "draining"
        elif kind == "status":
            raise _ServerConnectionError(str(RPCError.from_status(frame.status)))
        else:
            raise _ProtocolViolation(f"unexpected {kind or 'kindless'} frame on call 0")

    def _write_loop(self) -> None:
        """Writer thread: send queued frames in order, several per syscall when they pile up."""
        try:
            while True:
                item = self._send_queue.get()
                if item is None:
                    return
                batch = [self._outgoing_bytes(item)]
                size = len(batch[0])
                stop = False
                while size < _COALESCE_BYTES:
                    try:
                        item = self._send_queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(self._outgoing_bytes(item))
                    size += len(batch[-1])
                self._sock.sendall(b"".join(batch) if len(batch) > 1 else batch[0])
                if stop:
                    return
        except OSError as exc:
            self._connection_lost(f"connection error while sending: {exc}")

    def _outgoing_bytes(self, item: _Outgoing) -> bytes:
        if isinstance(item, _CancelIfInFlight):
            with self._lock:
                in_flight = self._calls.get(item.call.call_id) is item.call
                item.call.abandoned = True
            return encode_frame(Frame(call_id=item.call.call_id, cancel=Cancel())) if in_flight else b""
        return item

    def _connection_lost(self, message: str) -> None:
        """End the connection once: fail waiting calls and pings, stop the writer, wake the reader. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._close_message = message
            calls = list(self._calls.values())
            self._calls.clear()
            pings = list(self._pings.values())
            self._pings.clear()
            self._slots.notify_all()
        _log.debug("aigw connection closed: %s", message)
        self._send_queue.put(None)
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already shut down or closed
        for call in calls:
            if not call.abandoned:
                call.events.put(_ConnectionLost(message))
        for pending in pings:
            pending.event.set()


# --------------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------------


def _remaining(start: float, timeout: float) -> float:
    return max(timeout - (time.monotonic() - start), 0.001)


def _encode_request(info: MethodInfo, request: Optional[Message]) -> bytes:
    if request is None:
        return b""  # an empty message encodes to no bytes
    if not isinstance(request, info.request_class):
        raise TypeError(
            f"{info.path} takes {info.request_class.DESCRIPTOR.full_name}, got {type(request).__name__}"
        )
    return request.SerializeToString()


def _decode_response(info: MethodInfo, payload: bytes) -> Message:
    try:
        return info.response_class.FromString(payload)
    except DecodeError as exc:
        raise RPCError(
            frame_pb2.STATUS_CODE_INTERNAL,
            f"{info.path}: response is not a {info.response_class.DESCRIPTOR.full_name}: {exc}",
            reason=REASON_MALFORMED_RESPONSE,
        ) from exc
