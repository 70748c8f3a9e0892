"""The analysis service on the embedded bus and a SQLite catalog: real audio, real pool."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.audio.signals import techno, write_wav
from tracktion.contracts import (
    AnalysisCancellation,
    AnalysisCompleteEvent,
    AnalysisProgressEvent,
    AnalysisRequest,
    AnalysisStatus,
    AnalysisType,
    Binding,
    ErrorEvent,
    ExchangeRole,
    FileAnalyzeRequest,
    Queue,
    Topology,
    build_topology,
)
from tracktion.core.bus import Delivery, InMemoryBus
from tracktion.core.catalog import (
    CatalogStore,
    FileObservation,
    JobStatus,
    load_results,
    open_catalog,
)
from tracktion.core.hashing import hash_file
from tracktion.services.analysis import AnalysisOptions, AnalysisService

SR = 22050
OBSERVER = "test.observer"


def observed_topology() -> Topology:
    """The canonical topology plus a queue that sees every analysis event."""
    base = build_topology()
    events = base.exchange_for(ExchangeRole.EVENTS).name
    queue = Queue(name=OBSERVER, consumer="test")
    bindings = tuple(
        Binding(exchange=events, queue=OBSERVER, routing_key=key)
        for key in ("analysis.progress", "analysis.complete", "error.*")
    )
    return Topology(
        exchanges=base.exchanges, queues=(*base.queues, queue), bindings=(*base.bindings, *bindings)
    )


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[CatalogStore]:
    store = await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    async with store:
        yield store


async def add_file(catalog: CatalogStore, path: Path) -> tuple[uuid.UUID, str]:
    digest = hash_file(path)
    stat = path.stat()
    async with catalog.transaction() as tx:
        upsert = await tx.upsert_file(
            FileObservation(
                path=str(path),
                root=str(path.parent),
                size_bytes=stat.st_size,
                mtime_ns=stat.st_mtime_ns,
                sha256=digest.sha256,
                xxh128=digest.xxh128,
                seen_at=datetime.now(UTC),
            )
        )
    return upsert.recording_id, digest.xxh128


class Observer:
    """Collects what the service publishes about analyses."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.changed = anyio.Event()

    async def __call__(self, delivery: Delivery) -> None:
        self.messages.append(delivery.message)
        self.changed.set()
        self.changed = anyio.Event()

    def of(self, kind: type) -> list[Any]:
        return [m for m in self.messages if isinstance(m, kind)]

    async def wait_for(self, kind: type, count: int = 1, timeout: float = 60) -> list[Any]:
        with anyio.fail_after(timeout):
            while len(self.of(kind)) < count:
                await self.changed.wait()
        return self.of(kind)


@pytest.fixture
async def running(
    catalog: CatalogStore, tmp_path: Path
) -> AsyncIterator[tuple[InMemoryBus, Observer]]:
    bus = InMemoryBus(observed_topology())
    await bus.declare()
    observer = Observer()
    await bus.subscribe(OBSERVER, observer)
    options = AnalysisOptions(workers=0, cache_path=str(tmp_path / "cache.db"))
    service = AnalysisService(bus, catalog, options)
    async with anyio.create_task_group() as group:
        group.start_soon(service.run)
        yield bus, observer
        group.cancel_scope.cancel()
    await bus.close()


def now() -> datetime:
    return datetime.now(UTC)


def file_analyze(
    recording_id: uuid.UUID, path: Path, xxh128: str, correlation: uuid.UUID | None = None
) -> FileAnalyzeRequest:
    return FileAnalyzeRequest(
        recording_id=recording_id,
        file_path=str(path),
        xxh128_hash=xxh128,
        correlation_id=correlation or uuid.uuid4(),
        timestamp=now(),
    )


@pytest.mark.anyio
async def test_new_content_is_analyzed_stored_and_announced(
    running: tuple[InMemoryBus, Observer], catalog: CatalogStore, tmp_path: Path
) -> None:
    bus, observer = running
    track = write_wav(tmp_path / "techno.wav", techno(12.0, SR, bpm=128.0), SR)
    recording_id, xxh = await add_file(catalog, track)
    correlation = uuid.uuid4()
    await bus.publish(file_analyze(recording_id, track, xxh, correlation))
    [complete] = await observer.wait_for(AnalysisCompleteEvent)
    assert complete.recording_id == recording_id
    assert complete.correlation_id == correlation
    assert complete.results.bpm == pytest.approx(128.0, abs=0.5)
    assert complete.results.key is not None
    # The catalog holds the results before the event goes out.
    async with catalog.transaction() as tx:
        stored = await load_results(tx, recording_id)
        [job] = await tx.list_jobs(type="analysis", correlation_id=correlation)
    assert stored is not None
    assert stored.bpm == complete.results.bpm
    assert stored.key == complete.results.key
    assert stored.bpm_confidence == complete.results.bpm_confidence
    assert job.status is JobStatus.SUCCEEDED
    statuses = [p.status for p in observer.of(AnalysisProgressEvent)]
    assert statuses[0] is AnalysisStatus.DECODING
    await observer.wait_for(AnalysisProgressEvent, count=3)
    assert observer.of(AnalysisProgressEvent)[-1].status is AnalysisStatus.COMPLETED


@pytest.mark.anyio
async def test_a_request_joins_the_job_its_requester_opened(
    running: tuple[InMemoryBus, Observer], catalog: CatalogStore, tmp_path: Path
) -> None:
    bus, observer = running
    track = write_wav(tmp_path / "a.wav", techno(8.0, SR, bpm=140.0), SR)
    recording_id, _ = await add_file(catalog, track)
    correlation = uuid.uuid4()
    async with catalog.transaction() as tx:
        job = await tx.create_job("analysis", correlation_id=correlation)
    await bus.publish(
        AnalysisRequest(recording_id=recording_id, file_path=str(track), correlation_id=correlation)
    )
    await observer.wait_for(AnalysisCompleteEvent)
    async with catalog.transaction() as tx:
        finished = await tx.get_job(job.id)
        jobs = await tx.list_jobs(type="analysis")
    assert finished is not None
    assert finished.status is JobStatus.SUCCEEDED
    assert len(jobs) == 1


@pytest.mark.anyio
async def test_a_bad_file_fails_loudly_and_the_service_goes_on(
    running: tuple[InMemoryBus, Observer], catalog: CatalogStore, tmp_path: Path
) -> None:
    bus, observer = running
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"this is not audio at all" * 100)
    recording_id, xxh = await add_file(catalog, junk)
    await bus.publish(file_analyze(recording_id, junk, xxh))
    [error] = await observer.wait_for(ErrorEvent)
    assert error.service == "analysis"
    assert error.recording_id == recording_id
    assert "junk.mp3" in error.error
    failed = [p for p in observer.of(AnalysisProgressEvent) if p.status is AnalysisStatus.FAILED]
    assert failed
    # The next file is analyzed as usual.
    track = write_wav(tmp_path / "ok.wav", techno(8.0, SR, bpm=126.0), SR)
    good_id, good_xxh = await add_file(catalog, track)
    await bus.publish(file_analyze(good_id, track, good_xxh))
    [complete] = await observer.wait_for(AnalysisCompleteEvent)
    assert complete.recording_id == good_id


@pytest.mark.anyio
async def test_a_cancelled_pending_request_is_not_analyzed(
    catalog: CatalogStore, tmp_path: Path
) -> None:
    bus = InMemoryBus(observed_topology())
    await bus.declare()
    observer = Observer()
    await bus.subscribe(OBSERVER, observer)
    track = write_wav(tmp_path / "c.wav", techno(8.0, SR, bpm=128.0), SR)
    recording_id, xxh = await add_file(catalog, track)
    correlation = uuid.uuid4()
    # Both wait in the queue before the service starts; the cancellation's priority
    # puts it first.
    await bus.publish(file_analyze(recording_id, track, xxh, correlation))
    await bus.publish(AnalysisCancellation(recording_id=recording_id, correlation_id=correlation))
    service = AnalysisService(bus, catalog, AnalysisOptions(workers=0))
    async with anyio.create_task_group() as group:
        group.start_soon(service.run)
        with anyio.fail_after(30):
            while not any(
                p.status is AnalysisStatus.CANCELLED for p in observer.of(AnalysisProgressEvent)
            ):
                await observer.changed.wait()
        group.cancel_scope.cancel()
    await bus.close()
    assert not observer.of(AnalysisCompleteEvent)
    async with catalog.transaction() as tx:
        assert await load_results(tx, recording_id) is None
        [job] = await tx.list_jobs(type="analysis")
    assert job.status is JobStatus.CANCELLED


@pytest.mark.anyio
async def test_a_worker_process_that_dies_is_replaced_and_the_file_retried(
    catalog: CatalogStore, tmp_path: Path
) -> None:
    bus = InMemoryBus(observed_topology())
    await bus.declare()
    observer = Observer()
    await bus.subscribe(OBSERVER, observer)
    track = write_wav(tmp_path / "long.wav", techno(30.0, SR, bpm=128.0), SR)
    recording_id, xxh = await add_file(catalog, track)
    service = AnalysisService(bus, catalog, AnalysisOptions(workers=1))
    async with anyio.create_task_group() as group:
        group.start_soon(service.run)
        await bus.publish(file_analyze(recording_id, track, xxh))
        await observer.wait_for(AnalysisProgressEvent)  # decoding: a worker holds the file
        pool = service._executor
        assert isinstance(pool, ProcessPoolExecutor)
        with anyio.fail_after(30):
            while not pool._processes:  # the pool starts its process on first use
                await anyio.sleep(0.05)
        for process in list(pool._processes.values()):
            process.kill()
        [complete] = await observer.wait_for(AnalysisCompleteEvent, timeout=90)
        group.cancel_scope.cancel()
    await bus.close()
    assert complete.recording_id == recording_id
    async with catalog.transaction() as tx:
        assert await load_results(tx, recording_id) is not None


@pytest.mark.anyio
async def test_mood_and_genre_are_tagged_when_requested(
    running: tuple[InMemoryBus, Observer], catalog: CatalogStore, tmp_path: Path
) -> None:
    bus, observer = running
    track = write_wav(tmp_path / "m.wav", techno(8.0, SR, bpm=130.0), SR)
    recording_id, _ = await add_file(catalog, track)
    await bus.publish(
        AnalysisRequest(
            recording_id=recording_id,
            file_path=str(track),
            analysis_types=[AnalysisType.BPM, AnalysisType.MOOD, AnalysisType.GENRE],
            correlation_id=uuid.uuid4(),
        )
    )
    [complete] = await observer.wait_for(AnalysisCompleteEvent)
    assert complete.results.genre
    assert complete.results.mood is not None
    assert complete.results.key is None  # not requested
    async with catalog.transaction() as tx:
        stored = await load_results(tx, recording_id)
    assert stored is not None
    assert stored.genre == complete.results.genre


_LOOP_PROBE = """
import sys, time
from pathlib import Path

import anyio

from tests.audio.signals import techno, write_wav
from tests.services.test_analysis_service import (
    OBSERVER, Observer, add_file, file_analyze, observed_topology,
)
from tracktion.contracts import AnalysisCompleteEvent
from tracktion.core.bus import InMemoryBus
from tracktion.core.catalog import open_catalog
from tracktion.services.analysis import AnalysisOptions, AnalysisService


async def main() -> None:
    work = Path(sys.argv[1])
    catalog = await open_catalog(f"sqlite+aiosqlite:///{work / 'catalog.db'}")
    async with catalog, InMemoryBus(observed_topology()) as bus:
        await bus.declare()
        observer = Observer()
        await bus.subscribe(OBSERVER, observer)
        track = write_wav(work / "techno.wav", techno(8.0, 22050, bpm=128.0), 22050)
        recording_id, xxh = await add_file(catalog, track)
        service = AnalysisService(bus, catalog, AnalysisOptions(workers=1))
        longest = 0.0

        async def tick() -> None:
            nonlocal longest
            last = time.monotonic()
            while True:
                await anyio.sleep(0.02)
                now = time.monotonic()
                longest, last = max(longest, now - last), now

        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            group.start_soon(service.run)
            await bus.publish(file_analyze(recording_id, track, xxh))
            await observer.wait_for(AnalysisCompleteEvent, timeout=90)
            group.cancel_scope.cancel()
        print(f"longest stall {longest:.3f}")


if __name__ == "__main__":
    anyio.run(main)
"""


def test_starting_the_pool_never_stalls_the_event_loop(tmp_path: Path) -> None:
    # A fresh interpreter, so that the fork server really starts (it imports the whole
    # analysis stack, seconds) while a file waits: the event loop the service shares
    # with the API must keep turning meanwhile.
    done = subprocess.run(
        [sys.executable, "-c", _LOOP_PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    longest = float(done.stdout.split()[-1])
    assert longest < 0.5, done.stdout
