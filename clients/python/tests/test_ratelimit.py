"""The rate-limit header mapping (docs/protocol.md, "Rate limit headers") and CheckLimit against the live server."""

from __future__ import annotations

import uuid

from aigw.v1 import common_pb2, gateway_pb2
from aigw_client import Client, rate_limit_headers

from live_server import RunningServer


def answer(**fields: object) -> gateway_pb2.CheckLimitResponse:
    return gateway_pb2.CheckLimitResponse(**fields)  # type: ignore[arg-type]


def test_allowed_answer_has_no_retry_after() -> None:
    headers = rate_limit_headers(answer(allowed=True, limit=10, remaining=7, reset_at_unix_ms=10_500), now_ms=10_000)
    assert headers == {"RateLimit-Limit": "10", "RateLimit-Remaining": "7", "RateLimit-Reset": "1"}


def test_denied_answer_rounds_retry_after_up_and_to_at_least_one() -> None:
    headers = rate_limit_headers(
        answer(allowed=False, limit=10, remaining=0, reset_at_unix_ms=70_001, retry_after_ms=6_001), now_ms=10_000
    )
    assert headers["RateLimit-Reset"] == "61"
    assert headers["Retry-After"] == "7"
    tiny = rate_limit_headers(answer(allowed=False, retry_after_ms=0, reset_at_unix_ms=0), now_ms=10_000)
    assert tiny["Retry-After"] == "1"
    assert tiny["RateLimit-Reset"] == "0"


def test_check_limit_denies_past_the_user_limit(aigw_server: RunningServer) -> None:
    user = f"py-{uuid.uuid4()}"
    caller = common_pb2.Caller(user_id=user, org_id=f"org-{user}", endpoint=common_pb2.ENDPOINT_EMBEDDINGS)
    with Client.connect_unix(aigw_server.socket_path) as client:
        # The default embeddings user limit is 30 per minute.
        results = [client.call("Gateway", "CheckLimit", gateway_pb2.CheckLimitRequest(caller=caller)) for _ in range(31)]
    assert [r.allowed for r in results] == [True] * 30 + [False]
    denied = results[-1]
    assert denied.denied_by == gateway_pb2.LIMIT_LEVEL_USER
    assert denied.retry_after_ms > 0
    headers = rate_limit_headers(denied)
    assert headers["RateLimit-Limit"] == "30"
    assert headers["RateLimit-Remaining"] == "0"
    assert int(headers["Retry-After"]) >= 1
