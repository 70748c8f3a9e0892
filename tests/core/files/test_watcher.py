"""Live watching with real file-system events in temporary folders."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tracktion.contracts import FileLifecycleEvent
from tracktion.core.catalog import CatalogStore
from tracktion.core.files import (
    LibraryEvent,
    LibraryWatcher,
    ProblemKind,
    ScanOptions,
    ScanProblem,
    WatchOptions,
    apply_event,
)
from tracktion.core.hashing import hash_file

from .helpers import eventually, write

pytestmark = pytest.mark.anyio

FAST = WatchOptions(ScanOptions(instance_id="w-test"), stability_s=0.2, debounce_ms=50, step_ms=20)


class Running:
    def __init__(self, watcher: LibraryWatcher, events: list[LibraryEvent]) -> None:
        self.watcher = watcher
        self.events = events
        self.problems: list[ScanProblem] = []
        self.scanned: list[LibraryEvent] = []

    @property
    def live(self) -> list[LibraryEvent]:
        return self.events[len(self.scanned) :]

    def kinds(self) -> list[tuple[str, str, str | None]]:
        return [
            (e.kind, os.path.basename(e.path), e.old_path and os.path.basename(e.old_path))
            for e in self.live
        ]

    async def wait_for(self, count: int) -> list[LibraryEvent]:
        """The live events, once there are ``count`` (and no more for a moment)."""
        await eventually(lambda: len(self.live) >= count)
        await asyncio.sleep(0.3)
        return self.live


Start = Callable[..., "contextlib.AbstractAsyncContextManager[Running]"]


@pytest.fixture
def start() -> Start:
    @contextlib.asynccontextmanager
    async def run(
        *roots: Path, known: CatalogStore | None = None, options: WatchOptions = FAST
    ) -> AsyncIterator[Running]:
        events: list[LibraryEvent] = []

        async def emit(event: LibraryEvent) -> None:
            events.append(event)
            if known is not None:
                async with known.transaction() as tx:
                    await apply_event(tx, event)

        running = Running(LibraryWatcher(roots, emit=emit, known=known, options=options), [])
        running.events = events
        running.watcher._on_problem = running.problems.append
        task = asyncio.create_task(running.watcher.run())
        try:
            await asyncio.wait_for(running.watcher.ready.wait(), 10)
            running.scanned = list(events)
            yield running
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run


async def test_create_modify_rename_move_delete(tmp_path: Path, start: Start) -> None:
    root = tmp_path / "lib"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    async with start(root) as running:
        write(root / "a" / "x.mp3")
        [created] = await running.wait_for(1)
        assert created.kind == "created"
        assert isinstance(created.message, FileLifecycleEvent)
        digest = hash_file(root / "a" / "x.mp3")
        assert (created.message.sha256_hash, created.message.xxh128_hash) == (
            digest.sha256,
            digest.xxh128,
        )
        assert created.message.size_bytes == digest.size_bytes
        assert created.message.instance_id == "w-test"
        assert created.message.watched_directory == str(root)
        assert created.mtime_ns == os.stat(root / "a" / "x.mp3").st_mtime_ns

        with (root / "a" / "x.mp3").open("ab") as file:
            file.write(b"more")
        await running.wait_for(2)
        (root / "a" / "x.mp3").rename(root / "a" / "y.mp3")
        await running.wait_for(3)
        (root / "a" / "y.mp3").rename(root / "b" / "y.mp3")
        await running.wait_for(4)
        (root / "b" / "y.mp3").unlink()
        events = await running.wait_for(5)
    assert running.kinds() == [
        ("created", "x.mp3", None),
        ("modified", "x.mp3", None),
        ("renamed", "y.mp3", "x.mp3"),
        ("moved", "y.mp3", "y.mp3"),
        ("deleted", "y.mp3", None),
    ]
    assert len({e.message.correlation_id for e in events}) == 1  # one lifecycle
    assert len({e.message_id for e in events}) == 5


async def test_move_across_roots_and_folder_moves(tmp_path: Path, start: Start) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write(one / "album" / "t1.flac")
    write(one / "album" / "t2.flac")
    two.mkdir()
    async with start(one, two) as running:
        (one / "album").rename(two / "album")
        events = await running.wait_for(2)
        assert sorted(running.kinds()) == [
            ("moved", "t1.flac", "t1.flac"),
            ("moved", "t2.flac", "t2.flac"),
        ]
        assert {e.root for e in events} == {str(two)}
        outside = tmp_path / "outside"
        write(outside / "t3.flac")
        outside.rename(two / "incoming")  # a folder moved in: its files are new
        await running.wait_for(3)
    assert running.kinds()[2] == ("created", "t3.flac", None)


async def test_slow_writer_is_hashed_once_complete(tmp_path: Path, start: Start) -> None:
    async with start(tmp_path) as running:
        with (tmp_path / "download.mp3").open("wb") as file:
            for _ in range(8):
                file.write(os.urandom(4096))
                file.flush()
                await asyncio.sleep(0.08)
        [event] = await running.wait_for(1)
    assert event.kind == "created"
    assert event.size_bytes == 8 * 4096
    assert event.sha256 == hash_file(tmp_path / "download.mp3").sha256


async def test_finished_downloads_appear_once_temp_files_never(
    tmp_path: Path, start: Start
) -> None:
    async with start(tmp_path) as running:
        write(tmp_path / "track.mp3.crdownload")
        write(tmp_path / ".hidden.mp3")
        write(tmp_path / "_Serato_" / "x.mp3")
        await asyncio.sleep(0.4)
        assert running.live == []
        (tmp_path / "track.mp3.crdownload").rename(tmp_path / "track.mp3")
        await running.wait_for(1)
    assert running.kinds() == [("created", "track.mp3", None)]


async def test_changes_during_the_initial_scan_are_not_lost(
    tmp_path: Path, catalog: CatalogStore, start: Start
) -> None:
    for n in range(20):
        write(tmp_path / f"t{n}.mp3", size=256)
    async with start(tmp_path, known=catalog) as running:
        assert running.watcher.scan_stats.hashed == 20
        assert {e.kind for e in running.scanned} == {"discovered"}
        write(tmp_path / "late.mp3")
        await running.wait_for(1)
    async with start(tmp_path, known=catalog) as again:
        await asyncio.sleep(0.3)
        assert again.watcher.scan_stats.hashed == 0
        assert again.watcher.scan_stats.skipped_unchanged == 21
        (tmp_path / "t3.mp3").rename(tmp_path / "t3-renamed.mp3")  # content never read here
        (tmp_path / "t4.mp3").unlink()
        await again.wait_for(2)
    assert sorted(again.kinds()) == [
        ("deleted", "t4.mp3", None),
        ("renamed", "t3-renamed.mp3", "t3.mp3"),
    ]
    record = await catalog.get_file(str(tmp_path / "t3-renamed.mp3"))
    assert record is not None
    assert [m.old_path for m in await catalog.file_moves(record.id)] == [str(tmp_path / "t3.mp3")]


async def test_a_vanishing_file_does_not_stop_the_watcher(tmp_path: Path, start: Start) -> None:
    async with start(tmp_path) as running:
        write(tmp_path / "brief.mp3")
        (tmp_path / "brief.mp3").unlink()
        (tmp_path / "loop").symlink_to(tmp_path)
        write(tmp_path / "kept.mp3")
        await running.wait_for(1)
    assert running.kinds() == [("created", "kept.mp3", None)]
    assert all(p.kind is not ProblemKind.VANISHED for p in running.problems)
