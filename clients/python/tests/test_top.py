"""`aigwctl top` driven in a pseudo-terminal, as an operator would run it: over the Unix socket and over TCP with
the admin token, it renders the live view with the traffic just sent, and `q` quits with status 0."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from aigw.v1 import common_pb2, gateway_pb2
from aigw_client import Client

from live_server import RunningServer, aigw_bin, start_server

TOKEN = "top-secret-token"


def aigwctl_bin() -> Path:
    return Path(os.environ.get("AIGWCTL_BIN", str(aigw_bin().parent / "aigwctl")))


@pytest.fixture
def server(short_tmp: Path) -> Iterator[RunningServer]:
    running = start_server(short_tmp, extra_env={"AIGW_ADMIN_TOKEN": TOKEN})
    try:
        yield running
    finally:
        running.stop()


def send_traffic(server: RunningServer) -> None:
    with Client.connect_unix(server.socket_path, client_name="pytest/top") as client:
        for i in range(5):
            client.call(
                "Gateway",
                "TrackUsage",
                gateway_pb2.TrackUsageRequest(
                    request_id=f"top-{i}",
                    caller=common_pb2.Caller(user_id="py-top", org_id="py-org", endpoint=common_pb2.ENDPOINT_CHAT),
                    model="gpt-4o-mini",
                    usage=common_pb2.Usage(input_tokens=1000, output_tokens=500),
                ),
            )


def run_top(args: List[str]) -> str:
    """Runs `aigwctl top` on a pseudo-terminal until two frames showed the traffic, presses q, and returns what it
    drew. Fails when it does not draw, does not quit on q, or exits non-zero."""
    binary = aigwctl_bin()
    assert binary.is_file(), f"aigwctl not found at {binary}; build it or set AIGWCTL_BIN"
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(binary), "top", "--interval", "0.2", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    screen = b""
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and screen.count(b"calls/s") < 3:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(leader, 65536)
                except OSError:
                    break
            if process.poll() is not None:
                break
        assert process.poll() is None, f"top exited early ({process.returncode}):\n{screen.decode(errors='replace')}"
        os.write(leader, b"q")
        code = process.wait(timeout=5)
        # Drain what it printed last.
        while select.select([leader], [], [], 0.1)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    text = screen.decode(errors="replace")
    assert code == 0, text
    return text


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_top_renders_live_traffic_and_quits_on_q(server: RunningServer, transport: str) -> None:
    send_traffic(server)
    where = ["--socket", server.socket_path] if transport == "unix" else ["--tcp", f"{server.host}:{server.port}"]
    text = run_top(where + ["--token", TOKEN])
    assert "\x1b[2J" in text, "a terminal gets a redrawn screen"
    assert (f"unix:{server.socket_path}" if transport == "unix" else f"{server.host}:{server.port}") in text
    assert "BUSIEST CALLERS (last 60s)" in text
    assert "py-org/py-top" in text
    assert "gpt-4o-mini" in text
    assert "$0.00225" in text, "five records at $0.00045"
    assert "error rate" in text and "cache hit rate" in text and "queue" in text


def test_top_without_the_token_over_tcp_fails_clearly(server: RunningServer) -> None:
    result = subprocess.run(
        [str(aigwctl_bin()), "top", "--tcp", f"{server.host}:{server.port}", "--iterations", "1"],
        capture_output=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert b"UNAUTHENTICATED" in result.stderr or b"PERMISSION_DENIED" in result.stderr, result.stderr
