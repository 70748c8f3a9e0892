"""Tracklists to CUE sheets (valid for every profile) and CUE files back to tracklists."""

from __future__ import annotations

import pytest

from tracktion.core.cue import PROFILES, render_cue, validate_cue
from tracktion.core.tracklists import (
    TrackEntry,
    Tracklist,
    TracklistError,
    TracklistFormatError,
    cue_file_type,
    parse_cue_tracklist,
    parse_text,
    tracklist_to_cue,
)

SET = """\
# title: Test Mix
# performer: DJ T
01. [00:00] Daft Punk - One More Time (Extended Mix)
02. [03:30] ID - ID
w/ Artist B - Vocal (Acapella)
[1:02:03] Deadmau5 ft. Kaskade - I Remember
"""


def test_a_tracklist_becomes_a_sheet_every_profile_accepts() -> None:
    tracklist = parse_text(SET).tracklist
    sheet = tracklist_to_cue(tracklist, audio_file="/mixes/set.flac", duration_s=4000.0)
    assert (sheet.title, sheet.performer) == ("Test Mix", "DJ T")
    assert [(f.name, f.file_type) for f in sheet.files] == [("/mixes/set.flac", "WAVE")]
    assert [(t.number, t.performer, t.title, str(t.start)) for t in sheet.tracks] == [
        (1, "Daft Punk", "One More Time (Extended Mix)", "00:00:00"),
        (2, "ID", "ID w/ Artist B - Vocal (Acapella)", "03:30:00"),
        (3, "Deadmau5 ft. Kaskade", "I Remember", "62:03:00"),
    ]
    for name in PROFILES:
        rendered = render_cue(sheet, name)
        assert validate_cue(rendered.data, profile=name).is_valid, name


def test_a_sheet_reads_back_to_the_same_entries() -> None:
    tracklist = parse_text(SET).tracklist
    rendered = render_cue(tracklist_to_cue(tracklist, audio_file="set.wav"), "standard")
    back = parse_cue_tracklist(rendered.data, source="set.cue")
    assert back.tracklist.entries == tracklist.entries
    assert back.tracklist.source == "cue"
    assert back.warnings == ()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ((), "empty tracklist"),
        ((TrackEntry("A", "B", 0.0), TrackEntry("C", "D")), r"track 2 \(C - D\) has no start"),
        (
            (TrackEntry("A", "B", 60.0), TrackEntry("C", "D", 30.0)),
            r"track 2 \(C - D\) starts at 00:30, not after the previous track's 01:00",
        ),
        ((TrackEntry("A", "B", 5000.0),), "after the end of the 1:06:40 mix"),
    ],
)
def test_times_a_sheet_cannot_hold_are_refused(
    entries: tuple[TrackEntry, ...], message: str
) -> None:
    with pytest.raises(TracklistError, match=message):
        tracklist_to_cue(Tracklist(entries), audio_file="m.wav", duration_s=4000.0)


def test_file_types() -> None:
    assert cue_file_type("a.MP3") == "MP3"
    assert cue_file_type("a.aiff") == "AIFF"
    assert cue_file_type("a.flac") == "WAVE"


def test_a_sheet_without_tracks_or_a_binary_file_is_a_format_error() -> None:
    with pytest.raises(TracklistFormatError, match=r"^x\.cue"):
        parse_cue_tracklist(b"\x00\x01\x02\x03 junk", source="x.cue")
    with pytest.raises(TracklistFormatError, match="no tracks"):
        parse_cue_tracklist('FILE "a.wav" WAVE\n', source="x.cue")


def test_missing_performer_and_index_are_warned() -> None:
    sheet = 'FILE "a.wav" WAVE\n  TRACK 01 AUDIO\n    TITLE "Only Title"\n'
    result = parse_cue_tracklist(sheet, source="x.cue")
    entry = result.tracklist.entries[0]
    assert (entry.artist, entry.title, entry.start_s) == ("ID", "Only Title", None)
    assert any("INDEX 01" in str(w) for w in result.warnings)
