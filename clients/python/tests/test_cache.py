"""The response cache from Python: the documented key, and hits, stats and flushing through a real aigw."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from aigw.v1 import admin_pb2, common_pb2, gateway_pb2
from aigw_client import Client, cache_key

from live_server import _free_tcp_port, aigw_bin, start_server


def vector_request() -> gateway_pb2.CompleteRequest:
    request = gateway_pb2.CompleteRequest(
        request_id="ignored",
        caller=common_pb2.Caller(user_id="alice", org_id="acme", endpoint=common_pb2.ENDPOINT_CHAT),
        model="gpt-4o-mini",
        fallback_models=["gpt-4o"],
        system_prompt="Be brief.",
        messages=[gateway_pb2.ChatMessage(role=gateway_pb2.ROLE_USER, content="Hi", name="al")],
        stop=["b", "a"],
    )
    request.temperature.value = 0.5
    request.max_tokens.value = 64
    return request


def test_the_key_matches_the_documented_vector() -> None:
    # The same vector as docs/protocol.md and the Swift unit test.
    assert cache_key(vector_request()) == "1e2e492f59126b4da00c745326a9f4d45589d85cd653d4e31c07fc0b079d4c35"


def test_the_key_ignores_ids_and_stop_order_but_not_the_tenant() -> None:
    a, b = vector_request(), vector_request()
    b.request_id = "another"
    del b.stop[:]
    b.stop.extend(["a", "b"])
    assert cache_key(a) == cache_key(b)
    b.caller.org_id = "globex"
    assert cache_key(a) != cache_key(b)
    b.caller.org_id = "acme"
    b.caller.user_id = "bob"
    assert cache_key(a) == cache_key(b)
    assert cache_key(a, scope="user") != cache_key(b, scope="user")
    b.temperature.value = 0.7
    assert cache_key(a) != cache_key(b)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Tuple[Client, str]]:
    port = _free_tcp_port()
    fake = subprocess.Popen(
        [str(aigw_bin()), "fake-upstream", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    assert fake.stdout is not None
    assert "listening" in fake.stdout.readline().decode()
    base = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, extra_env={
        "OPENAI_API_KEY": "sk-py", "OPENAI_BASE_URL": base + "/v1", "AIGW_CACHE_ENABLED": "true",
    })
    try:
        with Client.connect_unix(server.socket_path, client_name="pytest/cache") as client:
            yield client, base
    finally:
        server.stop()
        fake.terminate()
        fake.wait(timeout=10)


def test_a_repeated_request_is_a_hit_then_flushed(gateway: Tuple[Client, str]) -> None:
    client, _ = gateway
    request = gateway_pb2.CompleteRequest(
        caller=common_pb2.Caller(user_id="py-user", org_id="py-org", endpoint=common_pb2.ENDPOINT_CHAT),
        model="gpt-4o-mini",
        messages=[gateway_pb2.ChatMessage(role=gateway_pb2.ROLE_USER, content="cache me")],
    )
    first = client.call("Gateway", "Complete", request)
    second = client.call("Gateway", "Complete", request)
    assert not first.cache_hit and second.cache_hit
    assert second.content == first.content and second.cost_nano_usd == 0
    stats = client.call("Admin", "GetCacheStats", admin_pb2.GetCacheStatsRequest())
    chat = next(o for o in stats.operations if o.endpoint == common_pb2.ENDPOINT_CHAT)
    assert stats.backend == "memory" and chat.hits == 1 and chat.misses == 1 and chat.hit_rate == 0.5
    flushed = client.call("Admin", "FlushCache", admin_pb2.FlushCacheRequest(org_id="py-org"))
    assert flushed.removed == 1
    assert not client.call("Gateway", "Complete", request).cache_hit
