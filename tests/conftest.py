"""Shared fixtures: URLs of the real servers used by the integration tests."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from tests.servers import SKIP_MARK, require_server


def _server_url(name: str, env_var: str, default: str) -> str:
    url = os.environ.get(env_var) or default
    parts = urlsplit(url)
    default_port = urlsplit(default).port
    assert default_port is not None
    require_server(name, parts.hostname or "127.0.0.1", parts.port or default_port)
    return url


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return _server_url("RabbitMQ", "TRACKTION_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _server_url(
        "PostgreSQL", "TRACKTION_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _server_url("Redis", "TRACKTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # `-ra` lists these among all skips; repeat them apart so a missing server cannot go unseen.
    missing = [
        (report.nodeid, report.longrepr[2])
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and SKIP_MARK in report.longrepr[2]
    ]
    if not missing:
        return
    terminalreporter.section("integration tests skipped: server missing", yellow=True, bold=True)
    for nodeid, reason in missing:
        terminalreporter.write_line(f"SKIPPED {nodeid}: {reason.removeprefix('Skipped: ')}")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # Async tests (`@pytest.mark.anyio`) run on asyncio, which every adapter supports.
    return "asyncio"
