"""M3U/M3U8 playlists: EXTINF names and lengths, file names, bad input."""

from __future__ import annotations

import pytest

from tracktion.core.tracklists import TracklistFormatError, parse_m3u

PLAYLIST = """\
#EXTM3U
#PLAYLIST:Warm-up
#EXTINF:312,Bonobo - Kerala (Extended Mix)
/music/bonobo/kerala.flac
#EXTINF:245.5,Tycho - Awake
C:\\Music\\Tycho\\Awake.mp3
#EXTINF:abc
#EXTINF:-1,Moderat - A New Error
moderat.mp3
Jon Hopkins - Emerald Rush.flac
NoSeparatorHere.mp3
"""


def test_extinf_names_lengths_and_estimated_starts() -> None:
    result = parse_m3u(PLAYLIST.encode(), source="warmup.m3u8")
    tracklist = result.tracklist
    assert tracklist.title == "Warm-up"
    assert tracklist.source == "m3u"
    got = [(e.artist, e.title, e.mix, e.start_s, e.estimated) for e in tracklist.entries]
    assert got == [
        ("Bonobo", "Kerala", "Extended Mix", 0.0, False),
        ("Tycho", "Awake", None, 312.0, True),
        ("Moderat", "A New Error", None, 557.5, True),
        # after a length of -1 the following starts are unknown
        ("Jon Hopkins", "Emerald Rush", None, None, False),
    ]
    assert [str(w) for w in result.warnings] == [
        "warmup.m3u8:7: unreadable #EXTINF ignored",
        "warmup.m3u8:11: skipped 'NoSeparatorHere': no 'Artist - Title'",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "list.m3u: empty input"),
        (b"#EXTM3U\n", "list.m3u: no tracks in the playlist"),
        (b"\x00\x01\x02junk", "list.m3u: binary data"),
    ],
)
def test_bad_playlists_name_the_input(data: bytes, message: str) -> None:
    with pytest.raises(TracklistFormatError, match="^" + message):
        parse_m3u(data, source="list.m3u")
