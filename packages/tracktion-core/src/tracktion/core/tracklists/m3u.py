"""M3U and M3U8 playlists (extended with ``#EXTINF``) as tracklists.

A playlist lists the tracks of a set in order; ``#EXTINF:<seconds>,Artist - Title`` gives
each one's length and name. Start times are the running sum of the lengths, so they are
marked ``estimated``; after a length of ``-1`` (unknown) the following starts are unknown.
A track without ``#EXTINF`` is named after its file (``Artist - Title.mp3``).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

from ._decode import decode_text
from .errors import TracklistFormatError
from .model import ImportResult, TrackEntry, Tracklist, TracklistProblem
from .text import split_mix, split_track

__all__ = ["parse_m3u"]

_EXTINF_RE = re.compile(r"^#EXTINF:\s*(?P<duration>-?\d+(?:\.\d+)?)[^,]*,(?P<name>.*)$")
_PLAYLIST_RE = re.compile(r"^#PLAYLIST:\s*(?P<title>.*?)\s*$")


def _stem(location: str) -> str:
    path = PureWindowsPath(location) if "\\" in location else PurePosixPath(location)
    return path.stem


def parse_m3u(data: str | bytes, *, source: str = "<m3u>") -> ImportResult:
    """Read an M3U/M3U8 playlist.

    Args:
        data: The playlist text or bytes (UTF-8 for M3U8; M3U falls back to Windows-1252).
        source: The input's name, used in warnings and errors.

    Returns:
        The tracklist (``source="m3u"``) and a warning for every entry that names no
        ``Artist - Title`` or has an unreadable ``#EXTINF``.

    Raises:
        TracklistFormatError: empty or binary input, or no track in it.
    """
    text = decode_text(data, source)
    warnings: list[TracklistProblem] = []
    entries: list[TrackEntry] = []
    title: str | None = None
    pending: tuple[int, float | None, str] | None = None
    clock: float | None = 0.0
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("#"):
            found = _EXTINF_RE.match(line)
            if found:
                seconds = float(found.group("duration"))
                pending = (number, seconds if seconds >= 0 else None, found.group("name"))
            elif line.upper().startswith("#EXTINF"):
                warnings.append(TracklistProblem(source, number, "unreadable #EXTINF ignored"))
            elif playlist := _PLAYLIST_RE.match(line):
                title = playlist.group("title") or None
            continue
        if pending is not None:
            at, length, name = pending
        else:
            at, length, name = number, None, _stem(line)
        pending = None
        pair = split_track(name)
        if pair is None:
            warnings.append(TracklistProblem(source, at, f"skipped {name!r}: no 'Artist - Title'"))
            clock = None if length is None or clock is None else clock + length
            continue
        track_title, mix, label = split_mix(pair[1])
        if not track_title:
            warnings.append(TracklistProblem(source, at, f"skipped {name!r}: empty title"))
            continue
        entries.append(
            TrackEntry(
                artist=pair[0],
                title=track_title,
                mix=mix,
                label=label,
                start_s=clock,
                estimated=clock is not None and bool(entries),
                line=at,
            )
        )
        clock = None if length is None or clock is None else clock + length
    if not entries:
        raise TracklistFormatError(source, "no tracks in the playlist")
    tracklist = Tracklist(
        entries=tuple(entries),
        title=title,
        source="m3u",
        source_url=None if source.startswith("<") else source,
    )
    return ImportResult(tracklist, tuple(warnings))
