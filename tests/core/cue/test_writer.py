"""Writers: each profile's layout and limits, folding, long mixes, atomic writing."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tracktion.core.cue import (
    PROFILES,
    ChangeKind,
    CueFile,
    CueIndex,
    CueRenderError,
    CueSheet,
    CueTime,
    CueTrack,
    CueWriteError,
    UnknownCueProfileError,
    get_profile,
    parse_cue,
    render_cue,
    validate_cue,
    write_cue,
)

from .sheets import EAC, LONG_MIX, mix


def test_profiles_are_the_contract_formats() -> None:
    from tracktion.contracts import CueFormat

    assert set(PROFILES) == {member.value for member in CueFormat}
    assert get_profile("KODI") is PROFILES["kodi"]
    assert get_profile(CueFormat.CDJ) is PROFILES["cdj"]
    with pytest.raises(UnknownCueProfileError, match="known: standard"):
        get_profile("winamp")


def test_standard_keeps_everything_in_cdrwin_layout() -> None:
    sheet = parse_cue(EAC).sheet
    rendered = render_cue(sheet, "standard")
    assert rendered.changes == ()
    assert rendered.data == EAC.encode()
    assert parse_cue(rendered.data).sheet == sheet


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_output_reparses_to_its_model(name: str) -> None:
    rendered = render_cue(parse_cue(EAC).sheet, name)
    profile = PROFILES[name]
    assert rendered.data.startswith(b"REM")
    assert (b"\r\n" in rendered.data) == (profile.newline == "\r\n")
    reparsed = parse_cue(rendered.data, encoding=profile.encoding)
    assert reparsed.issues == ()
    assert reparsed.sheet == rendered.sheet
    assert validate_cue(rendered.data, profile=name).is_valid


def test_profile_differences_are_reported_as_changes() -> None:
    sheet = parse_cue(EAC).sheet
    kodi = render_cue(sheet, "kodi")
    dropped = {change.field for change in kodi.changes if change.kind is ChangeKind.DROPPED}
    assert dropped == {"rem:DISCID", "rem:COMMENT", "catalog", "isrc", "flags", "index-00"}
    assert "CATALOG" not in kodi.text
    assert "INDEX 00" not in kodi.text
    assert "REM REPLAYGAIN_TRACK_GAIN -7.20 dB" in kodi.text
    rekordbox = render_cue(sheet, "rekordbox")
    assert "\tTRACK 01 AUDIO\n\t\tTITLE" in rekordbox.text
    assert "REPLAYGAIN" not in rekordbox.text
    assert all(warning.rule.startswith("profile-") for warning in rekordbox.warnings)


def test_file_type_tokens() -> None:
    sheet = mix([0, 10], name="set.mp3")
    assert 'FILE "set.mp3" MP3' in render_cue(sheet, "standard").text
    assert 'FILE "set.mp3" WAVE' in render_cue(sheet, "serato").text
    aiff = replace(sheet, files=(CueFile("set.aiff", "WAVE"),))
    assert 'FILE "set.aiff" AIFF' in render_cue(aiff, "kodi").text


def test_kodi_writes_base_names() -> None:
    sheet = mix([0, 10], name="C:\\Mixes\\2024\\set.flac")
    rendered = render_cue(sheet, "kodi")
    assert 'FILE "set.flac" WAVE' in rendered.text
    assert [change.field for change in rendered.changes] == ["file"]


def test_cdj_writes_cp1252_and_replaces_what_it_cannot_hold() -> None:
    sheet = mix([0, 10], titles=["Café", "東京"], performers=["A", "B"])
    rendered = render_cue(sheet, "cdj")
    assert 'TITLE "Caf\xe9"'.encode("latin-1") in rendered.data
    assert b'TITLE "??"' in rendered.data
    assert [change.field for change in rendered.changes] == ["title"]


def test_quotes_and_control_characters_are_replaced() -> None:
    sheet = mix([0, 10], titles=['Say "Hi"', "Tab\there"])
    rendered = render_cue(sheet, "standard")
    assert "TITLE \"Say 'Hi'\"" in rendered.text
    assert 'TITLE "Tab here"' in rendered.text
    assert len(rendered.changes) == 2


def test_text_limit_cuts_to_80_for_cd_profiles() -> None:
    long_title = "x" * 120
    sheet = mix([0, 10], titles=[long_title, "b"])
    assert f'"{"x" * 80}"' in render_cue(sheet, "cdj").text
    assert long_title in render_cue(sheet, "serato").text


def test_more_than_99_tracks_fold_into_index_points() -> None:
    starts = [n * 10.0 for n in range(120)]
    sheet = mix(starts)
    rendered = render_cue(sheet, "standard")
    assert len(rendered.sheet.tracks) == 99
    last = rendered.sheet.tracks[-1]
    assert [index.number for index in last.indexes] == list(range(1, 23))
    assert [index.time.to_seconds() for index in last.indexes] == starts[98:]
    folded = [change for change in rendered.changes if change.field == "track"]
    assert len(folded) == 21
    assert "Track 100" in folded[0].message
    assert all(warning.rule == "profile-track" for warning in rendered.warnings)


def test_kodi_writes_more_than_99_tracks() -> None:
    sheet = mix([n * 10.0 for n in range(120)])
    rendered = render_cue(sheet, "kodi")
    assert "TRACK 120 AUDIO" in rendered.text
    assert {warning.rule for warning in rendered.warnings} == {"track-number"}


def test_too_many_tracks_to_fold_is_an_error() -> None:
    with pytest.raises(CueRenderError, match="do not fit"):
        render_cue(mix([n * 2.0 for n in range(99 + 99)]), "standard")


def test_long_mixes_per_profile() -> None:
    sheet = parse_cue(LONG_MIX).sheet
    rendered = render_cue(sheet, "standard")
    assert "INDEX 01 245:10:05" in rendered.text
    assert [warning.rule for warning in rendered.warnings] == ["profile-long-mix"]
    with pytest.raises(CueRenderError, match="99:59:74"):
        render_cue(sheet, "cdj")


def test_cdj_warns_past_a_cd_length() -> None:
    rendered = render_cue(mix([0, 81 * 60]), "cdj")
    assert [warning.rule for warning in rendered.warnings] == ["profile-capacity"]


@pytest.mark.parametrize(
    "sheet",
    [
        CueSheet(),  # no tracks
        mix([10, 5]),  # overlapping times
        replace(mix([0, 5]), files=()),  # no FILE
        replace(mix([0]), tracks=(CueTrack(1, ()),)),  # no INDEX 01
        replace(mix([0]), tracks=(CueTrack(1, (CueIndex(1, CueTime(0)),), isrc="bad"),)),
    ],
)
def test_invalid_sheets_are_never_rendered(sheet: CueSheet) -> None:
    with pytest.raises(CueRenderError, match="not valid"):
        render_cue(sheet, "standard")
    assert render_cue(sheet, "standard", strict=False).data


def test_write_cue_is_atomic_and_never_overwrites_by_default(tmp_path: Path) -> None:
    target = tmp_path / "mix.cue"
    rendered = write_cue(mix([0, 60]), target, "standard")
    assert target.read_bytes() == rendered.data
    with pytest.raises(CueWriteError, match="exists"):
        write_cue(mix([0, 30]), target, "standard")
    assert target.read_bytes() == rendered.data
    write_cue(mix([0, 30]), target, "standard", overwrite=True)
    assert b"00:30:00" in target.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["mix.cue"]


def test_write_cue_writes_nothing_for_an_invalid_sheet(tmp_path: Path) -> None:
    with pytest.raises(CueRenderError):
        write_cue(mix([10, 5]), tmp_path / "bad.cue", "standard")
    with pytest.raises(CueWriteError, match="cannot write"):
        write_cue(mix([0, 5]), tmp_path / "missing" / "x.cue", "standard")
    assert os.listdir(tmp_path) == []
