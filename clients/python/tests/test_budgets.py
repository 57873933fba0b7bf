"""Budgets and alerts from Python, through a real aigw on the embedded store."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from aigw.v1 import admin_pb2, common_pb2, frame_pb2, gateway_pb2
from aigw_client import Client, RPCError

from live_server import start_server


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    server = start_server(tmp_path)
    try:
        with Client.connect_unix(server.socket_path, client_name="pytest/budgets") as c:
            yield c
    finally:
        server.stop()


def track(request_id: str) -> gateway_pb2.TrackUsageRequest:
    # gpt-4o-mini, 1,000 in and 500 out: exactly 450,000 nano-dollars.
    return gateway_pb2.TrackUsageRequest(
        request_id=request_id,
        caller=common_pb2.Caller(user_id="py-user", org_id="py-org", endpoint=common_pb2.ENDPOINT_SUMMARIZE),
        model="gpt-4o-mini",
        usage=common_pb2.Usage(input_tokens=1000, output_tokens=500),
    )


def test_a_budget_alerts_once_per_threshold(client: Client) -> None:
    created = client.call("Admin", "CreateBudgetAlert", admin_pb2.CreateBudgetAlertRequest(alert=admin_pb2.BudgetAlert(
        name="py team", org_id="py-org", limit_nano_usd=900_000, period=common_pb2.PERIOD_DAILY,
        notify_at_percent=[100, 50], enabled=True)))
    assert created.id.startswith("bud_")
    assert list(created.notify_at_percent) == [50, 100]
    for i in range(3):
        client.call("Gateway", "TrackUsage", track(f"py-{i}"))
    alerts = client.call("Admin", "ListAlerts", admin_pb2.ListAlertsRequest()).alerts
    percents = [dict((d.key, d.value) for d in a.details)["threshold_percent"] for a in alerts]
    assert percents == ["100", "50"]
    assert alerts[0].kind == "budget_threshold" and alerts[0].subject == "org:py-org"
    listed = client.call("Admin", "ListBudgetAlerts", admin_pb2.ListBudgetAlertsRequest(org_id="py-org")).alerts
    assert [b.spent_nano_usd for b in listed] == [1_350_000]


def test_a_budget_without_a_subject_is_refused(client: Client) -> None:
    with pytest.raises(RPCError) as info:
        client.call("Admin", "CreateBudgetAlert", admin_pb2.CreateBudgetAlertRequest(alert=admin_pb2.BudgetAlert(
            name="nobody", limit_nano_usd=1, period=common_pb2.PERIOD_DAILY, enabled=True)))
    assert info.value.code == frame_pb2.STATUS_CODE_INVALID_ARGUMENT
    assert info.value.reason == "invalid_budget"
