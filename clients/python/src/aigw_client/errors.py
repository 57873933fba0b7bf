"""The one exception type a failed call raises, whether the server or the client decided the failure.

Callers branch on ``code`` (a gRPC status code, the same numbers as ``aigw.v1.StatusCode``) and ``reason`` (the
stable snake_case ``ErrorDetail.reason``), so local failures (a dropped connection, a client-side deadline) use the
same codes and reasons a server would, and retry logic does not need to care where an error came from.
"""

from __future__ import annotations

from typing import Optional

from aigw.v1 import frame_pb2
from aigw.v1.frame_pb2 import ErrorDetail, Status

__all__ = ["RPCError", "code_name"]

_CODE_PREFIX = "STATUS_CODE_"


def code_name(code: int) -> str:
    """``12`` -> ``"UNIMPLEMENTED"``: the ``StatusCode`` enum name without its prefix (``"CODE_<n>"`` if unknown)."""
    try:
        name = frame_pb2.StatusCode.Name(code)
    except ValueError:
        return f"CODE_{code}"
    return name[len(_CODE_PREFIX) :] if name.startswith(_CODE_PREFIX) else name


class RPCError(Exception):
    """A call (or the connection it ran on) ended with a non-OK status.

    Attributes:
        code: the gRPC status code as an int (e.g. 12).
        code_name: its name without prefix (e.g. ``"UNIMPLEMENTED"``).
        message: the human-readable message.
        reason: ``detail.reason``, a stable snake_case string for programs ("" when absent).
        detail: the full ``ErrorDetail`` (category, retry_after_ms, provider, model), or None when absent.
    """

    def __init__(
        self,
        code: int,
        message: str = "",
        reason: str = "",
        detail: Optional[ErrorDetail] = None,
    ) -> None:
        if detail is None and reason:
            detail = ErrorDetail(reason=reason)
        self.code: int = int(code)
        self.message: str = message
        self.detail: Optional[ErrorDetail] = detail
        self.reason: str = detail.reason if detail is not None else ""
        super().__init__(self.code, message, self.reason)

    @classmethod
    def from_status(cls, status: Status) -> "RPCError":
        """Build the error a ``Status`` frame describes."""
        detail: Optional[ErrorDetail] = None
        if status.HasField("detail"):
            detail = ErrorDetail()
            detail.CopyFrom(status.detail)
        return cls(status.code, status.message, detail=detail)

    @property
    def code_name(self) -> str:
        return code_name(self.code)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Keep the error picklable (multiprocessing, pytest-xdist) even though __init__ takes a message object.
        detail = self.detail.SerializeToString() if self.detail is not None else None
        return (_rebuild, (self.code, self.message, detail))

    def __str__(self) -> str:
        text = f"{self.code_name} ({self.code})"
        if self.message:
            text += f": {self.message}"
        if self.reason:
            text += f" [reason={self.reason}]"
        return text

    def __repr__(self) -> str:
        return f"RPCError(code={self.code_name}, message={self.message!r}, reason={self.reason!r})"


def _rebuild(code: int, message: str, detail: Optional[bytes]) -> RPCError:
    return RPCError(code, message, detail=ErrorDetail.FromString(detail) if detail is not None else None)
