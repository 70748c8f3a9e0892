"""Reads of files and recordings: lookups by path, id and content, duplicates, scan state.

The write side (:mod:`._files`) builds on these; both work on the two partial indexes of
``files.path``, one over live files and one over tombstones, so every lookup says which
it wants (``deleted_at IS NULL`` or ``IS NOT NULL``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, union_all

from . import _checks
from ._base import RepositoryBase
from .errors import CatalogInputError
from .records import (
    MAX_PATH_LENGTH,
    SHA256_HEX_DIGITS,
    XXH128_HEX_DIGITS,
    DuplicateGroup,
    FileMove,
    FileRecord,
    Recording,
    ScanEntry,
)
from .schema import file_moves, files, recordings

__all__ = [
    "DELETED",
    "LIVE",
    "FileQueriesRepository",
    "checked_path",
    "file_record",
    "recording_record",
]

LIVE = files.c.deleted_at.is_(None)
DELETED = files.c.deleted_at.is_not(None)


def file_record(row: Row[Any]) -> FileRecord:
    """A ``files`` row as a :class:`FileRecord`."""
    return FileRecord(
        id=row.id,
        recording_id=row.recording_id,
        path=row.path,
        root=row.root,
        size_bytes=row.size_bytes,
        mtime_ns=row.mtime_ns,
        sha256=row.sha256,
        xxh128=row.xxh128,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        deleted_at=row.deleted_at,
    )


def recording_record(row: Row[Any]) -> Recording:
    """A ``recordings`` row as a :class:`Recording`."""
    return Recording(
        id=row.id,
        sha256=row.sha256,
        xxh128=row.xxh128,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
    )


def checked_path(value: str, name: str) -> str:
    """``value`` if it is a usable path (not blank, no NUL, at most 4096 characters)."""
    return _checks.text(value, name, max_length=MAX_PATH_LENGTH)


class FileQueriesRepository(RepositoryBase):
    """Reads of files and recordings (mixin of the unit of work)."""

    async def get_file(self, path: str, *, include_deleted: bool = False) -> FileRecord | None:
        """The live file at ``path``; with ``include_deleted``, else its latest tombstone."""
        checked_path(path, "path")
        row = await self._live_row(path)
        if row is None and include_deleted:
            row = await self._latest_tombstone(path)
        return None if row is None else file_record(row)

    async def get_file_by_id(self, file_id: UUID) -> FileRecord | None:
        """The file with this id, live or soft-deleted."""
        result = await self._execute(select(files).where(files.c.id == file_id))
        row = result.first()
        return None if row is None else file_record(row)

    async def files_of(
        self, recording_id: UUID, *, include_deleted: bool = False
    ) -> list[FileRecord]:
        """The files holding a recording, by path (tombstones after live files)."""
        query = select(files).where(files.c.recording_id == recording_id)
        if not include_deleted:
            query = query.where(LIVE)
        result = await self._execute(query.order_by(files.c.path, files.c.deleted_at))
        return [file_record(row) for row in result]

    async def file_moves(self, file_id: UUID) -> list[FileMove]:
        """The move history of a file, oldest first."""
        result = await self._execute(
            select(file_moves)
            .where(file_moves.c.file_id == file_id)
            .order_by(file_moves.c.moved_at, file_moves.c.id)
        )
        return [
            FileMove(
                file_id=row.file_id,
                old_path=row.old_path,
                new_path=row.new_path,
                moved_at=row.moved_at,
            )
            for row in result
        ]

    async def get_recording(self, recording_id: UUID) -> Recording | None:
        """The recording with this id."""
        result = await self._execute(select(recordings).where(recordings.c.id == recording_id))
        row = result.first()
        return None if row is None else recording_record(row)

    async def find_recording(
        self, *, sha256: str | None = None, xxh128: str | None = None
    ) -> Recording | None:
        """The recording with this content. SHA-256 is the identity; XXH128 alone may in
        theory match several recordings, and then the oldest is returned. Raises
        ``CatalogInputError`` when neither digest is given or one is malformed."""
        query = select(recordings)
        if sha256 is None and xxh128 is None:
            raise CatalogInputError("find_recording needs sha256 or xxh128")
        if sha256 is not None:
            query = query.where(
                recordings.c.sha256 == _checks.digest(sha256, SHA256_HEX_DIGITS, "sha256")
            )
        if xxh128 is not None:
            query = query.where(
                recordings.c.xxh128 == _checks.digest(xxh128, XXH128_HEX_DIGITS, "xxh128")
            )
        result = await self._execute(
            query.order_by(recordings.c.created_at, recordings.c.id).limit(1)
        )
        row = result.first()
        return None if row is None else recording_record(row)

    async def duplicates(self, *, limit: int = 100, offset: int = 0) -> list[DuplicateGroup]:
        """Recordings held by two or more live files, most copies first (then by recording
        id, so that pages are stable), ``limit`` groups from ``offset``."""
        limit, offset = _checks.page(limit, offset)
        copies = func.count().label("copies")
        groups = (
            await self._execute(
                select(files.c.recording_id, copies)
                .where(LIVE)
                .group_by(files.c.recording_id)
                .having(func.count() > 1)
                .order_by(copies.desc(), files.c.recording_id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        ids = [row.recording_id for row in groups]
        if not ids:
            return []
        found = await self._execute(select(recordings).where(recordings.c.id.in_(ids)))
        by_id = {row.id: recording_record(row) for row in found}
        members: dict[UUID, list[FileRecord]] = {recording_id: [] for recording_id in ids}
        rows = await self._execute(
            select(files).where(files.c.recording_id.in_(ids), LIVE).order_by(files.c.path)
        )
        for row in rows:
            members[row.recording_id].append(file_record(row))
        return [DuplicateGroup(by_id[rid], tuple(members[rid])) for rid in ids]

    async def scan_state(self, root: str) -> dict[str, ScanEntry]:
        """Size and mtime of every live file under library root ``root``, by path: what a
        scanner compares with ``os.stat`` to skip unchanged files without hashing them, and
        whose leftover keys are the files that vanished."""
        checked_path(root, "root")
        result = await self._execute(
            select(files.c.path, files.c.size_bytes, files.c.mtime_ns).where(
                files.c.root == root, LIVE
            )
        )
        return {row.path: ScanEntry(row.size_bytes, row.mtime_ns) for row in result}

    # -- shared with the write side --------------------------------------------------------

    async def _live_row(self, path: str) -> Row[Any] | None:
        result = await self._execute(select(files).where(files.c.path == path, LIVE))
        return result.first()

    async def _latest_tombstone(self, path: str) -> Row[Any] | None:
        result = await self._execute(
            select(files)
            .where(files.c.path == path, DELETED)
            .order_by(files.c.deleted_at.desc())
            .limit(1)
        )
        return result.first()

    async def _rows_at(
        self, paths: Sequence[str]
    ) -> tuple[dict[str, Row[Any]], dict[str, Row[Any]]]:
        """The live row at each path, and for paths without one their latest tombstone."""
        # One round trip; each arm matches one partial index on path.
        query = union_all(
            select(files).where(files.c.path.in_(paths), LIVE),
            select(files).where(files.c.path.in_(paths), DELETED),
        )
        live: dict[str, Row[Any]] = {}
        tombstones: dict[str, Row[Any]] = {}
        for row in await self._execute(query):
            if row.deleted_at is None:
                live[row.path] = row
            elif (latest := tombstones.get(row.path)) is None or row.deleted_at > latest.deleted_at:
                tombstones[row.path] = row
        return live, {path: row for path, row in tombstones.items() if path not in live}
