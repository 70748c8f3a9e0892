"""Property tests: rendering then parsing keeps times and kept metadata; any bytes are safe."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracktion.core.cue import (
    PROFILES,
    CueFile,
    CueIndex,
    CueParseError,
    CueRem,
    CueRenderError,
    CueSheet,
    CueTime,
    CueTrack,
    parse_cue,
    render_cue,
    validate_cue,
)

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXTS = st.none() | st.text(max_size=90)
rem_keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,14}", fullmatch=True)
NAMES = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9 _-]{0,29}\.(wav|mp3|flac)", fullmatch=True)
TYPES = st.sampled_from(["WAVE", "MP3"])


def rem_lists(values: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[CueRem, ...]]:
    return st.lists(st.builds(CueRem, rem_keys, values), max_size=3).map(tuple)


isrcs = st.none() | st.from_regex(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}", fullmatch=True)
flags = st.lists(st.sampled_from(["DCP", "4CH", "PRE", "SCMS"]), unique=True).map(tuple)
gaps = st.none() | st.integers(0, 300).map(CueTime)


CLEAN = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters='"'),
    max_size=80,
)


@st.composite
def sheets(draw: st.DrawFn, clean: bool = False) -> CueSheet:
    texts = st.none() | CLEAN if clean else TEXTS
    file_count = draw(st.integers(1, 3))
    files = tuple(
        CueFile(draw(NAMES if clean else st.text(min_size=1, max_size=40)), draw(TYPES))
        for _ in range(file_count)
    )
    track_count = draw(st.integers(1, 6))
    first = draw(st.integers(1, 3))
    file_of = sorted(draw(st.integers(0, file_count - 1)) for _ in range(track_count))
    clock: dict[int, int] = {}
    tracks = []
    for position in range(track_count):
        file = file_of[position]
        indexes = []
        numbers = [0, 1] if draw(st.booleans()) else [1]
        if draw(st.booleans()):
            numbers.append(2)
        for number in numbers:
            previous = clock.get(file)
            step = (
                draw(st.integers(1, 200 * 75)) if previous is not None else draw(st.integers(0, 75))
            )
            clock[file] = (previous or 0) + step
            indexes.append(CueIndex(number, CueTime(clock[file]), file))
        tracks.append(
            CueTrack(
                number=first + position,
                indexes=tuple(indexes),
                file=file,
                title=draw(texts),
                performer=draw(texts),
                songwriter=draw(texts),
                isrc=draw(isrcs),
                flags=draw(flags),
                pregap=draw(gaps),
                postgap=draw(gaps),
                rems=draw(rem_lists(CLEAN if clean else st.text(max_size=30))),
            )
        )
    catalog = draw(st.none() | st.from_regex(r"[0-9]{13}", fullmatch=True))
    return CueSheet(
        files=files,
        tracks=tuple(tracks),
        title=draw(texts),
        performer=draw(texts),
        songwriter=draw(texts),
        catalog=catalog,
        cdtextfile=draw(st.none() | (NAMES if clean else st.text(min_size=1, max_size=20))),
        rems=draw(rem_lists(CLEAN if clean else st.text(max_size=30))),
    )


@SETTINGS
@given(sheet=sheets(), profile=st.sampled_from(sorted(PROFILES)))
def test_parse_of_render_round_trips_times_and_kept_metadata(sheet: CueSheet, profile: str) -> None:
    try:
        rendered = render_cue(sheet, profile)
    except CueRenderError:
        assume(False)
        raise
    parsed = parse_cue(rendered.data, encoding=PROFILES[profile].encoding)
    assert parsed.errors == ()
    assert parsed.sheet == rendered.sheet
    # Every track start survives to the frame.
    assert [track.start for track in parsed.sheet.tracks] == [track.start for track in sheet.tracks]
    # Metadata the profile keeps is unchanged unless a change says so.
    changed = {(change.field, change.track) for change in rendered.changes}
    for before, after in zip(sheet.tracks, parsed.sheet.tracks, strict=True):
        if ("title", before.number) not in changed:
            assert after.title == before.title
        if ("performer", before.number) not in changed:
            assert after.performer == before.performer
    if ("title", None) not in changed:
        assert parsed.sheet.title == sheet.title


@SETTINGS
@given(sheet=sheets(clean=True))
def test_standard_keeps_every_clean_field(sheet: CueSheet) -> None:
    rendered = render_cue(sheet, "standard")
    assert [change.field for change in rendered.changes if change.field != "file-type"] == []
    assert parse_cue(rendered.data).sheet == rendered.sheet
    assert rendered.sheet.tracks == sheet.tracks


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_the_parser_raises_only_its_own_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(CueParseError):
        parse_cue(data)
    validate_cue(data)


_LINES = st.one_of(
    st.sampled_from(
        [
            'FILE "a.wav" WAVE',
            "FILE",
            "TRACK 01 AUDIO",
            "TRACK",
            "TRACK 1000000000000000000000 AUDIO",
            "INDEX 01 00:00:00",
            "INDEX 00 99999999:59:74",
            "INDEX 01 00:00",
            "INDEX 999 00:00:00",
            "PREGAP 00:02:00",
            "POSTGAP x",
            'TITLE "',
            "REM",
            'REM "',
            "FLAGS",
            "ISRC",
            "CATALOG",
            "CDTEXTFILE",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=30), st.sampled_from(["\n", "\r\n", "\r"]))
def test_any_mix_of_cue_lines_is_read_or_refused_cleanly(lines: list[str], end: str) -> None:
    text = end.join(lines)
    with contextlib.suppress(CueParseError):
        result = parse_cue(text.encode("utf-8", errors="surrogatepass"))
        report = validate_cue(result, profile="standard")
        assert report.is_valid == (not report.errors)
        for profile in PROFILES:
            with contextlib.suppress(CueRenderError):
                rendered = render_cue(result.sheet, profile)
                assert validate_cue(rendered.data, profile=profile).is_valid
