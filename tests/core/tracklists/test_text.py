"""Plain-text tracklists: the shapes people paste, bad input, and a round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracktion.core.tracklists import (
    TrackEntry,
    Tracklist,
    TracklistError,
    TracklistFormatError,
    format_text,
    parse_text,
    parse_time,
)

MIXED = """\
# title: Sunrise Set
# performer: DJ Test
Tracklist:
01. [00:00] Daft Punk - One More Time (Extended Mix) [Virgin]
02. [03:30] ID - ID
w/ Artist B - Acapella Thing (Acapella)
3. 1:02:03 Deadmau5 ft. Kaskade \u2013 I Remember
(1:05:00) Eric Prydz - Opus
Moby - Porcelain
"""


def test_reads_every_common_shape() -> None:
    result = parse_text(MIXED, source="set.txt")
    tracklist = result.tracklist
    assert tracklist.title == "Sunrise Set"
    assert tracklist.performer == "DJ Test"
    assert tracklist.source == "text"
    assert tracklist.source_url == "set.txt"
    got = [
        (e.artist, e.title, e.start_s, e.mix, e.label, e.played_with_previous)
        for e in tracklist.entries
    ]
    assert got == [
        ("Daft Punk", "One More Time", 0.0, "Extended Mix", "Virgin", False),
        ("ID", "ID", 210.0, None, None, False),
        ("Artist B", "Acapella Thing", 210.0, "Acapella", None, True),
        ("Deadmau5 ft. Kaskade", "I Remember", 3723.0, None, None, False),
        ("Eric Prydz", "Opus", 3900.0, None, None, False),
        ("Moby", "Porcelain", None, None, None, False),
    ]
    assert tracklist.entries[1].is_unidentified
    assert [entry.line for entry in tracklist.entries] == [4, 5, 6, 7, 8, 9]
    # "Tracklist:" is not a track: skipped with a warning naming its line.
    assert [str(w) for w in result.warnings] == [
        "set.txt:3: skipped 'Tracklist:': no 'Artist - Title'"
    ]


def test_a_parenthesis_that_names_no_mix_stays_in_the_title() -> None:
    entry = parse_text("Artist - Song (Live at Home)").tracklist.entries[0]
    assert (entry.title, entry.mix) == ("Song (Live at Home)", None)


def test_times_need_valid_seconds_and_a_space_after_them() -> None:
    result = parse_text("12:75 A - B\n10:00 C - D\n10:30E - F\n", source="t")
    assert [e.start_s for e in result.tracklist.entries] == [None, 600.0, None]
    assert [e.artist for e in result.tracklist.entries] == ["A", "C", "10:30E"]
    assert [str(w) for w in result.warnings] == [
        "t:1: time ignored: '12:75' has more than 59 seconds or minutes"
    ]


def test_negative_and_overlapping_times_are_warned_with_their_line() -> None:
    result = parse_text("[05:00] A - B\n[-01:00] C - D\n[03:00] E - F\n", source="bad.txt")
    assert [e.start_s for e in result.tracklist.entries] == [300.0, None, 180.0]
    messages = [str(w) for w in result.warnings]
    assert messages == [
        "bad.txt:2: negative time -01:00 ignored",
        "bad.txt:3: start 03:00 is earlier than the previous track's 05:00 (overlapping times)",
    ]


def test_w_on_the_first_line_is_a_track_of_its_own() -> None:
    result = parse_text("w/ A - B\n")
    assert not result.tracklist.entries[0].played_with_previous
    assert "nothing to play it with" in str(result.warnings[0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty.txt: empty input: no tracks"),
        (b"  \n\n\t", "empty.txt: empty input: no tracks"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "empty.txt: binary data"),
        (bytes(range(1, 32)) * 10, "empty.txt: binary data"),
        (b"just words\nmore words\n", "empty.txt: no track lines found (empty.txt:1: skipped"),
    ],
)
def test_bad_input_is_a_clear_error_naming_the_input(data: bytes, message: str) -> None:
    with pytest.raises(TracklistFormatError) as caught:
        parse_text(data, source="empty.txt")
    assert str(caught.value).startswith(message)
    assert caught.value.source == "empty.txt"


def test_windows_1252_and_bom_are_decoded() -> None:
    result = parse_text("\ufeff[00:00] Beyoncé - Déjà Vu\n".encode("cp1252", errors="ignore"))
    assert result.tracklist.entries[0].artist == "Beyoncé"
    assert parse_text(b"\xef\xbb\xbfA - B").tracklist.entries[0].artist == "A"


def test_parse_time() -> None:
    assert parse_time("00:00") == 0.0
    assert parse_time("125:30") == 7530.0
    assert parse_time("1:02:03") == 3723.0
    for bad in ("1:60", "1:60:00", "a:bc", "12"):
        with pytest.raises(ValueError, match=bad):
            parse_time(bad)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_never_raises_anything_but_its_own_error(data: bytes | str) -> None:
    message = None
    try:
        result = parse_text(data, source="fuzz")
    except TracklistError as exc:
        message = str(exc)
    if message is not None:
        assert message.startswith("fuzz")
    else:
        assert result.tracklist.entries


_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüß",
    min_size=1,
    max_size=8,
)
_NAME = st.lists(_WORD, min_size=1, max_size=3).map(" ".join).filter(lambda s: s.upper() != "ID")
_MIX = st.sampled_from([None, "Extended Mix", "Someone Remix", "Radio Edit", "Dub"])


@st.composite
def tracklists(draw: st.DrawFn) -> Tracklist:
    entries: list[TrackEntry] = []
    clock = 0.0
    for index in range(draw(st.integers(min_value=1, max_value=8))):
        together = index > 0 and draw(st.booleans()) and draw(st.booleans())
        timed = draw(st.booleans())
        if together:
            start = entries[-1].start_s
        elif timed:
            clock += draw(st.integers(min_value=0, max_value=900))
            start = clock
        else:
            start = None
        unknown = draw(st.integers(0, 9)) == 0
        entries.append(
            TrackEntry(
                artist="ID" if unknown else draw(_NAME),
                title="ID" if unknown else draw(_NAME),
                start_s=start,
                mix=None if unknown else draw(_MIX),
                label=draw(st.one_of(st.none(), _NAME)),
                played_with_previous=together,
            )
        )
    return Tracklist(
        tuple(entries),
        title=draw(st.one_of(st.none(), _NAME)),
        performer=draw(st.one_of(st.none(), _NAME)),
    )


@settings(max_examples=100, deadline=None)
@given(tracklists())
def test_formatting_then_importing_round_trips(tracklist: Tracklist) -> None:
    text = format_text(tracklist)
    result = parse_text(text)
    assert result.tracklist == tracklist
    assert result.warnings == ()
