"""The skip-locally / fail-on-CI policy of `require_server`, without any real server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.servers import require_server


@pytest.fixture
def closed_port() -> int:
    # A port the kernel just handed out and took back: nothing listens on it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.settimeout(5)
        yield sock


def test_unreachable_server_skips_locally(
    closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match=r"Demo is not reachable on 127\.0\.0\.1:"):
        require_server("Demo", "127.0.0.1", closed_port)


@pytest.mark.parametrize("value", ["true", "TRUE", "True"])
def test_unreachable_server_fails_on_ci(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)

    with pytest.raises(pytest.fail.Exception, match=r"Demo is not reachable on 127\.0\.0\.1:"):
        require_server("Demo", "127.0.0.1", closed_port)


def test_ci_other_than_true_still_skips(closed_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")

    with pytest.raises(pytest.skip.Exception):
        require_server("Demo", "127.0.0.1", closed_port)


@pytest.mark.parametrize("ci", ["true", None])
def test_reachable_server_passes(
    listener: socket.socket, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)

    require_server("Demo", "127.0.0.1", listener.getsockname()[1])

    # The probe really connected: its connection is waiting in the backlog.
    connection, _ = listener.accept()
    connection.close()
