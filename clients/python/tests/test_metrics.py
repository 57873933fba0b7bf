"""The Prometheus endpoint of the live server, parsed by the reference parser (prometheus-client).

It checks that the exposition is valid text format, that the documented families exist with the right types, and
that counters move with traffic made through the Python client.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from typing import Dict, Tuple

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aigw.v1 import admin_pb2, common_pb2, gateway_pb2
from aigw_client import Client

from live_server import RunningServer

# Family name (as the parser reports it: counters without `_total`) -> type.
EXPECTED_FAMILIES = {
    "aigw_rpc_requests": "counter",
    "aigw_rpc_duration_seconds": "histogram",
    "aigw_ratelimit_checks": "counter",
    "aigw_ratelimit_denials": "counter",
    "aigw_ratelimit_shadow_denials": "counter",
    "aigw_ratelimit_fail_open": "counter",
    "aigw_connections_open": "gauge",
    "aigw_rpc_in_flight": "gauge",
    "aigw_build_info": "gauge",
    "aigw_process_start_time_seconds": "gauge",
}
# Families that appear once usage has been recorded.
USAGE_FAMILIES = {"aigw_usage_records": "counter", "aigw_tokens": "counter", "aigw_cost_usd": "counter"}

Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


def scrape(server: RunningServer) -> Tuple[Dict[str, str], Samples]:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode("utf-8")
    types: Dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return types, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and all((k, w) in ls for k, w in labels.items()))


def test_exposition_parses_with_the_documented_families(aigw_server: RunningServer) -> None:
    with Client.connect_unix(aigw_server.socket_path) as client:
        client.call("Admin", "Health", admin_pb2.HealthRequest())
    types, samples = scrape(aigw_server)
    for name, kind in EXPECTED_FAMILIES.items():
        assert types.get(name) == kind, f"{name}: {types.get(name)}"
    # Every histogram has its +Inf bucket equal to its count.
    for (name, labels), count in samples.items():
        if name.endswith("_count") and types.get(name[: -len("_count")]) == "histogram":
            inf = samples[(name[: -len("_count")] + "_bucket", tuple(sorted(dict(labels, le="+Inf").items())))]
            assert inf == count
    assert value(samples, "aigw_build_info") == 1


def test_counters_move_with_traffic(aigw_server: RunningServer) -> None:
    user = f"py-metrics-{uuid.uuid4()}"
    caller = common_pb2.Caller(user_id=user, endpoint=common_pb2.ENDPOINT_TRANSLATION)
    _, before = scrape(aigw_server)
    with Client.connect_unix(aigw_server.socket_path) as client:
        # The default translation user limit is 10 per minute: 10 allowed, 2 denied.
        answers = [client.call("Gateway", "CheckLimit", gateway_pb2.CheckLimitRequest(caller=caller)) for _ in range(12)]
        usage = gateway_pb2.TrackUsageRequest(
            request_id=f"req-{uuid.uuid4()}",
            caller=common_pb2.Caller(user_id=user, org_id="py-org", endpoint=common_pb2.ENDPOINT_TRANSLATION),
            model="gpt-4o-mini",
            usage=common_pb2.Usage(input_tokens=100, output_tokens=40),
        )
        client.call("Gateway", "TrackUsage", usage)
    assert [a.allowed for a in answers] == [True] * 10 + [False] * 2
    types, after = scrape(aigw_server)
    for name, kind in USAGE_FAMILIES.items():
        assert types.get(name) == kind, f"{name}: {types.get(name)}"

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("aigw_ratelimit_checks_total", endpoint="translation", result="allowed") == 10
    assert delta("aigw_ratelimit_checks_total", endpoint="translation", result="denied") == 2
    assert delta("aigw_ratelimit_denials_total", endpoint="translation", level="user") == 2
    assert delta("aigw_rpc_requests_total", method="aigw.v1.Gateway/CheckLimit", code="OK") == 12
    assert delta("aigw_rpc_duration_seconds_count", method="aigw.v1.Gateway/CheckLimit") == 12
    assert delta("aigw_tokens_total", model="gpt-4o-mini", endpoint="translation", kind="input") == 100
    assert delta("aigw_tokens_total", model="gpt-4o-mini", endpoint="translation", kind="output") == 40
    assert delta("aigw_cost_usd_total", model="gpt-4o-mini", endpoint="translation") > 0


def test_other_paths_are_not_found(aigw_server: RunningServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"http://127.0.0.1:{aigw_server.metrics_port}/", timeout=5)
    assert error.value.code == 404
