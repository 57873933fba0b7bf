"""The response cache key, as docs/protocol.md ("Response cache") specifies it.

aigw computes the key itself; this reproduces it so callers can reason about what shares an entry (for example, to
check that two requests will hit the same cached answer) without asking the server.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any, Callable, Iterable, List

_VERSION = "aigw.cache.v1"
_ENDPOINTS = {1: "summarize", 2: "search", 3: "chat", 4: "embeddings", 5: "translation"}
_PROVIDERS = {0: "", 1: "openai", 2: "anthropic"}
_ROLES = {1: "system", 2: "user", 3: "assistant", 4: "tool"}


def _string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def _optional(value: Any, encode: Callable[[Any], bytes]) -> bytes:
    return b"\x00" if value is None else b"\x01" + encode(value)


def _list(items: Iterable[Any], encode: Callable[[Any], bytes]) -> bytes:
    items = list(items)
    return struct.pack(">I", len(items)) + b"".join(encode(i) for i in items)


def _double(d: float) -> bytes:
    return struct.pack(">d", 0.0 if d == 0 else d)


def canonical_encoding(request: Any, scope: str = "org") -> bytes:
    """The bytes the key hashes, for a `gateway_pb2.CompleteRequest` and the server's `cache.scope`."""
    user, org = request.caller.user_id, request.caller.org_id
    if scope == "org":
        kind, scope_org, scope_user = ("org", org, "") if org else ("user", "", user)
    elif scope == "user":
        kind, scope_org, scope_user = "user", org, user
    elif scope == "global":
        kind, scope_org, scope_user = "global", "", ""
    else:
        raise ValueError(f"scope must be org, user or global, got {scope!r}")

    def message(m: Any) -> bytes:
        return _string(_ROLES[m.role]) + _optional(m.name or None, _string) + _string(m.content)

    stops: List[str] = sorted(request.stop, key=lambda s: s.encode("utf-8"))
    has = request.HasField
    return b"".join([
        _string(_VERSION), _string(kind), _string(scope_org), _string(scope_user),
        _string(_ENDPOINTS[request.caller.endpoint]),
        _string(_PROVIDERS[request.provider]),
        _string(request.model),
        _list(request.fallback_models, _string),
        b"\x01" if request.allow_cross_provider_fallback else b"\x00",
        _optional(request.system_prompt or None, _string),
        _list(request.messages, message),
        _optional(request.temperature.value if has("temperature") else None, _double),
        _optional(request.top_p.value if has("top_p") else None, _double),
        _optional(request.max_tokens.value if has("max_tokens") else None, lambda n: struct.pack(">Q", n)),
        _list(stops, _string),
        _string("json_object" if request.response_format == 2 else "text"),
    ])


def cache_key(request: Any, scope: str = "org") -> str:
    """The response cache key of a `gateway_pb2.CompleteRequest`: SHA-256 of its canonical encoding, in hex."""
    return hashlib.sha256(canonical_encoding(request, scope)).hexdigest()
