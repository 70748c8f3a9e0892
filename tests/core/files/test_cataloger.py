"""Applying file events to the catalog: content keys, moves, soft deletes, stale events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracktion.contracts import CatalogChange, FileEventType
from tracktion.core.catalog import CatalogStore
from tracktion.core.files import (
    CatalogOutcome,
    LibraryEvent,
    apply_event,
    discovered_event,
    lifecycle_event,
    lifecycle_id,
)
from tracktion.core.formats import audio_format
from tracktion.core.hashing import FileDigest, hash_file

from .helpers import write

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(
    kind: str,
    path: Path,
    digest: FileDigest | None,
    when: datetime,
    *,
    mtime_ns: int = 1,
    old_path: Path | None = None,
) -> LibraryEvent:
    fmt = audio_format(path)
    assert fmt is not None
    root = str(path.parent)
    if kind == "discovered":
        assert digest is not None
        return discovered_event(
            path=str(path),
            root=root,
            fmt=fmt,
            digest=digest,
            mtime_ns=mtime_ns,
            ctime_ns=mtime_ns,
            at=when,
            instance_id="test",
        )
    return lifecycle_event(
        FileEventType(kind),
        path=str(path),
        root=root,
        fmt=fmt,
        at=when,
        instance_id="test",
        correlation_id=lifecycle_id(str(path), ""),
        digest=digest,
        mtime_ns=mtime_ns,
        ctime_ns=mtime_ns,
        old_path=None if old_path is None else str(old_path),
    )


async def apply(store: CatalogStore, item: LibraryEvent) -> CatalogOutcome:
    async with store.transaction() as tx:
        return await apply_event(tx, item)


async def test_new_content_is_added_once_and_copies_reuse_it(
    tmp_path: Path, catalog: CatalogStore
) -> None:
    write(tmp_path / "a.mp3", b"song")
    write(tmp_path / "b.mp3", b"song")
    digest = hash_file(tmp_path / "a.mp3")
    first = await apply(catalog, event("discovered", tmp_path / "a.mp3", digest, at(1)))
    copy = await apply(catalog, event("created", tmp_path / "b.mp3", digest, at(2)))
    assert (first.change, first.new_content, first.duplicate_count) == (
        CatalogChange.ADDED,
        True,
        0,
    )
    assert (copy.change, copy.new_content, copy.duplicate_count) == (CatalogChange.ADDED, False, 1)
    assert copy.recording_id == first.recording_id
    update, update_id = copy.catalog_updated(at(3))
    assert (update.change, update.duplicate_count, update.file_path) == (
        CatalogChange.ADDED,
        1,
        str(tmp_path / "b.mp3"),
    )
    assert copy.catalog_updated(at(4))[1] == update_id  # stable id for republication
    request, _ = first.analyze_request()
    assert (request.recording_id, request.xxh128_hash) == (first.recording_id, digest.xxh128)
    with pytest.raises(ValueError, match="not new"):
        copy.analyze_request()
    again = await apply(catalog, event("discovered", tmp_path / "a.mp3", digest, at(1)))
    assert again.change is None
    assert not again.new_content


async def test_modified_content_moves_and_deletes(tmp_path: Path, catalog: CatalogStore) -> None:
    old, new = FileDigest("a" * 64, "b" * 32, 10), FileDigest("c" * 64, "d" * 32, 12)
    path, renamed = tmp_path / "x.flac", tmp_path / "y.flac"
    added = await apply(catalog, event("created", path, old, at(1)))
    added_record = await catalog.get_file(str(path))
    assert added_record is not None
    added_record_id = added_record.id
    modified = await apply(catalog, event("modified", path, new, at(2), mtime_ns=2))
    assert (modified.change, modified.new_content) == (CatalogChange.UPDATED, True)
    assert modified.recording_id != added.recording_id
    moved = await apply(catalog, event("renamed", renamed, new, at(3), mtime_ns=2, old_path=path))
    assert moved.change is CatalogChange.MOVED
    update, _ = moved.catalog_updated()
    assert update.old_path == str(path)
    record = await catalog.get_file(str(renamed))
    assert record is not None
    assert record.id == added_record_id
    assert [m.old_path for m in await catalog.file_moves(record.id)] == [str(path)]
    deleted = await apply(catalog, event("deleted", renamed, new, at(4), mtime_ns=2))
    assert (deleted.change, deleted.recording_id) == (CatalogChange.DELETED, moved.recording_id)
    assert await catalog.get_file(str(renamed)) is None
    tombstone = await catalog.get_file(str(renamed), include_deleted=True)
    assert tombstone is not None
    assert tombstone.deleted_at == at(4)
    unknown = await apply(catalog, event("deleted", tmp_path / "never.mp3", None, at(5)))
    assert unknown.change is None


async def test_older_events_are_not_applied_backwards(
    tmp_path: Path, catalog: CatalogStore
) -> None:
    old, new = FileDigest("1" * 64, "2" * 32, 10), FileDigest("3" * 64, "4" * 32, 10)
    path = tmp_path / "x.mp3"
    await apply(catalog, event("created", path, old, at(1), mtime_ns=100))
    await apply(catalog, event("modified", path, new, at(5), mtime_ns=200))
    late = await apply(catalog, event("modified", path, old, at(3), mtime_ns=150))
    assert late.stale
    # Another watcher whose clock is ahead, but whose file state is older (mtime).
    skewed = await apply(catalog, event("modified", path, old, at(9), mtime_ns=150))
    assert skewed.stale
    late_delete = await apply(catalog, event("deleted", path, None, at(4)))
    assert late_delete.stale
    record = await catalog.get_file(str(path))
    assert record is not None
    assert (record.sha256, record.mtime_ns) == (new.sha256, 200)


async def test_purge_after_retention(tmp_path: Path, catalog: CatalogStore) -> None:
    digest = FileDigest("e" * 64, "f" * 32, 1)
    path = tmp_path / "gone.ogg"
    await apply(catalog, event("created", path, digest, at(1)))
    await apply(catalog, event("deleted", path, None, at(2)))
    purged = await catalog.purge_deleted(at(3))
    assert (purged.files, purged.recordings) == (1, 1)
    assert await catalog.get_file(str(path), include_deleted=True) is None
