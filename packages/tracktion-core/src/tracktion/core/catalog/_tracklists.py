"""Versioned tracklists and the CUE sheets written from them.

A tracklist is a header plus immutable versions: an import, a correction or a re-match
adds a version instead of editing entries in place, so a CUE sheet always names the exact
version it renders and older sheets stay explainable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Row, insert, select, update

from tracktion.contracts import CueFormat

from . import _checks
from ._base import RepositoryBase
from .errors import CatalogInputError, CatalogNotFoundError
from .records import (
    MAX_PATH_LENGTH,
    SHA256_HEX_DIGITS,
    CueFile,
    Tracklist,
    TracklistEntry,
    TracklistVersion,
)
from .schema import cue_files, tracklist_entries, tracklist_versions, tracklists

__all__ = ["TracklistsRepository"]

_SOURCE_LENGTH = 64


def _tracklist(row: Row[Any]) -> Tracklist:
    return Tracklist(
        id=row.id,
        title=row.title,
        source=row.source,
        source_url=row.source_url,
        mix_recording_id=row.mix_recording_id,
        latest_version=row.latest_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _cue_file(row: Row[Any]) -> CueFile:
    return CueFile(
        id=row.id,
        tracklist_id=row.tracklist_id,
        version=row.version,
        format=CueFormat(row.format),
        path=row.path,
        checksum_sha256=row.checksum_sha256,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
    )


def _checked_entries(entries: Sequence[TracklistEntry]) -> list[TracklistEntry]:
    checked = list(entries)
    positions: set[int] = set()
    for entry in checked:
        if not isinstance(entry, TracklistEntry):
            raise CatalogInputError(f"expected a TracklistEntry, got {type(entry).__name__}")
        if entry.position in positions:
            raise CatalogInputError(f"position {entry.position} appears twice in the entries")
        positions.add(entry.position)
    return sorted(checked, key=lambda entry: entry.position)


class TracklistsRepository(RepositoryBase):
    """Tracklists, their versions and entries, and CUE files (mixin of the unit of work)."""

    async def create_tracklist(
        self,
        entries: Sequence[TracklistEntry],
        *,
        source: str,
        title: str | None = None,
        source_url: str | None = None,
        mix_recording_id: UUID | None = None,
        note: str | None = None,
    ) -> Tracklist:
        """Create a tracklist whose version 1 holds ``entries`` (positions unique).

        ``source`` says where it came from (``1001tracklists``, ``cue``, ``manual``, at most
        64 characters); ``mix_recording_id`` is the recording of the mix it describes.
        Raises ``CatalogInputError`` for invalid values and ``CatalogConflictError`` if a
        referenced recording does not exist."""
        _checks.text(source, "source", max_length=_SOURCE_LENGTH)
        _checks.optional_text(title, "title")
        _checks.optional_text(source_url, "source_url")
        checked = _checked_entries(entries)
        tracklist_id = uuid4()
        now = self._now()
        await self._execute(
            insert(tracklists).values(
                id=tracklist_id,
                title=title,
                source=source,
                source_url=source_url,
                mix_recording_id=mix_recording_id,
                latest_version=1,
                created_at=now,
                updated_at=now,
            )
        )
        await self._write_version(tracklist_id, 1, checked, note)
        return Tracklist(tracklist_id, title, source, source_url, mix_recording_id, 1, now, now)

    async def add_tracklist_version(
        self, tracklist_id: UUID, entries: Sequence[TracklistEntry], *, note: str | None = None
    ) -> TracklistVersion:
        """Add the next version of a tracklist with ``entries``; ``note`` says why (a
        correction, a re-match). Concurrent additions get distinct version numbers.
        Raises ``CatalogNotFoundError`` if the tracklist does not exist."""
        checked = _checked_entries(entries)
        _checks.optional_text(note, "note")
        # One atomic increment: it also locks the header row against concurrent additions.
        result = await self._execute(
            update(tracklists)
            .where(tracklists.c.id == tracklist_id)
            .values(latest_version=tracklists.c.latest_version + 1, updated_at=self._now())
            .returning(tracklists.c.latest_version)
        )
        version = result.scalar_one_or_none()
        if version is None:
            raise CatalogNotFoundError(f"no tracklist {tracklist_id}")
        return await self._write_version(tracklist_id, version, checked, note)

    async def get_tracklist(self, tracklist_id: UUID) -> Tracklist | None:
        """The tracklist's header, with the number of its latest version."""
        result = await self._execute(select(tracklists).where(tracklists.c.id == tracklist_id))
        row = result.first()
        return None if row is None else _tracklist(row)

    async def get_tracklist_version(
        self, tracklist_id: UUID, version: int | None = None
    ) -> TracklistVersion | None:
        """Version ``version`` of a tracklist (default: the latest), entries by position;
        ``None`` if the tracklist or that version does not exist."""
        if version is None:
            header = await self.get_tracklist(tracklist_id)
            if header is None:
                return None
            version = header.latest_version
        _checks.positive(version, "version")
        found = await self._execute(
            select(tracklist_versions).where(
                tracklist_versions.c.tracklist_id == tracklist_id,
                tracklist_versions.c.version == version,
            )
        )
        head = found.first()
        if head is None:
            return None
        rows = await self._execute(
            select(tracklist_entries)
            .where(
                tracklist_entries.c.tracklist_id == tracklist_id,
                tracklist_entries.c.version == version,
            )
            .order_by(tracklist_entries.c.position)
        )
        entries = tuple(
            TracklistEntry(
                position=row.position,
                artist=row.artist,
                title=row.title,
                start_s=row.start_s,
                mix=row.mix,
                label=row.label,
                recording_id=row.recording_id,
                match_score=row.match_score,
                estimated=row.estimated,
            )
            for row in rows
        )
        return TracklistVersion(tracklist_id, version, head.note, head.created_at, entries)

    async def add_cue_file(
        self,
        tracklist_id: UUID,
        *,
        version: int,
        format: CueFormat | str,
        path: str,
        checksum_sha256: str,
        size_bytes: int,
    ) -> CueFile:
        """Record a CUE sheet written at ``path`` from version ``version`` of a tracklist in
        ``format``, with its SHA-256 and size in bytes. Raises ``CatalogInputError`` for an
        unknown format or malformed values and ``CatalogConflictError`` if that tracklist
        version does not exist."""
        try:
            cue_format = CueFormat(format)
        except ValueError:
            known = ", ".join(member.value for member in CueFormat)
            raise CatalogInputError(f"unknown CUE format {format!r}; known: {known}") from None
        _checks.positive(version, "version")
        _checks.text(path, "path", max_length=MAX_PATH_LENGTH)
        checksum = _checks.digest(checksum_sha256, SHA256_HEX_DIGITS, "checksum_sha256")
        _checks.non_negative(size_bytes, "size_bytes")
        cue_id = uuid4()
        now = self._now()
        await self._execute(
            insert(cue_files).values(
                id=cue_id,
                tracklist_id=tracklist_id,
                version=version,
                format=cue_format.value,
                path=path,
                checksum_sha256=checksum,
                size_bytes=size_bytes,
                created_at=now,
            )
        )
        return CueFile(cue_id, tracklist_id, version, cue_format, path, checksum, size_bytes, now)

    async def get_cue_file(self, cue_file_id: UUID) -> CueFile | None:
        """The CUE file with this id."""
        result = await self._execute(select(cue_files).where(cue_files.c.id == cue_file_id))
        row = result.first()
        return None if row is None else _cue_file(row)

    async def cue_files_of(self, tracklist_id: UUID) -> list[CueFile]:
        """The CUE files of a tracklist, oldest first."""
        result = await self._execute(
            select(cue_files)
            .where(cue_files.c.tracklist_id == tracklist_id)
            .order_by(cue_files.c.created_at, cue_files.c.id)
        )
        return [_cue_file(row) for row in result]

    async def _write_version(
        self, tracklist_id: UUID, version: int, entries: list[TracklistEntry], note: str | None
    ) -> TracklistVersion:
        now = self._now()
        await self._execute(
            insert(tracklist_versions).values(
                tracklist_id=tracklist_id, version=version, note=note, created_at=now
            )
        )
        if entries:
            await self._execute(
                insert(tracklist_entries),
                [
                    {
                        "tracklist_id": tracklist_id,
                        "version": version,
                        "position": entry.position,
                        "start_s": entry.start_s,
                        "artist": entry.artist,
                        "title": entry.title,
                        "mix": entry.mix,
                        "label": entry.label,
                        "recording_id": entry.recording_id,
                        "match_score": entry.match_score,
                        "estimated": entry.estimated,
                    }
                    for entry in entries
                ],
            )
        return TracklistVersion(tracklist_id, version, note, now, tuple(entries))
