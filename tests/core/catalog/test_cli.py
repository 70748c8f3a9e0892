"""``tracktion db upgrade``: output, diagnostics and exit status."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tracktion.core.catalog import current_revision, head_revision
from tracktion.services.cli import app

runner = CliRunner()


def db(*args: str) -> Result:
    return runner.invoke(app, ["db", *args])


def test_upgrade_migrates_and_prints_the_revision(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"

    first = db("upgrade", "--database", url)
    again = db("upgrade", "--database", url)

    assert first.exit_code == 0, first.output
    assert first.stdout == f"{url}: revision {head_revision()} (was empty)\n"
    assert again.stdout == f"{url}: revision {head_revision()} (unchanged)\n"
    assert asyncio.run(current_revision(url)) == head_revision()


def test_the_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("TRACKTION_DATABASE_URL", url)

    result = db("upgrade")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{url}: revision ")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "error: not a database URL: 'nonsense'\n"),
        (
            "mysql://user:hunter2@db/x",
            "error: unsupported catalog database 'mysql://user:***@db/x'",
        ),
    ],
)
def test_a_bad_url_is_one_line_and_exit_1(url: str, message: str) -> None:
    result = db("upgrade", "--database", url)

    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_an_unreachable_server_is_one_line_and_exit_1() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = db("upgrade", "--database", f"postgresql://u:secret@127.0.0.1:{port}/x", "--wait", "0")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "unreachable" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr
