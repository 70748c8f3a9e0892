"""The parser reads real-world sheets and reports what it cannot read, with line numbers."""

from __future__ import annotations

import codecs
import contextlib
import os
import time
from pathlib import Path

import pytest

from tracktion.core.cue import (
    CueParseError,
    CueTime,
    Severity,
    parse_cue,
    read_cue,
)

from .sheets import EAC, EAC_GAPS, LONG_MIX, REKORDBOX

QUOTE = "\u2019"  # a typographic apostrophe: in cp1252, not in Latin-1


def test_reads_an_eac_image_sheet() -> None:
    result = parse_cue(EAC.encode())
    sheet = result.sheet
    assert result.issues == ()
    assert (sheet.title, sheet.performer, sheet.catalog) == (
        "Global Underground 026",
        "Various Artists",
        "0724384960650",
    )
    assert sheet.rem("genre") == "Progressive House"
    assert sheet.rem("DISCID") == "8A0B5C0C"
    assert [file.name for file in sheet.files] == ["Global Underground 026.wav"]
    first, second, third = sheet.tracks
    assert (first.title, first.performer, first.isrc) == ("Intro", "Nick Warren", "GBAYE0400001")
    assert second.flags == ("DCP",)
    assert [(i.number, str(i.time)) for i in second.indexes] == [(0, "04:58:50"), (1, "05:00:00")]
    assert third.rems[0].key == "REPLAYGAIN_TRACK_GAIN"
    assert third.rems[0].value == "-7.20 dB"
    assert third.start == CueTime.from_msf(9, 12, 74)
    assert third.line == 20
    assert third.indexes[0].line == 23


def test_reads_a_track_spanning_two_files() -> None:
    sheet = parse_cue(EAC_GAPS).sheet
    assert [file.name for file in sheet.files] == ["01 - Intro.wav", "02 - Bon Voyage.wav"]
    second = sheet.tracks[1]
    assert second.file == 0
    assert [(index.number, index.file) for index in second.indexes] == [(0, 0), (1, 1)]
    assert sheet.tracks[2].file == 1


def test_reads_rekordbox_recording_sheets_with_tabs_and_per_track_files() -> None:
    result = parse_cue(REKORDBOX.encode())
    assert result.errors == ()
    sheet = result.sheet
    assert sheet.rem("RECORDED_BY") == "rekordbox-dj"
    assert sheet.rem("DATE") == "2023-06-01 01:38 PM"
    assert [track.title for track in sheet.tracks] == ["Shot You Down", "Tzu-Mani"]
    assert len(sheet.files) == 3
    assert sheet.tracks[1].indexes[0].file == 2


def test_reads_minutes_past_99_and_unquoted_names() -> None:
    sheet = parse_cue(LONG_MIX).sheet
    assert sheet.files[0].name == "closing set.flac"
    assert str(sheet.tracks[2].start) == "245:10:05"
    assert sheet.rem("REPLAYGAIN_ALBUM_GAIN") == "-8.10 dB"


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda text: text.encode("utf-8"), "utf-8"),
        (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8-sig"),
        (lambda text: text.encode("utf-16"), "utf-16-le"),
        (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16-be"),
        (lambda text: text.encode("utf-16-le"), "utf-16-le"),  # no byte order mark
        (lambda text: text.encode("utf-16-be"), "utf-16-be"),
        (lambda text: text.encode("cp1252"), "cp1252"),
        (lambda text: text.replace(QUOTE, "'").encode("latin-1"), "cp1252"),
    ],
)
def test_detects_the_encoding(encode: object, encoding: str) -> None:
    text = (
        f'TITLE "Café del Mar {QUOTE}98"\r\n'
        'FILE "mix.wav" WAVE\r\n\tTRACK 01 AUDIO\r\n\t\tINDEX 01 00:00:00\r\n'
    )
    assert callable(encode)
    result = parse_cue(encode(text))
    assert result.encoding == encoding
    assert result.sheet.title is not None
    assert result.sheet.title.startswith("Café del Mar")
    assert result.issues == ()


def test_undefined_cp1252_bytes_fall_back_to_latin1() -> None:
    result = parse_cue(b'TITLE "\x81"\nFILE "a.wav" WAVE\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\n')
    assert result.encoding == "latin-1"


def test_an_explicit_encoding_wins_and_a_wrong_one_is_an_error() -> None:
    data = 'TITLE "Ã©"\nFILE "a.wav" WAVE\n'.encode("cp1252")
    assert parse_cue(data).sheet.title == "é"  # valid UTF-8: read as such
    assert parse_cue(data, encoding="cp1252").sheet.title == "Ã©"
    with pytest.raises(CueParseError, match="is not ascii"):
        parse_cue(data, encoding="ascii", source="x.cue")


def test_cr_only_line_ends() -> None:
    sheet = parse_cue(EAC.replace("\r\n", "\r")).sheet
    assert len(sheet.tracks) == 3


def test_reports_unreadable_lines_with_their_numbers() -> None:
    text = (
        'FILE "mix.wav" WAVE\n'  # 1
        "  TRACK 01 AUDIO\n"  # 2
        "    INDEX 01 -00:01:00\n"  # 3 negative time
        "    INDEX 01 00:61:80\n"  # 4 out of range, read
        "  TRACK xx AUDIO\n"  # 5
        "    FROBNICATE 1\n"  # 6
        '    TITLE "open\n'  # 7
        "    INDEX 01\n"  # 8
    )
    result = parse_cue(text, source="set.cue")
    found = {(issue.line, issue.rule, issue.severity) for issue in result.issues}
    assert found == {
        (3, "time-syntax", Severity.ERROR),
        (4, "frames-range", Severity.ERROR),
        (5, "track-number", Severity.ERROR),
        (6, "unknown-command", Severity.WARNING),
        (7, "unterminated-quote", Severity.WARNING),
        (8, "index-syntax", Severity.ERROR),
    }
    assert result.sheet.tracks[1].title == "open"


def test_commands_outside_their_place() -> None:
    text = "INDEX 01 00:00:00\nTRACK 01 AUDIO\n  INDEX 01 00:00:00\nISRC X\n"
    result = parse_cue(text)
    rules = [(issue.line, issue.rule) for issue in result.errors]
    assert (1, "index-outside-track") in rules
    assert (2, "file-first") in rules
    assert result.sheet.tracks[0].file is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\t\n", "empty"),
        (b"\x00\x01\x02\x03" * 64, "binary"),
        (bytes(range(256)) * 4, "binary"),
        (b"hello, this is a shopping list\nmilk\n", "no CUE command"),
        ("", "empty"),
    ],
)
def test_input_that_is_no_sheet_raises_a_parse_error_naming_it(
    data: bytes | str, reason: str
) -> None:
    with pytest.raises(CueParseError, match=reason) as caught:
        parse_cue(data, source="junk.cue")
    assert str(caught.value).startswith("junk.cue")
    assert caught.value.source == "junk.cue"


def test_random_bytes_never_crash() -> None:
    rng = __import__("random").Random(7)
    for size in (1, 10, 100, 5000):
        data = bytes(rng.randrange(256) for _ in range(size))
        with contextlib.suppress(CueParseError):
            parse_cue(data)


def test_a_10000_line_sheet_parses_quickly() -> None:
    lines = ['FILE "marathon.wav" WAVE']
    for number in range(1, 3334):
        lines += [f"  TRACK {number:02d} AUDIO", f'    TITLE "T{number}"']
        lines.append(f"    INDEX 01 {CueTime(number * 300)}")
    started = time.perf_counter()
    result = parse_cue("\n".join(lines).encode())
    elapsed = time.perf_counter() - started
    assert result.line_count >= 10_000
    assert len(result.sheet.tracks) == 3333
    assert elapsed < 10.0  # linear: about 0.3 s; a quadratic parser would take minutes


def test_read_cue_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "mix.cue"
    path.write_bytes(EAC.encode())
    assert read_cue(path).source == os.fspath(path)
    with pytest.raises(CueParseError, match=r"missing\.cue: cannot be read"):
        read_cue(tmp_path / "missing.cue")
    with pytest.raises(CueParseError, match="cannot be read"):
        read_cue(tmp_path)
