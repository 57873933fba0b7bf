"""Fixtures for the live tests: a session-wide aigw server and a short temporary directory.

The binary is ``$AIGW_BIN`` or ``<repo>/.build/debug/aigw``; see live_server.py. When it is missing the live tests
*fail* with a clear message rather than skip: a skipped suite looks green in CI while testing nothing.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from live_server import RunningServer, start_server


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short temporary directory: Unix socket paths are limited to ~107 bytes, pytest's tmp_path can be longer."""
    path = Path(tempfile.mkdtemp(prefix="aigw-py-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def aigw_server() -> Iterator[RunningServer]:
    """One server for the whole session, stopped with SIGTERM (a graceful drain) at the end."""
    workdir = Path(tempfile.mkdtemp(prefix="aigw-py-"))
    try:
        server = start_server(workdir)
        try:
            yield server
        finally:
            code = server.stop()
            if code not in (0, -signal.SIGTERM):
                print(f"aigw exited with {code}:\n{server.log_tail()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
