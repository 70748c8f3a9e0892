"""The catalog journal: a crash at every point of a batch recovers through the catalog, and
the catalog's file records follow the files."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.core.files.helpers import migrated_catalog
from tracktion.core.catalog import (
    CatalogStore,
    FileObservation,
    JournalState,
    open_catalog,
)
from tracktion.core.hashing import hash_file
from tracktion.core.rename import Applier, CatalogJournal, Move, MoveMethod

from .test_apply import Crash, CrashAt, library
from .trees import snapshot

__all__ = ["migrated_catalog"]

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(tmp_path: Path, migrated_catalog: Path) -> AsyncIterator[CatalogStore]:
    shutil.copy(migrated_catalog, tmp_path / "catalog.db")
    async with await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}") as catalog:
        yield catalog


async def register(store: CatalogStore, root: Path, moves: list[Move]) -> None:
    for move in moves:
        digest = hash_file(move.old_path)
        stat = os.stat(move.old_path)
        await store.upsert_file(
            FileObservation(
                move.old_path,
                str(root),
                stat.st_size,
                stat.st_mtime_ns,
                digest.sha256,
                digest.xxh128,
                datetime.now(UTC),
            )
        )


async def test_a_crash_at_every_point_recovers_files_and_records(
    tmp_path: Path, store: CatalogStore
) -> None:
    root, moves = library(tmp_path, 3)
    await register(store, root, moves)
    before = snapshot(root)
    journal = CatalogJournal(store)
    at = 1
    while True:
        hook = CrashAt(at)
        applier = Applier(journal, str(root), method=MoveMethod.LINK, durable=False, hook=hook)
        try:
            batch = await applier.apply(moves)
        except Crash:
            recovered = await Applier(journal, str(root), method=MoveMethod.LINK).recover()
            if not recovered:  # crashed after the last step was journaled: finished; undo it
                assert hook.batch_id is not None
                await Applier(journal, str(root)).undo(hook.batch_id)
            assert snapshot(root) == before, f"crash at hook call {at}"
            for move in moves:
                assert await store.get_file(move.old_path) is not None, f"crash at {at}"
                assert await store.get_file(move.new_path) is None
            at += 1
            continue
        break
    assert at > 2 * (len(moves) + 3)
    assert all(entry.state is JournalState.DONE for entry in batch.entries)
    for move in moves:
        assert await store.get_file(move.new_path) is not None
        assert await store.get_file(move.old_path) is None
    await Applier(journal, str(root)).undo(batch.batch_id)
    assert snapshot(root) == before
    assert await store.get_file(moves[0].old_path) is not None
