"""``tracktion cue validate`` and ``tracktion cue convert``: output, exit status, safety."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.core.cue.sheets import EAC, LONG_MIX
from tracktion.core.cue import parse_cue
from tracktion.services.cli import app

runner = CliRunner()


def run(*args: str | Path, stdin: bytes | None = None) -> Result:
    return runner.invoke(app, ["cue", *(str(arg) for arg in args)], input=stdin)


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "mix.cue"
    path.write_bytes(EAC.encode())
    return path


def test_help_lists_the_commands() -> None:
    result = run()
    assert result.exit_code == 2
    assert "validate" in result.output
    assert "convert" in result.output


def test_validate_a_good_sheet(sheet: Path) -> None:
    result = run("validate", sheet)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{sheet}: valid (0 errors, 0 warnings)"


def test_validate_reports_errors_with_lines_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cue"
    bad.write_text(
        'FILE "a.wav" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:10:00\n'
        "  TRACK 02 AUDIO\n    INDEX 01 00:05:00\n"
    )
    result = run("validate", bad)
    assert result.exit_code == 1
    assert f"{bad}:5: error [index-increasing]" in result.stdout
    assert "Traceback" not in result.output


def test_validate_json_against_audio_duration_and_profile(sheet: Path, tmp_path: Path) -> None:
    result = run("validate", sheet, "--json", "--profile", "kodi", "--audio", tmp_path / "no.wav")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["is_valid"] is False
    assert report["profile"] == "kodi"
    assert [error["rule"] for error in report["errors"]] == ["audio-missing"]
    assert {warning["rule"] for warning in report["warnings"]} >= {"profile-isrc"}


@pytest.mark.parametrize("data", [b"", b"\x00\x01junk" * 40])
def test_validate_junk_is_invalid_without_traceback(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.cue"
    path.write_bytes(data)
    result = run("validate", path)
    assert result.exit_code == 1
    assert f"{path}: error [unreadable]" in result.stdout or f"{path}:1: error" in result.stdout


def test_validate_reads_standard_input() -> None:
    result = run("validate", "-", stdin=EAC.encode())
    assert result.exit_code == 0
    assert result.stdout.startswith("<stdin>: valid")


def test_usage_errors_exit_2(sheet: Path, tmp_path: Path) -> None:
    missing = run("validate", tmp_path / "missing.cue")
    assert missing.exit_code == 2
    assert "cannot read" in missing.stderr
    unknown = run("convert", sheet, "--to", "winamp")
    assert unknown.exit_code == 2
    assert "unknown CUE profile 'winamp'" in unknown.stderr


def test_convert_prints_the_sheet_and_the_dropped_metadata(sheet: Path) -> None:
    result = run("convert", sheet, "--to", "kodi")
    assert result.exit_code == 0, result.output
    converted = parse_cue(result.stdout_bytes).sheet
    assert [track.title for track in converted.tracks] == ["Intro", "Bon Voyage", "Fade"]
    assert "CATALOG" not in result.stdout
    assert f"{sheet}:18: dropped: track 2: INDEX 00 04:58:50" in result.stderr
    assert "dropped: CATALOG is not kept by kodi" in result.stderr
    assert sheet.read_bytes() == EAC.encode()


def test_convert_writes_atomically_and_refuses_to_overwrite(sheet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.cue"
    first = run("convert", sheet, "--to", "rekordbox", "-o", out)
    assert first.exit_code == 0, first.output
    assert b"\tTRACK 01 AUDIO" in out.read_bytes()
    again = run("convert", sheet, "--to", "standard", "-o", out)
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert b"\tTRACK 01 AUDIO" in out.read_bytes()
    forced = run("convert", sheet, "--to", "standard", "-o", out, "--force")
    assert forced.exit_code == 0
    assert out.read_bytes() == EAC.encode()


def test_convert_never_touches_the_input_unless_forced(sheet: Path) -> None:
    refused = run("convert", sheet, "--to", "kodi", "-o", sheet)
    assert refused.exit_code == 2
    assert sheet.read_bytes() == EAC.encode()
    forced = run("convert", sheet, "--to", "kodi", "-o", sheet, "--force")
    assert forced.exit_code == 0
    assert b"CATALOG" not in sheet.read_bytes()


def test_convert_a_sheet_the_profile_cannot_hold_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "long.cue"
    path.write_text(LONG_MIX)
    out = tmp_path / "cd.cue"
    result = run("convert", path, "--to", "cdj", "-o", out)
    assert result.exit_code == 1
    assert "99:59:74" in result.stderr
    assert not out.exists()
    junk = tmp_path / "junk.cue"
    junk.write_bytes(b"")
    assert run("convert", junk, "--to", "kodi").exit_code == 1
