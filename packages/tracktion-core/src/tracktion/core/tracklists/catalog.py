"""Tracklists in the catalog: storing versions, editing with history, loading candidates.

The catalog keeps every version of a tracklist (``tracklists``/``tracklist_versions``/
``tracklist_entries``). Its entries have no "played with the previous track" flag, so a
``w/`` entry is stored with the start time of the entry before it, and an entry starting
exactly when the previous one does reads back as played with it. Performer and source
line numbers are not stored.

Candidates for matching are the recordings with a live file that have ``artist`` and
``title`` tags (from any tag source; the first of ``tag_sources`` that has both wins) and,
when analyzed, their duration (the ``duration_s`` analysis feature, seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select

from ..catalog import CatalogStore, CatalogTransaction
from ..catalog import Tracklist as CatalogTracklist
from ..catalog import TracklistEntry as CatalogEntry
from ..catalog.schema import analysis_results, files, tags
from .errors import TracklistError
from .matching import RecordingCandidate
from .model import TrackEntry, Tracklist

__all__ = [
    "DEFAULT_TAG_SOURCES",
    "DURATION_FEATURE",
    "StoredTracklist",
    "edit_tracklist",
    "from_catalog_entries",
    "load_candidates",
    "load_tracklist",
    "save_tracklist",
    "to_catalog_entries",
]

DURATION_FEATURE = "duration_s"
"""The analysis feature holding a recording's length in seconds."""
DEFAULT_TAG_SOURCES = ("user", "musicbrainz", "file", "id3")
"""Tag sources in order of preference; other sources come after these, by name."""


@dataclass(frozen=True, slots=True)
class StoredTracklist:
    """A tracklist as stored: its catalog id, the version read or written, the header."""

    id: UUID
    version: int
    header: CatalogTracklist
    tracklist: Tracklist


def to_catalog_entries(tracklist: Tracklist) -> list[CatalogEntry]:
    """The catalog's entries for a tracklist, positions from 1."""
    entries = []
    previous: float | None = None
    for position, entry in enumerate(tracklist.entries, start=1):
        start = previous if entry.played_with_previous else entry.start_s
        entries.append(
            CatalogEntry(
                position=position,
                artist=entry.artist,
                title=entry.title,
                start_s=start,
                mix=entry.mix,
                label=entry.label,
                recording_id=entry.recording_id,
                match_score=entry.match_score,
                estimated=entry.estimated,
            )
        )
        previous = start
    return entries


def from_catalog_entries(
    entries: Sequence[CatalogEntry], header: CatalogTracklist | None = None
) -> Tracklist:
    """A tracklist from catalog entries (and the header's title, source and URL)."""
    converted: list[TrackEntry] = []
    previous: float | None = None
    for entry in entries:
        together = bool(converted) and entry.start_s is not None and entry.start_s == previous
        converted.append(
            TrackEntry(
                artist=entry.artist,
                title=entry.title,
                start_s=entry.start_s,
                mix=entry.mix,
                label=entry.label,
                played_with_previous=together,
                estimated=entry.estimated,
                recording_id=entry.recording_id,
                match_score=entry.match_score,
            )
        )
        previous = entry.start_s
    if header is None:
        return Tracklist(tuple(converted), source="catalog")
    return Tracklist(
        tuple(converted), title=header.title, source=header.source, source_url=header.source_url
    )


async def save_tracklist(
    tx: CatalogTransaction,
    tracklist: Tracklist,
    *,
    mix_recording_id: UUID | None = None,
    note: str | None = "imported",
) -> StoredTracklist:
    """Store ``tracklist`` as a new catalog tracklist (version 1).

    Raises the catalog's ``CatalogInputError`` for values it refuses and
    ``CatalogConflictError`` when ``mix_recording_id`` names no recording.
    """
    header = await tx.create_tracklist(
        to_catalog_entries(tracklist),
        source=tracklist.source,
        title=tracklist.title,
        source_url=tracklist.source_url,
        mix_recording_id=mix_recording_id,
        note=note,
    )
    return StoredTracklist(header.id, 1, header, tracklist)


async def load_tracklist(
    tx: CatalogTransaction, tracklist_id: UUID, version: int | None = None
) -> StoredTracklist:
    """Version ``version`` (default: the latest) of a stored tracklist.

    Raises:
        TracklistError: no such tracklist or version (the message names both).
    """
    header = await tx.get_tracklist(tracklist_id)
    stored = None if header is None else await tx.get_tracklist_version(tracklist_id, version)
    if header is None or stored is None:
        which = "" if version is None else f" version {version}"
        raise TracklistError(f"no tracklist {tracklist_id}{which} in the catalog")
    return StoredTracklist(
        tracklist_id, stored.version, header, from_catalog_entries(stored.entries, header)
    )


async def edit_tracklist(
    tx: CatalogTransaction,
    tracklist_id: UUID,
    edit: Callable[[Tracklist], Tracklist],
    *,
    note: str,
) -> StoredTracklist:
    """Apply ``edit`` (see :mod:`.edits`) to the latest version and store the result as
    the next version with ``note``; earlier versions stay as they were.

    Raises:
        TracklistError: no such tracklist.
        TracklistEditError: the edit does not fit the tracklist.
    """
    current = await load_tracklist(tx, tracklist_id)
    edited = edit(current.tracklist)
    version = await tx.add_tracklist_version(tracklist_id, to_catalog_entries(edited), note=note)
    header = await tx.get_tracklist(tracklist_id)
    assert header is not None  # it existed in this transaction a moment ago
    return StoredTracklist(tracklist_id, version.version, header, edited)


def _source_order(tag_sources: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    rank = {source: index for index, source in enumerate(tag_sources)}
    return lambda source: (rank.get(source, len(rank)), source)


async def load_candidates(
    store: CatalogStore, *, tag_sources: Sequence[str] = DEFAULT_TAG_SOURCES
) -> list[RecordingCandidate]:
    """Every recording with a live file and ``artist`` and ``title`` tags, as candidates
    for :func:`~.matching.match_tracklist`, ordered by recording id.

    One read of the tags and one of the durations, whatever the library's size.
    """
    live = select(files.c.recording_id).where(files.c.deleted_at.is_(None))
    order = _source_order(tag_sources)
    async with store.engine.connect() as connection:
        tag_rows = (
            await connection.execute(
                select(tags.c.recording_id, tags.c.source, tags.c.key, tags.c.value).where(
                    tags.c.key.in_(("artist", "title")), tags.c.recording_id.in_(live)
                )
            )
        ).all()
        duration_rows = (
            await connection.execute(
                select(
                    analysis_results.c.recording_id,
                    analysis_results.c.value,
                    analysis_results.c.computed_at,
                )
                .where(analysis_results.c.feature == DURATION_FEATURE)
                .order_by(analysis_results.c.computed_at)
            )
        ).all()
    by_source: dict[UUID, dict[str, dict[str, str]]] = {}
    for row in tag_rows:
        by_source.setdefault(row.recording_id, {}).setdefault(row.source, {})[row.key] = row.value
    durations: dict[UUID, float] = {}
    for duration in duration_rows:  # ascending, so the latest result wins
        seconds = _seconds(duration.value)
        if seconds is not None:
            durations[duration.recording_id] = seconds
    candidates = []
    for recording_id in sorted(by_source, key=str):
        for source in sorted(by_source[recording_id], key=order):
            found = by_source[recording_id][source]
            artist, title = found.get("artist", "").strip(), found.get("title", "").strip()
            if artist and title:
                candidates.append(
                    RecordingCandidate(recording_id, artist, title, durations.get(recording_id))
                )
                break
    return candidates


def _seconds(value: Any) -> float | None:
    if isinstance(value, dict):
        value = value.get(DURATION_FEATURE)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)
