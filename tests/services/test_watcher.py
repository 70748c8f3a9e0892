"""The watcher service with the cataloging service: the catalog fills from real files,
restarts lose and duplicate nothing, two watchers of one root make one catalog."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.core.files.helpers import eventually, write
from tests.services.file_helpers import (
    Backends,
    backends,
    drain,
    migrated_catalog,
    run_in_background,
    shared_postgres_catalog,
)
from tracktion.core.bus import MessageBus
from tracktion.core.catalog import CatalogStore
from tracktion.core.errors import ConfigurationError
from tracktion.core.files import LibraryEvent
from tracktion.services.cataloging import CatalogingOptions, CatalogingService
from tracktion.services.watcher import WatcherOptions, WatcherService

__all__ = ["backends", "migrated_catalog", "shared_postgres_catalog"]

pytestmark = pytest.mark.anyio


def options(*roots: Path, instance_id: str = "watcher-test") -> WatcherOptions:
    return WatcherOptions(
        roots=[str(root) for root in roots],
        instance_id=instance_id,
        stability_s=0.2,
        debounce_ms=50,
    )


def cataloging(backends: Backends) -> CatalogingService:
    return CatalogingService(backends.bus, backends.catalog, CatalogingOptions(purge_interval_s=0))


async def live_paths(catalog: CatalogStore, paths: list[Path]) -> bool:
    return all([await catalog.get_file(str(path)) is not None for path in paths])


async def test_the_catalog_fills_and_follows_the_files(backends: Backends, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    files = [one / f"t{n}.mp3" for n in range(5)]
    for path in files:
        write(path, size=512)
    two.mkdir()
    catalog = backends.catalog
    watcher = WatcherService(backends.bus, catalog, options(one, two))
    async with run_in_background(cataloging(backends).run), run_in_background(watcher.run):
        await eventually(lambda: live_paths(catalog, files))
        write(two / "new.flac")
        (one / "t0.mp3").rename(two / "t0.mp3")
        await eventually(lambda: live_paths(catalog, [two / "new.flac", two / "t0.mp3"]))

        async def moved_away() -> bool:
            return await catalog.get_file(str(one / "t0.mp3")) is None

        await eventually(moved_away)
    moved = await catalog.get_file(str(two / "t0.mp3"))
    assert moved is not None
    assert moved.root == str(two)
    assert [m.old_path for m in await catalog.file_moves(moved.id)] == [str(one / "t0.mp3")]
    assert await catalog.get_file(str(one / "t0.mp3")) is None
    requests = await drain(backends.bus, backends.name("analysis_queue"))
    assert len(requests) == 6  # five scanned, one created; the move is no new content
    assert watcher.problems == []


class StallingWatcher(WatcherService):
    """Stops publishing after ``limit`` events, as a watcher killed mid-scan."""

    def __init__(self, bus: MessageBus, catalog: CatalogStore, opts: WatcherOptions, limit: int):
        super().__init__(bus, catalog, opts)
        self.limit = limit
        self.published: list[LibraryEvent] = []
        self.stalled = asyncio.Event()

    async def _publish(self, event: LibraryEvent) -> None:
        if len(self.published) >= self.limit:
            self.stalled.set()
            await asyncio.Event().wait()
        self.published.append(event)
        await super()._publish(event)


async def test_restart_mid_scan_loses_and_duplicates_nothing(
    backends: Backends, tmp_path: Path
) -> None:
    paths = [tmp_path / f"d{n % 4}" / f"t{n}.wav" for n in range(40)]
    for path in paths:
        write(path, size=300)
    write(tmp_path / "d0" / "copy.wav", paths[0].read_bytes())
    catalog = backends.catalog
    async with run_in_background(cataloging(backends).run):
        first = StallingWatcher(backends.bus, catalog, options(tmp_path), limit=15)
        async with run_in_background(first.run):
            await asyncio.wait_for(first.stalled.wait(), 10)
        # Killed with 15 events published, some maybe not yet cataloged.
        second = StallingWatcher(backends.bus, catalog, options(tmp_path), limit=1000)
        async with run_in_background(second.run):
            await eventually(lambda: live_paths(catalog, [*paths, tmp_path / "d0" / "copy.wav"]))
            await asyncio.wait_for(second.watcher.ready.wait(), 10)
        skipped = second.watcher.scan_stats.skipped_unchanged
        assert second.watcher.scan_stats.hashed == 41 - skipped
        assert skipped <= 15
        await eventually(
            lambda: catalog.is_processed("cataloging", second.published[-1].message_id)
        )
    updates = await drain(backends.bus, backends.name("notification_queue"), "catalog_updated")
    assert sorted(u["file_path"] for u in updates) == sorted(
        str(p) for p in [*paths, tmp_path / "d0" / "copy.wav"]
    )  # each file announced once, whether its event was published once or twice
    requests = await drain(backends.bus, backends.name("analysis_queue"))
    assert len(requests) == 40  # the copy reuses its original's recording
    original = await catalog.get_file(str(paths[0]))
    assert original is not None
    assert len(await catalog.files_of(original.recording_id)) == 2


async def test_two_watchers_of_one_root_make_one_catalog(
    backends: Backends, tmp_path: Path
) -> None:
    paths = [tmp_path / f"t{n}.ogg" for n in range(6)]
    for path in paths:
        write(path, size=400)
    catalog = backends.catalog
    a = WatcherService(backends.bus, catalog, options(tmp_path, instance_id="watcher-a"))
    b = WatcherService(backends.bus, catalog, options(tmp_path, instance_id="watcher-b"))
    async with (
        run_in_background(cataloging(backends).run),
        run_in_background(a.run),
        run_in_background(b.run),
    ):
        await asyncio.wait_for(a.watcher.ready.wait(), 10)
        await asyncio.wait_for(b.watcher.ready.wait(), 10)
        write(tmp_path / "live.ogg")
        await eventually(lambda: live_paths(catalog, [*paths, tmp_path / "live.ogg"]))
        await asyncio.sleep(0.5)  # let the second watcher's events arrive too
    updates = await drain(backends.bus, backends.name("notification_queue"), "catalog_updated")
    assert sorted(os.path.basename(str(u["file_path"])) for u in updates) == sorted(
        [*(p.name for p in paths), "live.ogg"]
    )
    requests = await drain(backends.bus, backends.name("analysis_queue"))
    assert len(requests) == 7


def test_roots_are_checked(tmp_path: Path) -> None:
    from tracktion.core.bus import InMemoryBus

    with pytest.raises(ConfigurationError, match="inside library root"):
        WatcherService(InMemoryBus(), None, options(tmp_path, tmp_path / "sub"))
