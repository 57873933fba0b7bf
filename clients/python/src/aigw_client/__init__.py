"""Python client for aigw: length-prefixed protobuf frames over a Unix socket or TCP (docs/protocol.md)."""

from .cache import cache_key
from .client import Client, ResponseStream
from .errors import RPCError
from .ratelimit import rate_limit_headers
from .framing import (
    DEFAULT_MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    FrameError,
    FrameReader,
    FrameTooLargeError,
    MalformedEnvelopeError,
    encode_frame,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "ResponseStream",
    "RPCError",
    "rate_limit_headers",
    "cache_key",
    "encode_frame",
    "FrameReader",
    "FrameError",
    "FrameTooLargeError",
    "MalformedEnvelopeError",
    "PROTOCOL_VERSION",
    "DEFAULT_MAX_FRAME_BYTES",
]
