"""External programs the tests use: skipped locally when missing, a failure under CI=true."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest
import pytest_socket

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def require_program(name: str) -> str:
    """Return the program's path; skip (locally) or fail (in CI) when it is not installed."""
    path = (
        shutil.which(name)
        or shutil.which(name, path=str(Path(sys.executable).parent))
        or next((str(folder / name) for folder in POSTGRES_BIN if (folder / name).exists()), None)
    )
    if path is None:
        message = f"{name} is not installed (scripts/setup installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)  # only locally: under CI=true the test has failed above
    return path


def require_root(reason: str) -> None:
    """Skip locally (fail in CI) when not running as root."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail(f"needs root: {reason}")
        pytest.skip(f"needs root: {reason}")  # only locally: CI=true failed above


def allow_loopback_sockets() -> None:
    """Lift HA's test-time socket block, also for module- and session-scoped fixtures.

    HA's plugin blocks sockets before each test, and wider-scoped fixtures are set up before the
    per-test `socket_enabled` fixture; its 127.0.0.1-only allow-list stays in force.
    """
    pytest_socket.enable_socket()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    allow_loopback_sockets()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
