"""Edits of a tracklist: shift every time, insert, remove, retime one entry.

Each edit is a pure function from a tracklist to a new one (positions are 1-based, as
people count tracks); :func:`tracktion.core.tracklists.catalog.edit_tracklist` stores
the result as a new catalog version, so the history is kept. Edits refuse to make the
times negative or out of order (:class:`TracklistEditError` naming the position).
"""

from __future__ import annotations

from dataclasses import replace

from .errors import TracklistEditError
from .model import TrackEntry, Tracklist, TracklistProblem, format_time

__all__ = ["check_times", "insert_entry", "remove_entry", "retime_entry", "shift_times"]


def check_times(tracklist: Tracklist, *, source: str = "tracklist") -> list[TracklistProblem]:
    """The entries whose start is earlier than an earlier entry's (overlapping times);
    ``line`` is the entry's source line when known, else its position."""
    problems = []
    latest: float | None = None
    for position, entry in enumerate(tracklist.entries, start=1):
        if entry.start_s is None:
            continue
        if latest is not None and entry.start_s < latest:
            problems.append(
                TracklistProblem(
                    source,
                    entry.line or position,
                    f"track {position} starts at {format_time(entry.start_s)}, before the "
                    f"previous track's {format_time(latest)}",
                )
            )
        latest = entry.start_s if latest is None else max(latest, entry.start_s)
    return problems


def _index(tracklist: Tracklist, position: int, *, extra: int = 0) -> int:
    if not 1 <= position <= len(tracklist.entries) + extra:
        raise TracklistEditError(
            f"position {position} is outside 1..{len(tracklist.entries) + extra}"
        )
    return position - 1


def shift_times(tracklist: Tracklist, delta_s: float) -> Tracklist:
    """Every start time moved by ``delta_s`` seconds (negative: earlier).

    Raises:
        TracklistEditError: a start would become negative.
    """
    entries = []
    for position, entry in enumerate(tracklist.entries, start=1):
        if entry.start_s is None:
            entries.append(entry)
            continue
        moved = entry.start_s + delta_s
        if moved < 0:
            raise TracklistEditError(
                f"shifting by {delta_s:+g} s moves track {position} to {moved:g} s, before "
                "the start of the mix"
            )
        entries.append(replace(entry, start_s=moved))
    return tracklist.with_entries(entries)


def _check_order(entries: list[TrackEntry], index: int) -> None:
    entry = entries[index]
    if entry.start_s is None or entry.played_with_previous:
        return
    before = [e.start_s for e in entries[:index] if e.start_s is not None]
    after = [
        e.start_s
        for e in entries[index + 1 :]
        if e.start_s is not None and not e.played_with_previous
    ]
    if before and entry.start_s < before[-1]:
        raise TracklistEditError(
            f"track {index + 1} at {format_time(entry.start_s)} would start before track "
            f"{index}'s {format_time(before[-1])}"
        )
    if after and entry.start_s > after[0]:
        raise TracklistEditError(
            f"track {index + 1} at {format_time(entry.start_s)} would start after the next "
            f"track's {format_time(after[0])}"
        )


def insert_entry(tracklist: Tracklist, position: int, entry: TrackEntry) -> Tracklist:
    """``entry`` inserted so that it becomes track ``position`` (1 to len + 1).

    Raises:
        TracklistEditError: the position is out of range, or the entry's time does not
            fall between its neighbours'.
    """
    index = _index(tracklist, position, extra=1)
    entries = list(tracklist.entries)
    entries.insert(index, entry)
    if entry.played_with_previous and index == 0:
        raise TracklistEditError("the first track cannot be played with a previous one")
    _check_order(entries, index)
    return tracklist.with_entries(entries)


def remove_entry(tracklist: Tracklist, position: int) -> Tracklist:
    """Track ``position`` removed; a track played with it becomes a track of its own.

    Raises:
        TracklistEditError: the position is out of range.
    """
    index = _index(tracklist, position)
    entries = list(tracklist.entries)
    removed = entries.pop(index)
    if (
        index < len(entries)
        and entries[index].played_with_previous
        and not (removed.played_with_previous)
    ):
        entries[index] = replace(entries[index], played_with_previous=False)
    return tracklist.with_entries(entries)


def retime_entry(tracklist: Tracklist, position: int, start_s: float) -> Tracklist:
    """Track ``position`` starting at ``start_s`` seconds (no longer ``estimated``); the
    tracks played with it move along.

    Raises:
        TracklistEditError: out of range, a negative time, a track played with the
            previous one (retime that one), or a time outside its neighbours'.
    """
    index = _index(tracklist, position)
    if start_s < 0:
        raise TracklistEditError(f"start {start_s:g} s of track {position} is negative")
    entries = list(tracklist.entries)
    if entries[index].played_with_previous:
        raise TracklistEditError(
            f"track {position} is played with track {position - 1}: retime that one"
        )
    entries[index] = replace(entries[index], start_s=float(start_s), estimated=False)
    follower = index + 1
    while follower < len(entries) and entries[follower].played_with_previous:
        entries[follower] = replace(entries[follower], start_s=float(start_s), estimated=False)
        follower += 1
    _check_order(entries, index)
    return tracklist.with_entries(entries)
