"""The validator: CDRWIN rules, the audio, profiles; a report that maps onto the contract."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tracktion.contracts import ValidationReport
from tracktion.core.cue import (
    CueFile,
    CueIndex,
    CueRem,
    CueSheet,
    CueTime,
    CueTrack,
    parse_cue,
    validate_cue,
)

from .sheets import EAC, EAC_GAPS, LONG_MIX, mix


def rules(report: object) -> set[tuple[int | None, str]]:
    errors = getattr(report, "errors", ())
    return {(issue.line, issue.rule) for issue in errors}


def test_good_sheets_are_valid() -> None:
    for text in (EAC, EAC_GAPS, LONG_MIX):
        report = validate_cue(text.encode())
        assert report.is_valid, report.errors


def test_the_standard_rules_with_line_numbers() -> None:
    text = (
        "CATALOG 12345\n"  # 1
        'FILE "mix.wav" FLAC\n'  # 2
        "  TRACK 01 AUDIO\n"  # 3
        "    ISRC US-S1Z-99-00001\n"  # 4
        "    FLAGS DCP XYZ\n"  # 5
        "    INDEX 01 00:00:00\n"  # 6
        "  TRACK 03 AUDIO\n"  # 7
        "    INDEX 00 00:10:00\n"  # 8
        "  TRACK 04 VIDEO\n"  # 9
        "    INDEX 01 00:05:00\n"  # 10
        "    INDEX 03 00:06:00\n"  # 11
    )
    report = validate_cue(text, source="bad.cue")
    assert not report.is_valid
    assert rules(report) == {
        (None, "catalog-format"),
        (3, "isrc-format"),
        (3, "flags"),
        (7, "track-number"),
        (7, "index-01-missing"),
        (9, "track-type"),
        (9, "index-number"),
        (10, "index-increasing"),
        (11, "index-increasing"),  # still before track 3's 00:10:00
    }
    assert {(issue.line, issue.rule) for issue in report.warnings} == {(2, "file-type")}
    assert report.source == "bad.cue"


def test_model_sheets_without_lines() -> None:
    assert rules(validate_cue(CueSheet())) == {(None, "no-tracks")}
    no_file = replace(mix([0, 5]), files=())
    assert (None, "file-first") in rules(validate_cue(no_file))
    overlapping = mix([0, 30, 30])
    assert (None, "index-increasing") in rules(validate_cue(overlapping))
    back = CueSheet(
        files=(CueFile("a.wav"), CueFile("b.wav")),
        tracks=(
            CueTrack(1, (CueIndex(1, CueTime(0), 1),), file=1),
            CueTrack(2, (CueIndex(1, CueTime(10), 0),), file=0),
        ),
    )
    assert (None, "file-order") in rules(validate_cue(back))


def test_warnings_do_not_invalidate() -> None:
    long_title = mix([1, 5], titles=["t" * 81, "b"])
    report = validate_cue(long_title)
    assert report.is_valid
    assert {issue.rule for issue in report.warnings} == {"text-length", "first-index-zero"}
    long = validate_cue(LONG_MIX)
    assert [issue.rule for issue in long.warnings] == ["minutes-range"]


def test_parse_problems_are_part_of_the_report() -> None:
    report = validate_cue(b'FILE "a.wav" WAVE\n TRACK 01 AUDIO\n  INDEX 01 00:00:75\nJUNK\n')
    assert (3, "frames-range") in rules(report)
    assert (4, "unknown-command") in {(issue.line, issue.rule) for issue in report.warnings}


@pytest.mark.parametrize("data", [b"", b"\x00\xff" * 100, b"no sheet here"])
def test_unreadable_input_is_an_invalid_report_not_an_exception(data: bytes) -> None:
    report = validate_cue(data, source="junk.cue")
    assert not report.is_valid
    assert [issue.rule for issue in report.errors] == ["unreadable"]


def test_profile_compatibility_warnings_and_errors() -> None:
    report = validate_cue(EAC.encode(), profile="kodi")
    assert report.is_valid
    assert report.profile == "kodi"
    assert {issue.rule for issue in report.warnings} == {
        "profile-rem",
        "profile-catalog",
        "profile-isrc",
        "profile-flags",
        "profile-index-00",
    }
    cdj = validate_cue(LONG_MIX, profile="cdj")
    assert [issue.rule for issue in cdj.errors] == ["profile-unrepresentable"]
    many = mix([n * 5.0 for n in range(120)])
    assert (None, "track-number") in rules(validate_cue(many))
    kodi = validate_cue(many, profile="kodi")
    assert kodi.is_valid
    assert "track-number" in {issue.rule for issue in kodi.warnings}


def test_indexes_beyond_the_audio_duration() -> None:
    report = validate_cue(EAC.encode(), audio_duration_s=500.0)
    assert rules(report) == {(23, "index-beyond-audio")}
    assert validate_cue(EAC.encode(), audio_duration_s=600.0).is_valid
    assert rules(validate_cue(EAC.encode(), audio_duration_s=float("nan"))) == {
        (None, "audio-unreadable")
    }


def test_audio_files_are_probed(tmp_path: Path) -> None:
    pytest.importorskip("tracktion.audio.decode")
    audio = tmp_path / "mix.wav"
    soundfile.write(audio, np.zeros(8000 * 12, dtype=np.float32), 8000)  # 12 s
    sheet = mix([0, 5, 11.5], name="mix.wav")
    assert validate_cue(sheet, audio_path=audio).is_valid
    late = mix([0, 5, 12.5], name="mix.wav")
    assert rules(validate_cue(late, audio_path=audio)) == {(None, "index-beyond-audio")}
    missing = validate_cue(sheet, audio_path=tmp_path / "gone.wav")
    assert [issue.rule for issue in missing.errors] == ["audio-missing"]
    assert "gone.wav" in missing.errors[0].message
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF" + b"\x00" * 10)
    unreadable = validate_cue(sheet, audio_path=junk)
    assert [issue.rule for issue in unreadable.errors] == ["audio-unreadable"]


def test_several_files_check_the_one_named_like_the_audio() -> None:
    report = validate_cue(EAC_GAPS.encode(), audio_duration_s=100.0)
    assert "audio-file-ambiguous" in {issue.rule for issue in report.warnings}
    assert rules(report) == {(7, "index-beyond-audio")}  # INDEX 00 of track 2, first file


def test_report_maps_onto_the_contract() -> None:
    report = validate_cue(EAC.encode(), profile="kodi", audio_duration_s=500.0)
    contract = report.to_contract()
    assert isinstance(contract, ValidationReport)
    assert contract.is_valid is False
    assert [issue.rule for issue in contract.errors] == ["index-beyond-audio"]
    assert contract.errors[0].line == 23
    assert len(contract.warnings) == len(report.warnings)
    data = report.to_dict()
    assert data["errors"][0] == {
        "rule": "index-beyond-audio",
        "message": report.errors[0].message,
        "line": 23,
        "severity": "error",
    }
    assert validate_cue(EAC.encode()).to_contract().is_valid


def test_rem_helpers() -> None:
    sheet = parse_cue(EAC).sheet
    assert sheet.rem("comment") == "ExactAudioCopy v1.6"
    assert sheet.rem("missing") is None
    assert CueRem("genre", "x").name == "GENRE"
