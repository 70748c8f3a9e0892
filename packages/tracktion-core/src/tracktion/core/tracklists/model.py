"""The tracklist model: entries of a DJ mix, with their start times and what they matched.

Times are seconds from the start of the mix (``float``, >= 0). An entry played on top of
the previous one (a mashup, ``w/`` in a tracklist) has ``played_with_previous`` set and
shares that entry's start time. ``ID - ID`` is an unidentified track.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from .errors import TracklistFormatError

__all__ = [
    "UNKNOWN",
    "ImportResult",
    "TrackEntry",
    "Tracklist",
    "TracklistProblem",
    "format_time",
]

UNKNOWN = "ID"
"""What tracklists write for an unidentified artist or title."""


def format_time(seconds: float) -> str:
    """``mm:ss`` below an hour, ``h:mm:ss`` from an hour on (whole seconds, rounded down)."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class TracklistProblem:
    """Something an importer skipped or doubted, with where it was.

    Attributes:
        source: The input's name (a path, a URL).
        line: 1-based line of the input, when there is one.
        message: What is wrong, in a sentence.
    """

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class TrackEntry:
    """One track of a mix.

    Attributes:
        artist: As written (``ID`` when unidentified).
        title: Without the mix name.
        start_s: Offset into the mix in seconds, ``None`` when unknown.
        mix: Mix or version name (``Extended Mix``, ``Artist Remix``), without parentheses.
        label: Record label.
        played_with_previous: Played together with the entry before (``w/``).
        estimated: ``start_s`` was estimated (from durations), not read from the source.
        recording_id: The catalog recording it was matched to.
        match_score: How well it matched, in [0, 1].
        line: The line of the source it was read from.

    Raises:
        TracklistFormatError: blank artist or title, negative or non-finite ``start_s``,
            ``match_score`` outside [0, 1].
    """

    artist: str
    title: str
    start_s: float | None = None
    mix: str | None = None
    label: str | None = None
    played_with_previous: bool = False
    estimated: bool = False
    recording_id: UUID | None = None
    match_score: float | None = None
    line: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = "entry" if self.line is None else f"entry of line {self.line}"
        if not self.artist.strip() or not self.title.strip():
            raise TracklistFormatError(where, "artist and title must not be blank", line=None)
        if self.start_s is not None and (not math.isfinite(self.start_s) or self.start_s < 0):
            raise TracklistFormatError(where, f"start time {self.start_s!r} s is not >= 0")
        if self.match_score is not None and not 0.0 <= self.match_score <= 1.0:
            raise TracklistFormatError(where, f"match score {self.match_score!r} is not in [0, 1]")

    @property
    def is_unidentified(self) -> bool:
        """Whether the track is unknown (``ID - ID``)."""
        return self.artist.upper() == UNKNOWN and self.title.upper() == UNKNOWN

    @property
    def full_title(self) -> str:
        """The title with the mix in parentheses: ``Title (Extended Mix)``."""
        return f"{self.title} ({self.mix})" if self.mix else self.title

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``line`` omitted: it belongs to one source)."""
        return {
            "artist": self.artist,
            "title": self.title,
            "start_s": self.start_s,
            "mix": self.mix,
            "label": self.label,
            "played_with_previous": self.played_with_previous,
            "estimated": self.estimated,
            "recording_id": None if self.recording_id is None else str(self.recording_id),
            "match_score": self.match_score,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<json>") -> TrackEntry:
        """Read the JSON form. Raises :class:`TracklistFormatError` naming ``source``."""
        try:
            start = data.get("start_s")
            recording = data.get("recording_id")
            score = data.get("match_score")
            return cls(
                artist=_text(data["artist"]),
                title=_text(data["title"]),
                start_s=None if start is None else float(start),
                mix=_optional_text(data.get("mix")),
                label=_optional_text(data.get("label")),
                played_with_previous=bool(data.get("played_with_previous", False)),
                estimated=bool(data.get("estimated", False)),
                recording_id=None if recording is None else UUID(str(recording)),
                match_score=None if score is None else float(score),
            )
        except TracklistFormatError as exc:
            raise TracklistFormatError(source, str(exc)) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TracklistFormatError(source, f"invalid entry {dict(data)!r}: {exc}") from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


@dataclass(frozen=True, slots=True)
class Tracklist:
    """The tracks of one mix, in play order.

    Attributes:
        entries: In play order.
        title: The mix's title.
        performer: The DJ.
        source: Where it came from (``text``, ``cue``, ``m3u``, ``1001tracklists``, ``json``).
        source_url: The page or path it was read from.
    """

    entries: tuple[TrackEntry, ...]
    title: str | None = None
    performer: str | None = None
    source: str = "text"
    source_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def is_fully_timed(self) -> bool:
        """Whether every entry has a start time."""
        return all(entry.start_s is not None for entry in self.entries)

    def with_entries(self, entries: Sequence[TrackEntry]) -> Tracklist:
        """A copy with other entries."""
        return replace(self, entries=tuple(entries))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``tracktion tracklist import --json``)."""
        return {
            "title": self.title,
            "performer": self.performer,
            "source": self.source,
            "source_url": self.source_url,
            "entries": [entry.to_dict() for entry in self.entries],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<json>") -> Tracklist:
        """Read the JSON form. Raises :class:`TracklistFormatError` naming ``source``."""
        if not isinstance(data, Mapping) or not isinstance(data.get("entries"), list):
            raise TracklistFormatError(source, "a tracklist is an object with an 'entries' list")
        entries = []
        for number, item in enumerate(data["entries"], start=1):
            if not isinstance(item, Mapping):
                raise TracklistFormatError(source, f"entry {number} is not an object")
            entries.append(TrackEntry.from_dict(item, source=f"{source} (entry {number})"))
        try:
            return cls(
                entries=tuple(entries),
                title=_optional_text(data.get("title")),
                performer=_optional_text(data.get("performer")),
                source=_text(data.get("source", "json")),
                source_url=_optional_text(data.get("source_url")),
            )
        except TypeError as exc:
            raise TracklistFormatError(source, str(exc)) from None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A tracklist read from a source, and what the importer skipped or doubted."""

    tracklist: Tracklist
    warnings: tuple[TracklistProblem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the tracklist plus ``warnings`` as strings."""
        return {**self.tracklist.to_dict(), "warnings": [str(w) for w in self.warnings]}
