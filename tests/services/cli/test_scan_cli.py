"""``tracktion scan`` (once, into the catalog) and ``tracktion watch`` (a real process)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from tests.core.files.helpers import write
from tracktion.services.cli import app

runner = CliRunner()


def scan(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = runner.invoke(app, ["scan", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


def test_scan_json_lines_then_summary_and_a_rescan_that_reads_nothing(tmp_path: Path) -> None:
    library = tmp_path / "library"
    write(library / "a.mp3")
    write(library / "sub" / "b.flac")
    write(library / "sub" / "b.flac.part")
    database = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
    code, lines = scan(str(library), "--json", "--database", database)
    assert code == 0
    *events, last = lines
    assert sorted(str(e["routing_key"]) for e in events) == ["file.discovered", "file.discovered"]
    assert {e["catalog"] for e in events} == {"added"}
    message = events[0]["message"]
    assert isinstance(message, dict)
    assert message["watched_directory"] == str(library)
    summary = last["summary"]
    assert isinstance(summary, dict)
    assert (summary["files"], summary["hashed"], summary["skipped_unchanged"]) == (2, 2, 0)
    assert summary["bytes"] == 2 * 2048
    assert summary["errors"] == 0
    assert isinstance(summary["seconds"], float)

    (library / "a.mp3").rename(library / "sub" / "a.mp3")
    code, lines = scan(str(library), "--json", "--database", database)
    assert code == 0
    *events, last = lines
    assert [(e["routing_key"], e["catalog"]) for e in events] == [("file.moved", "moved")]
    assert last["summary"]["hashed"] == 1  # type: ignore[index]
    assert last["summary"]["skipped_unchanged"] == 1  # type: ignore[index]

    result = runner.invoke(app, ["scan", str(library), "--database", database])
    assert result.exit_code == 0
    assert "skipped unchanged" in result.stdout
    with sqlite3.connect(tmp_path / "catalog.db") as db:
        [(count,)] = db.execute("select count(*) from files where deleted_at is null")
    assert count == 2


def test_scan_reports_problems_and_usage_errors(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
    code, lines = scan(str(tmp_path / "missing"), "--json", "--database", database)
    assert code == 1
    assert lines[0]["problem"] == "root_missing"
    result = runner.invoke(app, ["scan", str(tmp_path), str(tmp_path / "sub")])
    assert result.exit_code == 2
    assert "inside library root" in result.stderr


def test_watch_fills_the_catalog_until_interrupted(tmp_path: Path) -> None:
    library = tmp_path / "library"
    write(library / "old.mp3")
    database = tmp_path / "catalog.db"
    env = {
        **os.environ,
        "TRACKTION_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "TRACKTION_BROKER_URL": "memory://",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tracktion.services.cli import main; main()",
            "watch",
            str(library),
            "--stability",
            "0.2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for_rows(database, 1, process)
        write(library / "new.mp3")
        assert wait_for_rows(database, 2, process)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr.decode()


def wait_for_rows(database: Path, count: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            with sqlite3.connect(database) as db:
                [(rows,)] = db.execute("select count(*) from files where deleted_at is null")
            if rows >= count:
                return True
        except sqlite3.Error:
            pass  # not created or migrated yet
        time.sleep(0.1)
    return False
