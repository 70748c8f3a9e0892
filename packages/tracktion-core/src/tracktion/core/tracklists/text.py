"""Plain-text tracklists: read the shapes people paste, write one they can read back.

Recognized line shapes (any mix of them)::

    [00:00] Artist - Title (Extended Mix) [Label]
    01. Artist - Title
    1:02:03 Artist ft. Other - Title
    Artist - Title                       (no time)
    w/ Artist - Title                    (played together with the line before)
    ID - ID                              (unidentified)
    # title: Live at Somewhere           (metadata comments; other # lines are ignored)

A trailing ``[...]`` is the label; a trailing ``(...)`` naming a mix, remix, edit, dub,
version, rework, bootleg, VIP or refix is the mix. Lines that are not tracks are skipped
with a warning naming the line; only input without any track is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ._decode import decode_text
from .errors import TracklistFormatError
from .model import (
    UNKNOWN,
    ImportResult,
    TrackEntry,
    Tracklist,
    TracklistProblem,
    format_time,
)

__all__ = ["format_text", "parse_text", "parse_time", "split_mix", "split_track"]

_TIME = r"\d{1,3}:\d{2}(?::\d{2})?"
_NUMBER_RE = re.compile(r"^\s*#?\d{1,3}[.):]\s+")
_TIME_RE = re.compile(
    rf"^\s*(?:\[\s*(?P<b>-?{_TIME})\s*\]|\(\s*(?P<p>-?{_TIME})\s*\)|(?P<t>-?{_TIME})(?=\s|$))"
    r"\s*(?:[-\u2013\u2014|]\s+)?"
)
_WITH_RE = re.compile(r"^\s*w/\s*", re.IGNORECASE)
_SEPARATOR_RE = re.compile(r"\s+[-\u2013\u2014]\s+")
_LABEL_RE = re.compile(r"\s*\[(?P<label>[^\[\]]*)\]\s*$")
_MIX_RE = re.compile(r"\s*\((?P<mix>[^()]*)\)\s*$")
_MIX_WORDS = re.compile(
    r"\b(mix|remix|rmx|edit|dub|version|rework|bootleg|vip|refix|flip|remaster(ed)?|mashup"
    r"|acapella|a cappella|instrumental)\b",
    re.IGNORECASE,
)
_META_RE = re.compile(r"^\s*#\s*(?P<key>title|performer)\s*:\s*(?P<value>.*?)\s*$", re.IGNORECASE)


def parse_time(text: str) -> float:
    """Seconds of ``mm:ss`` or ``h:mm:ss`` (minutes may exceed 59 in ``mm:ss``).

    Raises:
        ValueError: not such a time, or seconds (or minutes of ``h:mm:ss``) above 59.
    """
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(part.isdigit() for part in parts):
        raise ValueError(f"{text!r} is not mm:ss or h:mm:ss")
    numbers = [int(part) for part in parts]
    if numbers[-1] > 59 or (len(numbers) == 3 and numbers[1] > 59):
        raise ValueError(f"{text!r} has more than 59 seconds or minutes")
    if len(numbers) == 2:
        return float(numbers[0] * 60 + numbers[1])
    return float(numbers[0] * 3600 + numbers[1] * 60 + numbers[2])


def split_mix(title: str) -> tuple[str, str | None, str | None]:
    """``Title (Mix) [Label]`` -> ``(title, mix, label)``; parts not there are ``None``."""
    label = None
    found = _LABEL_RE.search(title)
    if found and found.start() > 0:
        label = found.group("label").strip() or None
        title = title[: found.start()]
    mix = None
    found = _MIX_RE.search(title)
    if found and found.start() > 0 and _MIX_WORDS.search(found.group("mix")):
        mix = found.group("mix").strip() or None
        title = title[: found.start()]
    return title.strip(), mix, label


def split_track(text: str) -> tuple[str, str] | None:
    """``Artist - Title`` -> ``(artist, title)`` at the first dash surrounded by spaces;
    ``ID`` alone is ``(ID, ID)``; ``None`` when there is no separator."""
    stripped = text.strip()
    if stripped.upper() == UNKNOWN:
        return UNKNOWN, UNKNOWN
    parts = _SEPARATOR_RE.split(stripped, maxsplit=1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None
    return parts[0].strip(), parts[1].strip()


def parse_text(data: str | bytes, *, source: str = "<text>") -> ImportResult:
    """Read a plain-text tracklist.

    Args:
        data: The text, or its bytes (UTF-8, else Windows-1252).
        source: The input's name, used in warnings and errors.

    Returns:
        The tracklist (``source="text"``) and a warning for every skipped line, negative
        time and time earlier than the entry before.

    Raises:
        TracklistFormatError: empty or binary input, or no line is a track.
    """
    text = decode_text(data, source)
    warnings: list[TracklistProblem] = []
    entries: list[TrackEntry] = []
    meta: dict[str, str] = {}
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        found = _META_RE.match(line)
        if found:
            if found.group("value"):
                meta[found.group("key").lower()] = found.group("value")
            continue
        if line.startswith(("#", "//")) and not _NUMBER_RE.match(line):
            continue
        entry = _parse_line(line, number, source, entries, warnings)
        if entry is not None:
            entries.append(entry)
    if not entries:
        detail = f" ({warnings[0]})" if warnings else ""
        raise TracklistFormatError(source, f"no track lines found{detail}")
    tracklist = Tracklist(
        entries=tuple(entries),
        title=meta.get("title"),
        performer=meta.get("performer"),
        source="text",
        source_url=None if source.startswith("<") else source,
    )
    return ImportResult(tracklist, tuple(warnings))


def _parse_line(
    line: str,
    number: int,
    source: str,
    entries: list[TrackEntry],
    warnings: list[TracklistProblem],
) -> TrackEntry | None:
    def warn(message: str) -> None:
        warnings.append(TracklistProblem(source, number, message))

    rest = line
    start: float | None = None
    with_previous = False
    for _ in range(2):  # number then time, or time then number
        numbered = _NUMBER_RE.match(rest)
        if numbered:
            rest = rest[numbered.end() :]
        timed = _TIME_RE.match(rest)
        if timed and start is None:
            stamp = timed.group("b") or timed.group("p") or timed.group("t")
            rest = rest[timed.end() :]
            start = _read_time(stamp, warn)
    walked = _WITH_RE.match(rest)
    if walked:
        with_previous = True
        rest = rest[walked.end() :]
    pair = split_track(rest)
    if pair is None:
        warn(f"skipped {_shorten(line)!r}: no 'Artist - Title'")
        return None
    artist, full_title = pair
    title, mix, label = split_mix(full_title)
    if not title:
        warn(f"skipped {_shorten(line)!r}: the title is empty")
        return None
    if with_previous and not entries:
        warn("'w/' on the first track: there is nothing to play it with")
        with_previous = False
    if with_previous:
        start = entries[-1].start_s
    elif start is not None:
        previous = _last_time(entries)
        if previous is not None and start < previous:
            warn(
                f"start {format_time(start)} is earlier than the previous track's "
                f"{format_time(previous)} (overlapping times)"
            )
    return TrackEntry(
        artist=artist,
        title=title,
        start_s=start,
        mix=mix,
        label=label,
        played_with_previous=with_previous,
        line=number,
    )


def _read_time(stamp: str, warn: Callable[[str], None]) -> float | None:
    if stamp.startswith("-"):
        warn(f"negative time {stamp} ignored")
        return None
    try:
        return parse_time(stamp)
    except ValueError as exc:
        warn(f"time ignored: {exc}")
        return None


def _last_time(entries: list[TrackEntry]) -> float | None:
    for entry in reversed(entries):
        if entry.start_s is not None:
            return entry.start_s
    return None


def _shorten(line: str, limit: int = 60) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."


def format_text(tracklist: Tracklist) -> str:
    """The tracklist as text :func:`parse_text` reads back to the same entries.

    Times are written as ``[mm:ss]`` or ``[h:mm:ss]`` (whole seconds); entries played
    with the previous one as ``w/ Artist - Title``; title and performer as ``# key:``
    comments. Match results and the ``estimated`` flag are not part of the text form.
    """
    lines = []
    if tracklist.title:
        lines.append(f"# title: {tracklist.title}")
    if tracklist.performer:
        lines.append(f"# performer: {tracklist.performer}")
    for entry in tracklist.entries:
        track = f"{entry.artist} - {entry.full_title}"
        if entry.label:
            track += f" [{entry.label}]"
        if entry.played_with_previous:
            lines.append(f"w/ {track}")
        elif entry.start_s is not None:
            lines.append(f"[{format_time(entry.start_s)}] {track}")
        else:
            lines.append(track)
    return "\n".join(lines) + "\n"
