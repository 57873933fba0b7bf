"""Starting and stopping the real aigw binary for the live tests.

The binary is ``$AIGW_BIN`` or ``<repo>/.build/debug/aigw``. When it is missing the live tests *fail* with a clear
message rather than skip: a skipped suite looks green in CI while testing nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]  # tests -> python -> clients -> repo
DEFAULT_AIGW_BIN = REPO_ROOT / ".build" / "debug" / "aigw"
STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 20.0


def aigw_bin() -> Path:
    return Path(os.environ.get("AIGW_BIN", str(DEFAULT_AIGW_BIN)))


@dataclass
class RunningServer:
    """One aigw process started for tests, with where to reach it."""

    process: "subprocess.Popen[bytes]"
    socket_path: str
    host: str
    port: int
    log_path: Path
    # The Prometheus endpoint, GET http://127.0.0.1:<metrics_port>/metrics.
    metrics_port: int = 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT_S) -> Optional[int]:
        """Signal the server and wait for it to exit; SIGKILL if it does not. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            return False
        return True


def start_server(
    workdir: Path, extra_args: Optional[List[str]] = None, extra_env: Optional[Dict[str, str]] = None
) -> RunningServer:
    """Start ``aigw serve`` on a fresh socket and TCP port and wait until the socket accepts connections."""
    binary = aigw_bin()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"aigw binary not found (or not executable) at {binary}. Build the server first "
            f"(`swift build` in {REPO_ROOT}) or point AIGW_BIN at it.",
            pytrace=False,
        )
    socket_path = str(workdir / "aigw.sock")
    port = _free_tcp_port()
    metrics_port = _free_tcp_port()
    log_path = workdir / "aigw.log"
    args = [
        str(binary),
        "serve",
        "--socket",
        socket_path,
        "--tcp",
        f"127.0.0.1:{port}",
        "--enable-debug-methods",
        *(extra_args or []),
    ]
    # A free metrics port rather than the default 9464, which servers started side by side would share.
    env = dict(os.environ, AIGW_LOG_LEVEL="warning", AIGW_METRICS_LISTEN=f"127.0.0.1:{metrics_port}")
    env.update(extra_env or {})
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = RunningServer(process, socket_path, "127.0.0.1", port, log_path, metrics_port)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"aigw exited with code {process.returncode} during startup: {' '.join(args)}\n{server.log_tail()}",
                pytrace=False,
            )
        if os.path.exists(socket_path) and _accepts(socket_path):
            return server
        time.sleep(0.05)
    server.stop(signal.SIGKILL)
    pytest.fail(
        f"aigw did not accept on {socket_path} within {STARTUP_TIMEOUT_S:.0f} s: {' '.join(args)}\n"
        f"{server.log_tail()}",
        pytrace=False,
    )
