"""1001tracklists pages: microdata and visible rows, w/ and ID rows, redesigns, captchas."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracktion.core.tracklists import (
    TracklistBlockedError,
    TracklistPageError,
    blocked_reason,
    parse_1001_page,
)

DATA = Path(__file__).parent / "data"
URL = "https://www.1001tracklists.com/tracklist/2x9kq1/nina-kraviz-awakenings-2023.html"


def page(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_rows_and_microdata_are_merged() -> None:
    result = parse_1001_page(page("1001_page.html"), url=URL)
    tracklist = result.tracklist
    assert tracklist.title == "Nina Kraviz @ Awakenings Festival 2023"
    assert (tracklist.source, tracklist.source_url) == ("1001tracklists", URL)
    got = [
        (e.artist, e.title, e.mix, e.label, e.start_s, e.played_with_previous)
        for e in tracklist.entries
    ]
    assert got == [
        ("Charlotte de Witte", "Selected", "Extended Mix", "KNTXT", 0.0, False),
        ("Amelie Lens & Farrago", "Hypnotized", None, "LENSKE", 252.0, False),
        ("Nina Kraviz", "Ghetto Kraviz", "Acapella", None, 252.0, True),
        ("ID", "ID", None, None, 585.0, False),
        ("Len Faki", "Mekanik", "Ben Klock Remix", "FIGURE", 3750.0, False),
    ]
    assert tracklist.entries[3].is_unidentified
    assert all(entry.line for entry in tracklist.entries)
    assert result.warnings == ()


def test_microdata_alone_is_enough() -> None:
    result = parse_1001_page(page("microdata_only.html"), url="file:mix.html")
    assert [(e.artist, e.title, e.mix) for e in result.tracklist.entries] == [
        ("Bicep", "Glue", None),
        ("Four Tet", "Baby", "Extended Mix"),
    ]
    assert result.tracklist.title == "Microdata Mix"


def test_a_future_redesign_is_a_clear_error_naming_the_url() -> None:
    with pytest.raises(TracklistPageError) as caught:
        parse_1001_page(page("1001_redesign.html"), url=URL)
    message = str(caught.value)
    assert message.startswith(URL + ": no tracklist found")
    assert "markup may have changed" in message


def test_a_captcha_page_is_blocked_not_empty() -> None:
    assert blocked_reason(page("1001_captcha.html").decode()) is not None
    assert blocked_reason(page("1001_page.html").decode()) is None
    with pytest.raises(TracklistBlockedError, match="captcha"):
        parse_1001_page(page("1001_captcha.html"), url=URL)


def test_bad_rows_and_times_are_warned_with_their_line() -> None:
    html = """<html><body>
<div class="tlpItem"><div class="cueValueField">10:00</div>
<span class="trackValue">A - B</span></div>
<div class="tlpItem"><div class="cueValueField">05:99</div>
<span class="trackValue">C - D</span></div>
<div class="tlpItem"><div class="cueValueField">04:00</div>
<span class="trackValue">E - F</span></div>
<div class="tlpItem"><span class="trackValue">no separator</span></div>
</body></html>"""
    result = parse_1001_page(html, url="u")
    assert [e.start_s for e in result.tracklist.entries] == [600.0, None, 240.0]
    assert [str(w) for w in result.warnings] == [
        "u:4: cue time ignored: '05:99' has more than 59 seconds or minutes",
        "u:6: cue 04:00 is earlier than the previous track's 10:00 (overlapping times)",
        "u:8: skipped a track row without 'Artist - Title' ('no separator')",
    ]


@pytest.mark.parametrize("junk", [b"", b"\x00\xff\xfe binary \x01", b"<html><body><p>"])
def test_junk_is_a_page_error(junk: bytes) -> None:
    with pytest.raises(TracklistPageError, match=r"^u: "):
        parse_1001_page(junk, url="u")
