"""Files and recordings: where audio lives, keyed by what it contains.

A *recording* is one distinct content (its SHA-256); a *file* is a path that holds a
recording. Upserts are keyed by content: a file that moves keeps its row, its recording
and everything attached to the recording (tags, analysis, tracklist matches); a path
whose content changes points to another recording; two live paths with one content are
duplicates of one recording. Deletion is soft (``deleted_at``) until
:meth:`FilesRepository.purge_deleted` applies the retention period.

Every write takes the time of the observation it records (``seen_at``, ``at``) and
ignores observations older than what is stored, so that redelivered or reordered events
cannot roll a file back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Row, bindparam, delete, exists, insert, select, update

from . import _checks
from ._base import BATCH_SIZE, chunked
from ._file_queries import DELETED, LIVE, FileQueriesRepository, checked_path, file_record
from .errors import CatalogInputError, CatalogNotFoundError
from .records import (
    FileObservation,
    FileRecord,
    FileUpsert,
    PurgeResult,
    recording_id_for,
)
from .schema import file_moves, files, graph_recordings, recordings, tracklist_entries, tracklists

__all__ = ["FilesRepository"]

_UPDATE_FILE = (
    update(files)
    .where(files.c.id == bindparam("b_id"))
    .values(
        recording_id=bindparam("b_recording_id"),
        root=bindparam("b_root"),
        size_bytes=bindparam("b_size_bytes"),
        mtime_ns=bindparam("b_mtime_ns"),
        sha256=bindparam("b_sha256"),
        xxh128=bindparam("b_xxh128"),
        last_seen_at=bindparam("b_seen_at"),
        deleted_at=None,
    )
)


def _unique_path_batches(
    observations: Iterable[FileObservation], size: int
) -> Iterable[list[FileObservation]]:
    # A path seen twice is applied in order: the second goes into a later batch.
    batch: list[FileObservation] = []
    paths: set[str] = set()
    for observation in observations:
        if not isinstance(observation, FileObservation):
            raise CatalogInputError(f"expected a FileObservation, got {type(observation).__name__}")
        if len(batch) >= size or observation.path in paths:
            yield batch
            batch, paths = [], set()
        batch.append(observation)
        paths.add(observation.path)
    if batch:
        yield batch


class FilesRepository(FileQueriesRepository):
    """Files, recordings, moves, soft deletion and retention (mixin of the unit of work)."""

    # -- writes ----------------------------------------------------------------------------

    async def upsert_file(
        self, observation: FileObservation, *, move_from: str | None = None
    ) -> FileUpsert:
        """Record that ``observation.path`` holds the observed content.

        The path's file row is created, updated, or revived if it was soft-deleted; its
        recording is the one with the observed SHA-256, created if the content is new.
        ``move_from`` is the path the watcher says this file came from: if a file with the
        same content is known there (live, or soft-deleted when the watcher reported the
        deletion first), that row moves here, keeping its id, recording and history, and
        a live file it replaces at this path is soft-deleted. Otherwise ``move_from`` is
        ignored and the observation is an ordinary one.

        An observation older than the stored state of its path (``seen_at`` before the
        file's last sighting or deletion) writes nothing and returns ``stale=True``.
        Raises ``CatalogInputError`` for a blank ``move_from``, and
        ``CatalogConflictError`` when another unit of work created a file at the same path
        concurrently (PostgreSQL; SQLite serializes writers): running it again succeeds.
        """
        moved_from = None
        if move_from is not None:
            checked_path(move_from, "move_from")
            if move_from != observation.path and await self._adopt_move(move_from, observation):
                moved_from = move_from
        [result] = await self._upsert_batch([observation])
        return replace(result, moved_from=moved_from) if moved_from else result

    async def upsert_files(
        self, observations: Iterable[FileObservation], *, batch_size: int = BATCH_SIZE
    ) -> list[FileUpsert]:
        """:meth:`upsert_file` (without moves) for many observations, in batches of
        ``batch_size`` with a few statements per batch; results are in input order.

        For initial scans and rescans. An observation of a path that appears earlier in the
        input is applied after it, as if the calls had been made one by one.
        """
        _checks.positive(batch_size, "batch_size")
        results: list[FileUpsert] = []
        for batch in _unique_path_batches(observations, batch_size):
            results.extend(await self._upsert_batch(batch))
        return results

    async def move_file(
        self, old_path: str, new_path: str, at: datetime, *, root: str | None = None
    ) -> FileRecord:
        """Move the live file at ``old_path`` to ``new_path`` (a rename, or a move that the
        watcher saw as one), keeping its id and recording, and add it to its history.

        ``root`` is the library root of the new path (default: unchanged). A live file
        already at ``new_path`` was overwritten by the move and is soft-deleted. Repeating
        a move that was already applied returns the moved file. Raises
        ``CatalogNotFoundError`` when no live file is at ``old_path``.
        """
        checked_path(old_path, "old_path")
        checked_path(new_path, "new_path")
        at = _checks.aware(at, "at")
        if root is not None:
            checked_path(root, "root")
        source = await self._live_row(old_path)
        if source is None:
            already = await self._moved_here(old_path, new_path)
            if already is not None:
                return already
            raise CatalogNotFoundError(f"no live file at {old_path!r} to move")
        if old_path == new_path:
            return file_record(source)
        await self._relocate(source, new_path, root or source.root, at)
        moved = await self._live_row(new_path)
        assert moved is not None, "the row was just moved there"
        return file_record(moved)

    async def mark_deleted(self, path: str, at: datetime) -> bool:
        """Soft-delete the live file at ``path`` as of ``at``; its recording and history stay
        until :meth:`purge_deleted`. Returns False when there is no live file there, or when
        the file was seen after ``at`` (a stale deletion event)."""
        checked_path(path, "path")
        at = _checks.aware(at, "at")
        result = await self._execute(
            update(files)
            .where(files.c.path == path, LIVE, files.c.last_seen_at <= at)
            .values(deleted_at=at)
            .returning(files.c.id)
        )
        return result.first() is not None

    async def touch_files(self, paths: Iterable[str], seen_at: datetime) -> int:
        """Record that the live files at ``paths`` were seen unchanged at ``seen_at`` (a rescan
        that skipped them via :meth:`scan_state`). Returns how many were updated."""
        seen_at = _checks.aware(seen_at, "seen_at")
        unique = sorted({checked_path(path, "path") for path in paths})
        touched = 0
        for batch in chunked(unique):
            result = await self._execute(
                update(files)
                .where(files.c.path.in_(batch), LIVE, files.c.last_seen_at < seen_at)
                .values(last_seen_at=seen_at)
            )
            touched += max(result.rowcount, 0)
        return touched

    async def purge_deleted(self, older_than: datetime) -> PurgeResult:
        """Remove for good the files soft-deleted before ``older_than`` (with their move
        history and rename proposals), then every recording that no file, tracklist or
        graph node refers to any more (with its tags and analysis).

        Recordings left behind by a content change are among those: the retention period
        applies to deleted paths, not to superseded content.
        """
        older_than = _checks.aware(older_than, "older_than")
        purged_files = await self._execute(
            delete(files).where(DELETED, files.c.deleted_at < older_than)
        )
        purged_recordings = await self._execute(
            delete(recordings).where(
                ~exists().where(files.c.recording_id == recordings.c.id),
                ~exists().where(tracklist_entries.c.recording_id == recordings.c.id),
                ~exists().where(tracklists.c.mix_recording_id == recordings.c.id),
                ~exists().where(graph_recordings.c.recording_id == recordings.c.id),
            )
        )
        return PurgeResult(
            files=max(purged_files.rowcount, 0), recordings=max(purged_recordings.rowcount, 0)
        )

    # -- internals -------------------------------------------------------------------------

    async def _moved_here(self, old_path: str, new_path: str) -> FileRecord | None:
        """The live file at ``new_path`` if its latest move was from ``old_path``."""
        target = await self._live_row(new_path)
        if target is None:
            return None
        history = await self.file_moves(target.id)
        if history and history[-1].old_path == old_path and history[-1].new_path == new_path:
            return file_record(target)
        return None

    async def _relocate(self, source: Row[Any], new_path: str, root: str, at: datetime) -> None:
        """Give ``source`` the path ``new_path`` (reviving it if it was soft-deleted), after
        soft-deleting a live file it replaces there, and journal the move."""
        replaced = await self._live_row(new_path)
        if replaced is not None and replaced.id != source.id:
            await self._execute(
                update(files).where(files.c.id == replaced.id).values(deleted_at=at)
            )
        await self._execute(
            update(files)
            .where(files.c.id == source.id)
            .values(
                path=new_path,
                root=root,
                deleted_at=None,
                last_seen_at=max(source.last_seen_at, at),
            )
        )
        await self._execute(
            insert(file_moves).values(
                id=uuid4(), file_id=source.id, old_path=source.path, new_path=new_path, moved_at=at
            )
        )

    async def _adopt_move(self, move_from: str, observation: FileObservation) -> bool:
        source = await self._live_row(move_from) or await self._latest_tombstone(move_from)
        if source is None or source.sha256 != observation.sha256:
            return False
        if source.deleted_at is None and observation.seen_at < source.last_seen_at:
            return False  # the file was seen at its old path after this observation
        replaced = await self._live_row(observation.path)
        if replaced is not None and observation.seen_at < replaced.last_seen_at:
            return False  # the file now at the destination was seen after this observation
        await self._relocate(source, observation.path, observation.root, observation.seen_at)
        return True

    async def _recordings_for(
        self, observations: Sequence[FileObservation]
    ) -> tuple[dict[str, UUID], set[str]]:
        """Recording ids for the observed contents, creating missing recordings; and the
        digests whose recordings this call created."""
        first: dict[str, FileObservation] = {}
        for observation in observations:
            first.setdefault(observation.sha256, observation)
        if not first:
            return {}, set()
        # Insert first: new content is the common case (a created or modified file), and
        # ON CONFLICT also covers a concurrent writer creating the same content. Parameters
        # as a list let SQLAlchemy batch them into multi-row VALUES ("insertmanyvalues")
        # with one cached statement; only the rows actually inserted come back.
        now = self._now()
        inserted = await self._execute(
            self._insert(recordings)
            .on_conflict_do_nothing(index_elements=["sha256"])
            .returning(recordings.c.sha256, recordings.c.id),
            [
                {
                    "id": recording_id_for(digest),
                    "sha256": digest,
                    "xxh128": observation.xxh128,
                    "size_bytes": observation.size_bytes,
                    "created_at": now,
                }
                for digest, observation in first.items()
            ],
        )
        ids: dict[str, UUID] = {row.sha256: row.id for row in inserted}
        created = set(ids)
        known = [digest for digest in first if digest not in ids]
        if known:
            found = await self._execute(
                select(recordings.c.sha256, recordings.c.id).where(recordings.c.sha256.in_(known))
            )
            ids.update({row.sha256: row.id for row in found})
        return ids, created

    async def _upsert_batch(self, batch: Sequence[FileObservation]) -> list[FileUpsert]:
        """Apply observations of distinct paths with a handful of statements."""
        live, tombstones = await self._rows_at([observation.path for observation in batch])
        known = {**tombstones, **live}
        stale = {
            observation.path
            for observation in batch
            if (row := known.get(observation.path)) is not None
            and observation.seen_at < (row.deleted_at or row.last_seen_at)
        }
        ids, created = await self._recordings_for(
            [
                observation
                for observation in batch
                if observation.path not in stale
                and (
                    (row := known.get(observation.path)) is None or row.sha256 != observation.sha256
                )
            ]
        )
        results: list[FileUpsert] = []
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for observation in batch:
            existing = known.get(observation.path)
            if observation.path in stale:
                assert existing is not None
                results.append(FileUpsert(existing.id, existing.recording_id, stale=True))
                continue
            if existing is not None and existing.sha256 == observation.sha256:
                recording_id = existing.recording_id
            else:
                recording_id = ids[observation.sha256]
            # Only the first observation of new content in the batch reports creating it.
            recording_created = observation.sha256 in created
            created.discard(observation.sha256)
            if existing is None:
                inserts.append(_new_file_row(observation, recording_id))
                results.append(FileUpsert(inserts[-1]["id"], recording_id, True, recording_created))
                continue
            updates.append(_file_update(existing.id, observation, recording_id))
            changed = existing.recording_id != recording_id
            results.append(
                FileUpsert(
                    existing.id,
                    recording_id,
                    recording_created=recording_created,
                    content_changed=changed,
                    previous_recording_id=existing.recording_id if changed else None,
                    revived=existing.deleted_at is not None,
                )
            )
        if inserts:
            await self._execute(insert(files), inserts)
        if updates:
            await self._execute(_UPDATE_FILE, updates)
        return results


def _new_file_row(observation: FileObservation, recording_id: UUID) -> dict[str, Any]:
    return {
        "id": uuid4(),
        "recording_id": recording_id,
        "path": observation.path,
        "root": observation.root,
        "size_bytes": observation.size_bytes,
        "mtime_ns": observation.mtime_ns,
        "sha256": observation.sha256,
        "xxh128": observation.xxh128,
        "first_seen_at": observation.seen_at,
        "last_seen_at": observation.seen_at,
        "deleted_at": None,
    }


def _file_update(file_id: UUID, observation: FileObservation, recording_id: UUID) -> dict[str, Any]:
    # Parameters of _UPDATE_FILE; the update also clears deleted_at (a revival).
    return {
        "b_id": file_id,
        "b_recording_id": recording_id,
        "b_root": observation.root,
        "b_size_bytes": observation.size_bytes,
        "b_mtime_ns": observation.mtime_ns,
        "b_sha256": observation.sha256,
        "b_xxh128": observation.xxh128,
        "b_seen_at": observation.seen_at,
    }
