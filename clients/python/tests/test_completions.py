"""Complete and Stream from Python, through a real aigw, against `aigw fake-upstream` (the real libcurl path).

The fake speaks OpenAI's and Anthropic's wire formats and is scripted over its control API (`/_fake/...`).
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from aigw.v1 import common_pb2, frame_pb2, gateway_pb2
from aigw_client import Client, RPCError

from live_server import RunningServer, _free_tcp_port, aigw_bin, start_server


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Tuple[Client, str]]:
    port = _free_tcp_port()
    fake = subprocess.Popen(
        [str(aigw_bin()), "fake-upstream", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    assert fake.stdout is not None
    line = fake.stdout.readline().decode()
    assert "listening" in line, line
    base = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, extra_env={
        "OPENAI_API_KEY": "sk-py", "OPENAI_BASE_URL": base + "/v1",
        "ANTHROPIC_API_KEY": "sk-ant-py", "ANTHROPIC_BASE_URL": base + "/v1",
        "AIGW_RETRY_BASE_DELAY_MS": "5",
        # These tests are about the upstream path; test_cache.py covers the response cache.
        "AIGW_CACHE_ENABLED": "false",
    })
    try:
        with Client.connect_unix(server.socket_path, client_name="pytest/completions") as client:
            yield client, base
    finally:
        server.stop()
        fake.terminate()
        fake.wait(timeout=10)


def control(base: str, path: str, body: object = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else {}


def request(model: str, text: str = "hello from python") -> gateway_pb2.CompleteRequest:
    return gateway_pb2.CompleteRequest(
        caller=common_pb2.Caller(user_id="py-user", org_id="py-org", endpoint=common_pb2.ENDPOINT_CHAT),
        model=model,
        messages=[gateway_pb2.ChatMessage(role=gateway_pb2.ROLE_USER, content=text)],
    )


def test_complete_answers_with_usage_and_attempts(gateway: Tuple[Client, str]) -> None:
    client, base = gateway
    answer = client.call("Gateway", "Complete", request("gpt-4o-mini"))
    assert answer.content == "You said: hello from python"
    assert answer.provider == common_pb2.PROVIDER_OPENAI
    assert answer.usage.output_tokens == 5
    assert answer.usage.input_tokens == 3
    assert len(answer.attempts) == 1
    assert control(base, "/_fake/stats")["total_attempts"] == 1


def test_stream_relays_deltas_then_the_end(gateway: Tuple[Client, str]) -> None:
    client, _ = gateway
    items = list(client.stream("Gateway", "Stream", request("claude-3-5-haiku", "one two")))
    kinds = [item.WhichOneof("event") for item in items]
    assert kinds[0] == "start" and kinds[-1] == "end", kinds
    assert "".join(item.delta.text for item in items if item.WhichOneof("event") == "delta") == "You said: one two"
    assert items[-1].end.usage.output_tokens == 4


def test_a_server_error_is_retried_and_its_category_travels(gateway: Tuple[Client, str]) -> None:
    client, base = gateway
    control(base, "/_fake/enqueue", {"model": None, "behaviours": ["status:500"]})
    answer = client.call("Gateway", "Complete", request("gpt-4o"))
    assert [a.error_category for a in answer.attempts] == [
        common_pb2.ERROR_CATEGORY_SERVER_ERROR, common_pb2.ERROR_CATEGORY_UNSPECIFIED]
    control(base, "/_fake/default", {"model": None, "behaviour": "auth"})
    with pytest.raises(RPCError) as info:
        client.call("Gateway", "Complete", request("gpt-4o"))
    assert info.value.code == frame_pb2.STATUS_CODE_FAILED_PRECONDITION, info.value
    assert info.value.detail.category == common_pb2.ERROR_CATEGORY_AUTHENTICATION
    assert info.value.reason == "upstream_authentication"


def test_enqueue_then_get_job_waits_for_the_result(gateway: Tuple[Client, str]) -> None:
    client, _ = gateway
    enqueued = client.call("Gateway", "Enqueue", gateway_pb2.EnqueueRequest(
        request=request("gpt-4o-mini", "queued from python"), priority=common_pb2.PRIORITY_LOW,
        idempotency_key="py-1"))
    assert enqueued.job_id.startswith("job_") and not enqueued.duplicate
    again = client.call("Gateway", "Enqueue", gateway_pb2.EnqueueRequest(
        request=request("gpt-4o-mini"), idempotency_key="py-1"))
    assert again.duplicate and again.job_id == enqueued.job_id
    job = client.call("Gateway", "GetJob", gateway_pb2.GetJobRequest(job_id=enqueued.job_id, wait_ms=10_000),
                      timeout=20).job
    assert job.state == gateway_pb2.JOB_STATE_SUCCEEDED
    assert job.attempts == 1 and job.priority == common_pb2.PRIORITY_LOW
    assert job.result.content == "You said: queued from python"
    with pytest.raises(RPCError) as info:
        client.call("Gateway", "GetJob", gateway_pb2.GetJobRequest(job_id="job_0000000000000fff00000000"))
    assert info.value.code == frame_pb2.STATUS_CODE_NOT_FOUND and info.value.reason == "job_not_found"
