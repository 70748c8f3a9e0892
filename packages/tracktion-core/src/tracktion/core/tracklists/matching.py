"""Matching tracklist entries to catalog recordings, and estimating missing start times.

The matcher takes its candidates explicitly (:class:`RecordingCandidate`: id, artist,
title, duration); :mod:`.catalog` loads them from a catalog store. Scores are in [0, 1]:
0.4 x artist similarity + 0.6 x title similarity (rapidfuzz token ratios on the
normalized forms of :mod:`.normalize`), minus 0.2 when the versions differ (a remix is
not the original). An entry takes its best candidate when it scores ``threshold`` or
more; unidentified entries (``ID - ID``) never match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from rapidfuzz import fuzz, process

from .errors import TracklistError
from .model import TrackEntry, Tracklist
from .normalize import NormalizedTrack, normalize_track

__all__ = [
    "DEFAULT_THRESHOLD",
    "EntryMatch",
    "MatchResult",
    "RecordingCandidate",
    "ScoredCandidate",
    "estimate_start_times",
    "match_tracklist",
    "score_match",
]

DEFAULT_THRESHOLD = 0.8
_ARTIST_WEIGHT = 0.4
_TITLE_WEIGHT = 0.6
_VERSION_PENALTY = 0.2
_PREFILTER_CUTOFF = 40.0


@dataclass(frozen=True, slots=True)
class RecordingCandidate:
    """A catalog recording that an entry may be.

    Attributes:
        id: The recording's id.
        artist: Its artist tag.
        title: Its title tag (a mix in parentheses is recognized).
        duration_s: Its length in seconds, when known.
    """

    id: UUID
    artist: str
    title: str
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """A candidate and its score in [0, 1]."""

    candidate: RecordingCandidate
    score: float


@dataclass(frozen=True, slots=True)
class EntryMatch:
    """The candidates of one entry, best first (at most ``limit``)."""

    index: int
    """0-based position of the entry in the tracklist."""
    entry: TrackEntry
    candidates: tuple[ScoredCandidate, ...]

    @property
    def best(self) -> ScoredCandidate | None:
        """The best candidate, if any scored above zero."""
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The tracklist with matches applied, and every entry's candidates."""

    tracklist: Tracklist
    matches: tuple[EntryMatch, ...]

    @property
    def matched(self) -> int:
        """How many entries got a recording."""
        return sum(1 for entry in self.tracklist.entries if entry.recording_id is not None)


def _similarity(left: NormalizedTrack, right: NormalizedTrack) -> float:
    artist = fuzz.token_set_ratio(left.artist, right.artist) / 100.0
    title = fuzz.token_sort_ratio(left.title, right.title) / 100.0
    score = _ARTIST_WEIGHT * artist + _TITLE_WEIGHT * title
    if left.version != right.version:
        version = fuzz.token_set_ratio(left.version, right.version) / 100.0
        score -= (
            _VERSION_PENALTY * (1.0 - version)
            if left.version and right.version
            else (_VERSION_PENALTY)
        )
    return min(1.0, max(0.0, score))


def score_match(entry: TrackEntry, candidate: RecordingCandidate) -> float:
    """How likely ``entry`` is ``candidate``, in [0, 1] (0 for an unidentified entry)."""
    if entry.is_unidentified:
        return 0.0
    return _similarity(
        normalize_track(entry.artist, entry.title, entry.mix),
        normalize_track(candidate.artist, candidate.title),
    )


def match_tracklist(
    tracklist: Tracklist,
    candidates: Sequence[RecordingCandidate],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
    estimate_times: bool = True,
) -> MatchResult:
    """Match every entry to the candidates; optionally estimate missing start times.

    Args:
        tracklist: The entries to match; entries already holding a ``recording_id``
            keep it unless a candidate scores higher than their ``match_score``.
        candidates: The recordings to choose from.
        threshold: Least score, in [0, 1], for an entry to take its best candidate.
        limit: How many candidates to keep per entry (>= 1).
        estimate_times: Fill missing start times from the matched durations (see
            :func:`estimate_start_times`).

    Raises:
        TracklistError: ``threshold`` outside [0, 1] or ``limit`` below 1.
    """
    if not 0.0 <= threshold <= 1.0 or limit < 1:
        raise TracklistError(f"threshold must be in [0, 1] and limit >= 1 ({threshold}, {limit})")
    normalized = [normalize_track(c.artist, c.title) for c in candidates]
    choices = [f"{n.artist} {n.title}" for n in normalized]
    matches: list[EntryMatch] = []
    entries: list[TrackEntry] = []
    for index, original in enumerate(tracklist.entries):
        entry = original
        scored: list[ScoredCandidate] = []
        if not entry.is_unidentified and choices:
            mine = normalize_track(entry.artist, entry.title, entry.mix)
            shortlist = process.extract(
                f"{mine.artist} {mine.title}",
                choices,
                scorer=fuzz.token_set_ratio,
                limit=max(limit * 4, 20),
                score_cutoff=_PREFILTER_CUTOFF,
            )
            scored = sorted(
                (
                    ScoredCandidate(candidates[at], round(_similarity(mine, normalized[at]), 4))
                    for _, _, at in shortlist
                ),
                key=lambda item: (-item.score, str(item.candidate.id)),
            )[:limit]
        match = EntryMatch(index, entry, tuple(s for s in scored if s.score > 0))
        matches.append(match)
        best = match.best
        if (
            best is not None
            and best.score >= threshold
            and (entry.match_score is None or best.score > entry.match_score)
        ):
            entry = replace(entry, recording_id=best.candidate.id, match_score=best.score)
        entries.append(entry)
    result = tracklist.with_entries(entries)
    if estimate_times:
        durations = {c.id: c.duration_s for c in candidates if c.duration_s is not None}
        result = estimate_start_times(result, durations)
    return MatchResult(result, tuple(matches))


def estimate_start_times(
    tracklist: Tracklist, durations: Mapping[UUID, float], *, mix_start_s: float = 0.0
) -> Tracklist:
    """Give entries without a start time one estimated from the durations before them.

    An entry's estimate is the previous entry's start plus that entry's recording's
    duration (seconds); a first entry without time starts at ``mix_start_s``. When the
    estimates of a run of entries overshoot the next known start (DJs rarely play
    tracks whole), they are scaled down to fit before it. Entries played with the
    previous one share its start. Estimated starts are marked ``estimated``; an entry
    whose predecessor's duration is unknown stays without time.
    """
    entries = list(tracklist.entries)
    starts: list[float | None] = [entry.start_s for entry in entries]
    estimated = [False] * len(entries)
    clock: float | None = mix_start_s
    for index, entry in enumerate(entries):
        if entry.played_with_previous and index > 0:
            if starts[index] is None and starts[index - 1] is not None:
                starts[index], estimated[index] = starts[index - 1], estimated[index - 1]
            continue
        if starts[index] is None and clock is not None:
            starts[index], estimated[index] = clock, True
        length = durations.get(entry.recording_id) if entry.recording_id is not None else None
        known = starts[index]
        clock = None if known is None or length is None or length <= 0 else known + length
    _fit_runs(starts, estimated)
    updated = [
        replace(entry, start_s=start, estimated=True)
        if was_estimated and start is not None
        else entry
        for entry, start, was_estimated in zip(entries, starts, estimated, strict=True)
    ]
    return tracklist.with_entries(updated)


def _fit_runs(starts: list[float | None], estimated: list[bool]) -> None:
    """Scale runs of estimates that pass the next read start to end before it."""
    anchor: int | None = None
    for index, start in enumerate(starts):
        if start is None or estimated[index]:
            continue
        if anchor is not None and index - anchor > 1:
            run = range(anchor + 1, index)
            if all(estimated[i] and starts[i] is not None for i in run):
                origin = starts[anchor]
                assert origin is not None
                span = start - origin
                last = starts[index - 1]
                assert last is not None
                # The run needs room for its own last track too: use the average length.
                needed = (last - origin) * (1 + 1 / len(run))
                if span > 0 and needed > span and math.isfinite(needed):
                    factor = span / needed
                    for i in run:
                        value = starts[i]
                        assert value is not None
                        starts[i] = origin + (value - origin) * factor
        anchor = index
