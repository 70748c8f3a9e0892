"""Policy for tests that need a real server: skip when it is missing locally, fail on CI."""

from __future__ import annotations

import os
import socket

import pytest

# Marks the skip reasons produced here, so the end-of-run summary can find them.
SKIP_MARK = "integration test skipped"


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Return if `host:port` accepts TCP connections, else skip (locally) or fail (CI=true)."""
    if reachable(host, port):
        return
    where = f"{name} is not reachable on {host}:{port}"
    if on_ci():
        pytest.fail(f"{where} and CI=true — `scripts/ensure-services` starts it", pytrace=False)
    pytest.skip(
        f"{where} — {SKIP_MARK} "
        "(set CI=true to make this a failure; `scripts/ensure-services` starts it)"
    )
