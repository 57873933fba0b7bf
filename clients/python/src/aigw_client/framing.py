"""Length-prefixed framing of ``aigw.v1.Frame`` envelopes (docs/protocol.md, "Frames").

Every message on an aigw connection, in either direction, is a 4-byte big-endian length ``N`` followed by ``N``
bytes of a protobuf-encoded ``Frame``. This module holds the pure, socket-free part of that: encoding one frame and
an incremental reader that turns an arbitrary chunking of the byte stream back into frames. Keeping it free of I/O
lets the test vectors exercise exactly the code the client runs.
"""

from __future__ import annotations

import struct
from typing import List

from google.protobuf.message import DecodeError

from aigw.v1.frame_pb2 import Frame

__all__ = [
    "PROTOCOL_VERSION",
    "DEFAULT_MAX_FRAME_BYTES",
    "LENGTH_PREFIX_BYTES",
    "FrameError",
    "FrameTooLargeError",
    "MalformedEnvelopeError",
    "encode_frame",
    "FrameReader",
]

#: The protocol version this client speaks; it sends ``Hello{min_version: 1, max_version: 1}``.
PROTOCOL_VERSION = 1
#: The server's default cap on one envelope (announced per connection in ``HelloAck.max_frame_bytes``).
DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024
#: Bytes of the big-endian length prefix before each envelope.
LENGTH_PREFIX_BYTES = 4

_PREFIX = struct.Struct(">I")
_MAX_UINT32 = 0xFFFFFFFF


class FrameError(ValueError):
    """The byte stream is not a valid sequence of frames; the connection cannot be resynchronised."""


class FrameTooLargeError(FrameError):
    """A length prefix (or a frame to send) exceeds the frame size limit.

    Raised as soon as the prefix is seen, before the body is buffered, so a hostile or broken peer cannot make the
    reader allocate an arbitrary amount of memory.
    """

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"frame of {length} bytes exceeds the limit of {limit} bytes")
        self.length = length
        self.limit = limit


class MalformedEnvelopeError(FrameError):
    """A complete frame body did not decode as an ``aigw.v1.Frame``."""


def encode_frame(frame: Frame) -> bytes:
    """Return ``frame`` as it goes on the wire: 4-byte big-endian length, then the encoded envelope.

    Python's protobuf serialises fields in field-number order, which is the canonical encoding the test vectors in
    docs/protocol.md use, so the output is byte-for-byte comparable with other implementations.
    """
    body = frame.SerializeToString()
    if len(body) > _MAX_UINT32:
        raise FrameTooLargeError(len(body), _MAX_UINT32)
    return _PREFIX.pack(len(body)) + body


class FrameReader:
    """Incremental decoder: feed it bytes as they arrive, get back every frame they complete.

    Chunk boundaries are irrelevant: one byte at a time and many frames in one chunk give the same frames. After an
    error the reader stays failed (every further :meth:`feed` raises the same error), because a length-prefixed
    stream cannot be resynchronised once a prefix or a body is known to be bad.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        if not 0 < max_frame_bytes <= _MAX_UINT32:
            raise ValueError(f"max_frame_bytes must be in 1..{_MAX_UINT32}, got {max_frame_bytes}")
        self._max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._error: FrameError | None = None

    @property
    def max_frame_bytes(self) -> int:
        """The largest envelope (excluding the prefix) this reader accepts."""
        return self._max_frame_bytes

    @max_frame_bytes.setter
    def max_frame_bytes(self, value: int) -> None:
        # The client raises the limit after the handshake, when the server has announced its own.
        if not 0 < value <= _MAX_UINT32:
            raise ValueError(f"max_frame_bytes must be in 1..{_MAX_UINT32}, got {value}")
        self._max_frame_bytes = value

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet form a complete frame (for diagnostics and EOF checks)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> List[Frame]:
        """Append ``data`` and return the frames it completed, in stream order (possibly none).

        Raises :class:`FrameTooLargeError` when a length prefix exceeds :attr:`max_frame_bytes` and
        :class:`MalformedEnvelopeError` when a complete body is not a ``Frame``.
        """
        if self._error is not None:
            raise self._error
        self._buffer += data
        frames: List[Frame] = []
        offset = 0
        buffer = self._buffer
        try:
            while len(buffer) - offset >= LENGTH_PREFIX_BYTES:
                (length,) = _PREFIX.unpack_from(buffer, offset)
                if length > self._max_frame_bytes:
                    raise FrameTooLargeError(length, self._max_frame_bytes)
                end = offset + LENGTH_PREFIX_BYTES + length
                if len(buffer) < end:
                    break
                body = bytes(buffer[offset + LENGTH_PREFIX_BYTES : end])
                try:
                    frames.append(Frame.FromString(body))
                except DecodeError as exc:
                    raise MalformedEnvelopeError(
                        f"malformed frame envelope ({length} bytes): {exc}"
                    ) from exc
                offset = end
        except FrameError as exc:
            self._error = exc
            raise
        finally:
            # Drop consumed bytes once per feed rather than per frame, to stay linear in the stream size.
            if offset:
                del buffer[:offset]
        return frames
