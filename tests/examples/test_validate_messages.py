"""examples/validate_messages.py: every invalid line reported with its field errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from examples import validate_messages
from tracktion.contracts import UnknownMessageTypeError

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "validate_messages.py"
MESSAGES = ROOT / "examples" / "messages"


def _line(name: str) -> str:
    return json.dumps(json.loads((MESSAGES / name).read_text(encoding="utf-8")))


def test_valid_and_invalid_lines_are_reported_with_their_field_errors() -> None:
    lines = [_line("cue_generation.json"), "", _line("invalid_file_event.json"), "[1, 2]"]
    reports = list(validate_messages.validate_lines(lines))
    assert [(r.line, r.message_type, r.is_valid) for r in reports] == [
        (1, "cue_generation", True),
        (3, "file_lifecycle", False),
        (4, "message", False),
    ]
    invalid = reports[1]
    assert {error.location for error in invalid.errors} == {
        "correlation_id",
        "timestamp",
        "sha256_hash",
    }
    printed = validate_messages.report_lines(invalid)
    assert printed[0] == "line 3: invalid file_lifecycle"
    assert any(line.startswith("  timestamp: ") for line in printed[1:])


def test_a_line_of_no_known_type_is_reported() -> None:
    [report] = validate_messages.validate_lines(['{"hello": 1}'])
    assert not report.is_valid
    assert report.message_type is None
    assert "cannot tell the message type" in validate_messages.report_lines(report)[0]


def test_a_given_type_is_used_and_checked_first() -> None:
    [report] = validate_messages.validate_lines([_line("file_discovered.json")], "cue_generation")
    assert report.message_type == "cue_generation"
    assert not report.is_valid
    with pytest.raises(UnknownMessageTypeError, match="nope"):
        list(validate_messages.validate_lines([], "nope"))


def test_script_reads_stdin_and_exits_1_for_an_invalid_message() -> None:
    stdin = "\n".join([_line("cue_generation.json"), _line("invalid_file_event.json")])
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "-"],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "line 1: valid cue_generation",
        "line 2: invalid file_lifecycle",
    ]
    assert done.stderr.strip() == "1 valid, 1 invalid"


def test_script_exits_0_when_all_are_valid_and_2_for_a_missing_file(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(_line("cue_generation.json") + "\n" + _line("file_discovered.json") + "\n")
    assert validate_messages.main([str(good)]) == 0
    assert validate_messages.main([str(tmp_path / "missing.jsonl")]) == 2
