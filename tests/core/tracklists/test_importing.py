"""One entry point: kinds told by extension or content; the JSON form round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from tracktion.core.tracklists import (
    SourceKind,
    Tracklist,
    TracklistFormatError,
    detect_kind,
    import_tracklist,
    read_tracklist,
)

from .test_text import tracklists

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("a.cue", b"", SourceKind.CUE),
        ("a.M3U8", b"", SourceKind.M3U),
        ("a.htm", b"", SourceKind.HTML),
        ("a", b"#EXTM3U\n#EXTINF:1,A - B\n", SourceKind.M3U),
        ("a", b'\xef\xbb\xbf{"entries": []}', SourceKind.JSON),
        ("a", b"<!DOCTYPE html><html>", SourceKind.HTML),
        ("a", b'REM GENRE x\nFILE "m.wav" WAVE\n  TRACK 01 AUDIO\n', SourceKind.CUE),
        ("a", b"[00:00] A - B\n", SourceKind.TEXT),
    ],
)
def test_kinds_by_extension_then_content(name: str, head: bytes, kind: SourceKind) -> None:
    assert detect_kind(name, head) is kind


def test_every_kind_imports(tmp_path: Path) -> None:
    page = read_tracklist(DATA / "1001_page.html")
    assert page.tracklist.source == "1001tracklists"
    saved = tmp_path / "set.json"
    saved.write_text(json.dumps(page.tracklist.to_dict()))
    assert read_tracklist(saved).tracklist == page.tracklist
    m3u = import_tracklist(b"#EXTM3U\n#EXTINF:60,A - B\na.mp3\n", source="x")
    assert m3u.tracklist.source == "m3u"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "x.json: not JSON"),
        (b'{"entries": {}}', "x.json: a tracklist is an object with an 'entries' list"),
        (b'{"entries": [{"artist": "A"}]}', r"x.json \(entry 1\): invalid entry"),
        (b'{"entries": [{"artist": "A", "title": "B", "start_s": -1}]}', "not >= 0"),
    ],
)
def test_bad_json_names_the_input_and_entry(data: bytes, message: str) -> None:
    with pytest.raises(TracklistFormatError, match=message):
        import_tracklist(data, source="x.json")


def test_unreadable_files_are_format_errors(tmp_path: Path) -> None:
    with pytest.raises(TracklistFormatError, match="cannot read"):
        read_tracklist(tmp_path / "missing.txt")


@settings(max_examples=50, deadline=None)
@given(tracklists())
def test_the_json_form_round_trips(tracklist: Tracklist) -> None:
    assert Tracklist.from_dict(json.loads(json.dumps(tracklist.to_dict()))) == tracklist
