"""The converter keeps what the target keeps and reports the rest."""

from __future__ import annotations

import pytest

from tracktion.core.cue import (
    ChangeKind,
    CueParseError,
    CueRenderError,
    UnknownCueProfileError,
    convert_cue,
    parse_cue,
)

from .sheets import EAC, LONG_MIX, REKORDBOX


def test_convert_to_rekordbox_reports_every_dropped_field() -> None:
    conversion = convert_cue(EAC.encode(), to="rekordbox")
    assert conversion.profile == "rekordbox"
    dropped = {(change.field, change.track) for change in conversion.dropped}
    assert dropped == {
        ("rem:DISCID", None),
        ("catalog", None),
        ("isrc", 1),
        ("flags", 2),
        ("index-00", 2),
        ("track-rem", 3),
    }
    assert all(change.kind is ChangeKind.DROPPED for change in conversion.dropped)
    kept = conversion.sheet
    assert kept.rem("GENRE") == "Progressive House"
    assert [track.title for track in kept.tracks] == ["Intro", "Bon Voyage", "Fade"]
    assert [str(track.start) for track in kept.tracks] == ["00:00:00", "05:00:00", "09:12:74"]
    assert parse_cue(conversion.rendered.data).sheet == kept


def test_round_trip_back_to_standard_keeps_what_survived() -> None:
    to_kodi = convert_cue(parse_cue(EAC), to="kodi")
    back = convert_cue(to_kodi.rendered.data, to="standard")
    assert back.changes == ()
    assert back.sheet == to_kodi.sheet


def test_lines_the_parser_skipped_are_reported_as_dropped() -> None:
    text = REKORDBOX.replace("REM DATE", 'ARRANGER "x"\nREM DATE', 1) + "FROB 1\n"
    conversion = convert_cue(text, to="kodi")
    lines = [change for change in conversion.dropped if change.field == "line"]
    assert [change.line for change in lines] == [1, 17]


def test_conversion_errors() -> None:
    with pytest.raises(UnknownCueProfileError):
        convert_cue(EAC, to="mp3")
    with pytest.raises(CueRenderError):
        convert_cue(LONG_MIX, to="cdj")
    with pytest.raises(CueParseError, match=r"in\.cue"):
        convert_cue(b"", to="kodi", source="in.cue")


def test_to_dict_lists_changes() -> None:
    data = convert_cue(EAC, to="serato").to_dict()
    assert data["profile"] == "serato"
    catalog = next(change for change in data["changes"] if change["field"] == "catalog")
    assert catalog == {
        "kind": "dropped",
        "field": "catalog",
        "message": "CATALOG is not kept by serato",
        "track": None,
        "value": "0724384960650",
        "line": None,
    }
