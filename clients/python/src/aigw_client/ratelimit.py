"""HTTP headers from a CheckLimit answer, as docs/protocol.md ("Rate limit headers") specifies."""

from __future__ import annotations

import time
from typing import Any, Dict, Optional


def _ceil_seconds(millis: int) -> int:
    return (millis + 999) // 1000


def rate_limit_headers(answer: Any, now_ms: Optional[int] = None) -> Dict[str, str]:
    """Return ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` and, when denied, ``Retry-After``.

    ``answer`` is an ``aigw.v1.CheckLimitResponse``; ``now_ms`` defaults to the current time in Unix milliseconds.
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms
    headers = {
        "RateLimit-Limit": str(answer.limit),
        "RateLimit-Remaining": str(answer.remaining),
        "RateLimit-Reset": str(_ceil_seconds(max(0, answer.reset_at_unix_ms - now))),
    }
    if not answer.allowed:
        headers["Retry-After"] = str(max(1, _ceil_seconds(answer.retry_after_ms)))
    return headers
