"""Tracklists to CUE sheets and back (the sheet model of :mod:`tracktion.core.cue`).

A CUE track needs a start that is later than the previous track's, so entries played
with the previous one (``w/``) are folded into that track's title
(``Title (Mix) w/ Artist - Title``) and split out again when a sheet is read.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ..cue import CueFile, CueIndex, CueParseError, CueSheet, CueTime, CueTrack, parse_cue
from .errors import TracklistError, TracklistFormatError
from .model import UNKNOWN, ImportResult, TrackEntry, Tracklist, TracklistProblem, format_time
from .text import split_mix, split_track

__all__ = ["cue_file_type", "parse_cue_tracklist", "tracklist_from_cue", "tracklist_to_cue"]

_WITH_RE = re.compile(r"\s+w/\s+", re.IGNORECASE)
_FILE_TYPES = {".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF", ".wav": "WAVE"}


def cue_file_type(audio_file: str) -> str:
    """The ``FILE`` type token for an audio file: ``MP3``, ``AIFF``, else ``WAVE`` (what
    players expect for FLAC, WAV and other decoded formats)."""
    return _FILE_TYPES.get(PurePath(audio_file).suffix.lower(), "WAVE")


def tracklist_to_cue(
    tracklist: Tracklist, *, audio_file: str, duration_s: float | None = None
) -> CueSheet:
    """The CUE sheet of a tracklist for the mix ``audio_file``.

    Args:
        tracklist: Every entry needs a start time (``w/`` entries share the previous one).
        audio_file: The mix's file name as the sheet's ``FILE`` names it.
        duration_s: The mix's length in seconds, when known: every start must be before it.

    Raises:
        TracklistError: an entry without start time, starts not strictly increasing, a
            start at or after ``duration_s``, or no entries; the message names the track.
    """
    if not tracklist.entries:
        raise TracklistError("an empty tracklist has no CUE sheet")
    groups: list[tuple[int, TrackEntry, list[TrackEntry]]] = []
    for position, entry in enumerate(tracklist.entries, start=1):
        if entry.played_with_previous and groups:
            groups[-1][2].append(entry)
            continue
        if entry.start_s is None:
            raise TracklistError(
                f"track {position} ({entry.artist} - {entry.title}) has no start time: "
                "match it to estimate one, or retime it"
            )
        if groups:
            previous = groups[-1][1].start_s
            assert previous is not None
            if CueTime.from_seconds(entry.start_s) <= CueTime.from_seconds(previous):
                raise TracklistError(
                    f"track {position} ({entry.artist} - {entry.title}) starts at "
                    f"{format_time(entry.start_s)}, not after the previous track's "
                    f"{format_time(previous)}"
                )
        if duration_s is not None and entry.start_s >= duration_s:
            raise TracklistError(
                f"track {position} starts at {format_time(entry.start_s)}, after the end "
                f"of the {format_time(duration_s)} mix"
            )
        groups.append((position, entry, []))
    tracks = []
    for number, (_, entry, together) in enumerate(groups, start=1):
        title = entry.full_title + "".join(
            f" w/ {other.artist} - {other.full_title}" for other in together
        )
        assert entry.start_s is not None
        tracks.append(
            CueTrack(
                number=number,
                indexes=(CueIndex(1, CueTime.from_seconds(entry.start_s)),),
                title=title,
                performer=entry.artist,
            )
        )
    return CueSheet(
        files=(CueFile(audio_file, cue_file_type(audio_file)),),
        tracks=tuple(tracks),
        title=tracklist.title,
        performer=tracklist.performer,
    )


def tracklist_from_cue(sheet: CueSheet, *, source: str = "<cue>") -> ImportResult:
    """The tracklist of a CUE sheet: one entry per track (plus its ``w/`` parts).

    A track without performer or title gets ``ID``; a track without ``INDEX 01`` gets no
    start time. Times of a sheet with several files are read as if the files were one
    mix (with a warning).

    Raises:
        TracklistFormatError: the sheet has no tracks.
    """
    warnings: list[TracklistProblem] = []
    if not sheet.tracks:
        raise TracklistFormatError(source, "the CUE sheet has no tracks")
    if len(sheet.files) > 1:
        warnings.append(
            TracklistProblem(
                source, None, f"{len(sheet.files)} FILE commands: times are read per file"
            )
        )
    entries: list[TrackEntry] = []
    for track in sheet.tracks:
        start = track.start
        seconds = None if start is None else start.to_seconds()
        if start is None:
            warnings.append(TracklistProblem(source, track.line, "track without INDEX 01"))
        artist = (track.performer or sheet.performer or "").strip() or UNKNOWN
        parts = _WITH_RE.split((track.title or "").strip())
        title, mix, label = split_mix(parts[0])
        entries.append(
            TrackEntry(
                artist=artist,
                title=title or UNKNOWN,
                start_s=seconds,
                mix=mix,
                label=label,
                line=track.line,
            )
        )
        for extra in parts[1:]:
            pair = split_track(extra)
            if pair is None:
                warnings.append(
                    TracklistProblem(source, track.line, f"'w/ {extra}' has no 'Artist - Title'")
                )
                continue
            extra_title, extra_mix, extra_label = split_mix(pair[1])
            entries.append(
                TrackEntry(
                    artist=pair[0],
                    title=extra_title or UNKNOWN,
                    start_s=seconds,
                    mix=extra_mix,
                    label=extra_label,
                    played_with_previous=True,
                    line=track.line,
                )
            )
    tracklist = Tracklist(
        tuple(entries),
        title=sheet.title,
        performer=sheet.performer,
        source="cue",
        source_url=None if source.startswith("<") else source,
    )
    return ImportResult(tracklist, tuple(warnings))


def parse_cue_tracklist(data: str | bytes, *, source: str = "<cue>") -> ImportResult:
    """Read a CUE sheet's text or bytes as a tracklist; the parser's problems become
    warnings.

    Raises:
        TracklistFormatError: the input is no CUE sheet (empty, binary, no tracks).
    """
    try:
        parsed = parse_cue(data, source=source)
    except CueParseError as exc:
        raise TracklistFormatError(source, exc.reason, line=exc.line) from None
    result = tracklist_from_cue(parsed.sheet, source=source)
    problems = tuple(
        TracklistProblem(source, issue.line, f"{issue.rule}: {issue.message}")
        for issue in parsed.issues
    )
    return ImportResult(result.tracklist, problems + result.warnings)
