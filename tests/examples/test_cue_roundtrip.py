"""examples/cue_roundtrip.py: written, parsed back, validated and converted without loss."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from examples import cue_roundtrip
from tracktion.core.cue import CueWriteError

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "cue_roundtrip.py"


def test_every_check_of_the_round_trip_holds(tmp_path: Path) -> None:
    result = cue_roundtrip.roundtrip(tmp_path)
    assert result.ok
    standard, rekordbox = result.sheets
    assert standard.path.read_bytes().count(b"\r\n") > 0  # CDRWIN line ends
    assert b"\r\n" not in rekordbox.path.read_bytes()
    assert b"\tTRACK 01 AUDIO" in rekordbox.path.read_bytes()
    assert b"ISRC GBCEL1900001" in standard.path.read_bytes()
    assert b"ISRC" not in rekordbox.path.read_bytes()
    assert [change.field for change in result.conversion.dropped] == ["isrc"]
    assert "-    ISRC GBCEL1900001" in result.diff


def test_an_existing_sheet_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "mix.standard.cue").write_text("mine")
    with pytest.raises(CueWriteError):
        cue_roundtrip.roundtrip(tmp_path)
    assert (tmp_path / "mix.standard.cue").read_text() == "mine"


def test_script_prints_the_checks_and_the_diff(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("mix.standard.cue: ")
    assert "valid for standard; parses as written: yes; tracklist survives: yes" in lines[0]
    assert "same bytes as written directly: yes" in done.stdout
    assert "--- mix.standard.cue" in lines
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "mix.rekordbox.cue",
        "mix.standard.cue",
    ]
