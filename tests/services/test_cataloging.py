"""The cataloging service: file events in, catalog rows, catalog.updated and analysis
requests out; idempotent under redelivery; stale events ignored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
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
from tracktion.contracts import (
    AnalysisCancellation,
    AnalysisCompleteEvent,
    AnalysisResults,
    CatalogChange,
    FileEventType,
)
from tracktion.core.bus import Delivery
from tracktion.core.errors import PermanentError
from tracktion.core.files import LibraryEvent, apply_event, discovered_event, lifecycle_event
from tracktion.core.formats import audio_format
from tracktion.core.hashing import hash_file
from tracktion.services.cataloging import CatalogingOptions, CatalogingService

__all__ = ["backends", "migrated_catalog", "shared_postgres_catalog"]

pytestmark = pytest.mark.anyio


def discovered(path: Path, root: Path, when: datetime | None = None) -> LibraryEvent:
    fmt = audio_format(path)
    assert fmt is not None
    stat = path.stat()
    return discovered_event(
        path=str(path),
        root=str(root),
        fmt=fmt,
        digest=hash_file(path),
        mtime_ns=stat.st_mtime_ns,
        ctime_ns=stat.st_ctime_ns,
        at=when or datetime.now(UTC),
        instance_id="test-watcher",
    )


async def publish(backends: Backends, event: LibraryEvent) -> None:
    await backends.bus.publish(event.message, message_id=event.message_id, headers=event.headers())


async def test_events_keep_the_catalog_and_announce_changes(
    backends: Backends, tmp_path: Path
) -> None:
    bus, catalog = backends.bus, backends.catalog
    write(tmp_path / "a.mp3", b"first song")
    write(tmp_path / "copy.mp3", b"first song")
    service = CatalogingService(bus, catalog, CatalogingOptions(purge_interval_s=0))
    async with run_in_background(service.run):
        first = discovered(tmp_path / "a.mp3", tmp_path)
        await publish(backends, first)
        await publish(backends, first)  # redelivered / published by a second watcher
        await eventually(lambda: catalog.get_file(str(tmp_path / "a.mp3")))
        await publish(backends, discovered(tmp_path / "copy.mp3", tmp_path))
        await eventually(lambda: catalog.get_file(str(tmp_path / "copy.mp3")))
        (tmp_path / "a.mp3").rename(tmp_path / "b.mp3")
        fmt = audio_format(tmp_path / "b.mp3")
        assert fmt is not None
        moved = lifecycle_event(
            FileEventType.RENAMED,
            path=str(tmp_path / "b.mp3"),
            root=str(tmp_path),
            fmt=fmt,
            at=datetime.now(UTC),
            instance_id="test-watcher",
            correlation_id=first.message.correlation_id,
            digest=hash_file(tmp_path / "b.mp3"),
            mtime_ns=(tmp_path / "b.mp3").stat().st_mtime_ns,
            old_path=str(tmp_path / "a.mp3"),
        )
        await publish(backends, moved)
        await eventually(lambda: catalog.get_file(str(tmp_path / "b.mp3")))
        updates: list[dict[str, object]] = []

        async def three_updates() -> bool:
            updates.extend(await drain(bus, backends.name("notification_queue"), "catalog_updated"))
            return len(updates) >= 3

        await eventually(three_updates)
    assert [(u["change"], u["duplicate_count"]) for u in updates] == [
        ("added", 0),
        ("added", 1),
        ("moved", 1),
    ]
    assert updates[2]["old_path"] == str(tmp_path / "a.mp3")
    assert updates[0]["correlation_id"] == str(first.message.correlation_id)
    requests = await drain(bus, backends.name("analysis_queue"))
    assert len(requests) == 1  # the copy reuses the first file's recording and analysis
    record = await catalog.get_file(str(tmp_path / "b.mp3"))
    assert record is not None
    assert requests[0]["recording_id"] == str(record.recording_id)
    assert requests[0]["sha256_hash"] == record.sha256
    assert record.mtime_ns == (tmp_path / "b.mp3").stat().st_mtime_ns
    copies = await catalog.files_of(record.recording_id)
    assert {f.path for f in copies} == {str(tmp_path / "b.mp3"), str(tmp_path / "copy.mp3")}


async def test_stale_events_are_ignored_and_nothing_is_announced(
    backends: Backends, tmp_path: Path
) -> None:
    bus, catalog = backends.bus, backends.catalog
    write(tmp_path / "a.flac", b"v1")
    old = discovered(tmp_path / "a.flac", tmp_path, datetime.now(UTC) - timedelta(minutes=5))
    write(tmp_path / "a.flac", b"version 2")
    new = discovered(tmp_path / "a.flac", tmp_path)
    service = CatalogingService(bus, catalog, CatalogingOptions(purge_interval_s=0))
    async with run_in_background(service.run):
        await publish(backends, new)
        await eventually(lambda: catalog.get_file(str(tmp_path / "a.flac")))
        await publish(backends, old)
        await eventually(lambda: catalog.is_processed("cataloging", old.message_id))
    record = await catalog.get_file(str(tmp_path / "a.flac"))
    assert record is not None
    assert record.sha256 == new.sha256
    updates = await drain(bus, backends.name("notification_queue"), "catalog_updated")
    assert [u["change"] for u in updates] == ["added"]


async def test_analysis_results_are_announced(backends: Backends, tmp_path: Path) -> None:
    bus, catalog = backends.bus, backends.catalog
    write(tmp_path / "a.mp3")
    event = discovered(tmp_path / "a.mp3", tmp_path)
    service = CatalogingService(bus, catalog, CatalogingOptions(purge_interval_s=0))
    async with run_in_background(service.run):
        await publish(backends, event)
        await eventually(lambda: catalog.get_file(str(tmp_path / "a.mp3")))
        record = await catalog.get_file(str(tmp_path / "a.mp3"))
        assert record is not None
        await bus.publish(
            AnalysisCompleteEvent(
                recording_id=record.recording_id,
                file_path=record.path,
                results=AnalysisResults(bpm=128.0),
                algorithm_version="test-1",
                processing_time_ms=1.0,
                correlation_id=event.message.correlation_id,
                timestamp=datetime.now(UTC),
            )
        )
        updates: list[dict[str, object]] = []

        async def analyzed() -> bool:
            updates.extend(await drain(bus, backends.name("notification_queue"), "catalog_updated"))
            return any(u["change"] == CatalogChange.ANALYZED.value for u in updates)

        await eventually(analyzed)


async def test_a_message_that_is_no_file_event_is_refused(backends: Backends) -> None:
    service = CatalogingService(backends.bus, backends.catalog)
    delivery = Delivery(
        message=AnalysisCancellation(recording_id=uuid.uuid4(), correlation_id=uuid.uuid4()),
        queue=service.queues[0],
        routing_key="analysis.cancel",
        message_id=str(uuid.uuid4()),
        correlation_id=None,
        attempt=1,
        redelivered=False,
        headers={},
    )
    with pytest.raises(PermanentError, match="AnalysisCancellation"):
        await service.handle(delivery)
    assert not await backends.catalog.is_processed("cataloging", delivery.message_id)


async def test_purge_removes_old_tombstones(backends: Backends, tmp_path: Path) -> None:
    bus, catalog = backends.bus, backends.catalog
    write(tmp_path / "a.mp3")
    event = discovered(tmp_path / "a.mp3", tmp_path)
    service = CatalogingService(bus, catalog, CatalogingOptions(purge_interval_s=0, retention_s=60))
    async with catalog.transaction() as tx:
        await apply_event(tx, event)
    await catalog.mark_deleted(str(tmp_path / "a.mp3"), datetime.now(UTC))
    assert await service.purge() == (0, 0)  # within the retention
    assert await service.purge(datetime.now(UTC) + timedelta(seconds=61)) == (1, 1)
    assert await catalog.get_file(str(tmp_path / "a.mp3"), include_deleted=True) is None
