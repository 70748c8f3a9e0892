"""The tracklist service on the embedded bus and a SQLite catalog (and once on RabbitMQ
and PostgreSQL): CUE generation, batches, validation, conversion, tracklists of mixes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.core.bus.conftest import delete_topology, isolated_topology
from tests.core.catalog.conftest import (
    create_database,
    database_url,
    drop_database,
    new_database_name,
)
from tests.core.tracklists.conftest import add_recording
from tracktion.contracts import (
    BatchCueGenerationComplete,
    BatchCueGenerationRequest,
    Contract,
    CueConversionRequest,
    CueFormat,
    CueGenerationComplete,
    CueGenerationRequest,
    CueValidationRequest,
    ExchangeRole,
    Topology,
    TracklistGenerationRequest,
    TracklistSource,
)
from tracktion.core.bus import Delivery, InMemoryBus, MessageBus
from tracktion.core.bus.rabbitmq import RabbitMQBus
from tracktion.core.catalog import CatalogStore, FileObservation, JobStatus, open_catalog, upgrade
from tracktion.core.cue import validate_cue
from tracktion.core.errors import PermanentError
from tracktion.core.tracklists import load_tracklist, parse_text, save_tracklist
from tracktion.services.tracklist import TracklistOptions, TracklistService

pytestmark = pytest.mark.anyio

SET = """\
# title: Warm-up
[00:00] Daft Punk - One More Time (Extended Mix)
[03:30] ID - ID
w/ Artist B - Vocal (Acapella)
[07:00] Moby - Porcelain
"""
LONG_SET = "[00:00] A - Opening\n[55:00] B - Middle\n[1:45:00] C - Closing\n"


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[CatalogStore]:
    store = await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def topology() -> Topology:
    return isolated_topology()


@pytest.fixture
async def bus(topology: Topology) -> AsyncIterator[InMemoryBus]:
    memory = InMemoryBus(topology)
    await memory.declare()
    try:
        yield memory
    finally:
        await memory.close()


def service(bus: MessageBus, catalog: CatalogStore, tmp_path: Path) -> TracklistService:
    return TracklistService(bus, catalog, TracklistOptions(output_dir=tmp_path / "cue"))


async def store_tracklist(catalog: CatalogStore, text: str = SET) -> uuid.UUID:
    async with catalog.transaction() as tx:
        stored = await save_tracklist(tx, parse_text(text).tracklist)
    return stored.id


def queue_for(topology: Topology, routing_key: str) -> str:
    (queue,) = topology.route(topology.exchange_for(ExchangeRole.CUE).name, routing_key)
    return queue


async def next_reply(bus: MessageBus, queue: str, timeout: float = 20.0) -> bytes:
    with anyio.fail_after(timeout):
        while True:
            raw = await bus.fetch(queue)
            if raw is not None:
                return raw.body
            await anyio.sleep(0.02)


@asynccontextmanager
async def running(worker: TracklistService) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        group.start_soon(worker.run)
        yield
        group.cancel_scope.cancel()


def delivery(message: Contract, message_id: str | None = None) -> Delivery:
    own = getattr(message, "message_id", None)
    return Delivery(
        message=message,
        queue="test",
        routing_key="test",
        message_id=message_id or str(own or uuid.uuid4()),
        correlation_id=None,
        attempt=1,
        redelivered=False,
        headers={},
    )


def single(tracklist_id: uuid.UUID, **fields: Any) -> CueGenerationRequest:
    return CueGenerationRequest(
        message_id=uuid.uuid4(),
        timestamp=datetime.now(UTC) - timedelta(seconds=2),
        correlation_id=uuid.uuid4(),
        tracklist_id=tracklist_id,
        job_id=uuid.uuid4(),
        **fields,
    )


async def generate_once(
    bus: MessageBus,
    catalog: CatalogStore,
    topology: Topology,
    tmp_path: Path,
    tracklist_id: uuid.UUID,
) -> tuple[CueGenerationRequest, CueGenerationComplete]:
    request = single(tracklist_id, format=CueFormat.SERATO)
    async with running(service(bus, catalog, tmp_path)):
        await bus.publish(request)
        body = await next_reply(bus, queue_for(topology, "cue.generation.complete"))
    return request, CueGenerationComplete.parse(body)


async def test_generation_writes_validates_records_and_announces(
    bus: InMemoryBus, catalog: CatalogStore, topology: Topology, tmp_path: Path
) -> None:
    tracklist_id = await store_tracklist(catalog)
    request, reply = await generate_once(bus, catalog, topology, tmp_path, tracklist_id)
    assert reply.success, reply.error
    assert (reply.original_message_id, reply.job_id) == (request.message_id, request.job_id)
    assert (reply.tracklist_id, reply.correlation_id) == (tracklist_id, request.correlation_id)
    assert reply.file_path is not None
    data = Path(reply.file_path).read_bytes()
    assert Path(reply.file_path).parent == tmp_path / "cue"
    assert reply.file_size == len(data)
    assert reply.checksum == hashlib.sha256(data).hexdigest()
    assert reply.validation_report is not None
    assert reply.validation_report.is_valid
    assert validate_cue(data, profile="serato").is_valid
    assert b'TITLE "ID w/ Artist B - Vocal (Acapella)"' in data
    assert reply.queue_time_ms >= 2000.0
    assert 0.0 <= reply.processing_time_ms < 20_000.0
    (record,) = await catalog.cue_files_of(tracklist_id)
    assert (record.id, record.path, record.format) == (reply.cue_file_id, reply.file_path, "serato")
    assert (record.version, record.checksum_sha256) == (1, reply.checksum)
    job = await catalog.get_job(request.job_id)
    assert job is not None
    assert job.status is JobStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (None, "no tracklist"),
        ("[05:00] A - B\n[01:00] C - D\n", "track 2 (C - D) starts at 01:00, not after"),
    ],
)
async def test_a_failed_generation_publishes_success_false_and_writes_nothing(
    bus: InMemoryBus,
    catalog: CatalogStore,
    topology: Topology,
    tmp_path: Path,
    text: str | None,
    error: str,
) -> None:
    tracklist_id = uuid.uuid4() if text is None else await store_tracklist(catalog, text)
    request, reply = await generate_once(bus, catalog, topology, tmp_path, tracklist_id)
    assert not reply.success
    assert reply.error is not None
    assert error in reply.error
    assert reply.cue_file_id is None
    assert not (tmp_path / "cue").exists() or not any((tmp_path / "cue").iterdir())
    job = await catalog.get_job(request.job_id)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.error == reply.error


async def test_audio_validation_fails_for_missing_audio(
    bus: InMemoryBus, catalog: CatalogStore, topology: Topology, tmp_path: Path
) -> None:
    tracklist_id = await store_tracklist(catalog)
    worker = service(bus, catalog, tmp_path)
    missing = str(tmp_path / "missing-mix.wav")
    request = single(tracklist_id, validate_audio=True, audio_file_path=missing)
    await worker.handle(delivery(request))
    reply = CueGenerationComplete.parse(
        await next_reply(bus, queue_for(topology, "cue.generation.complete"))
    )
    assert not reply.success
    assert reply.validation_report is not None
    assert not reply.validation_report.is_valid
    assert await catalog.cue_files_of(tracklist_id) == []


async def test_a_redelivered_request_republishes_the_same_reply_once_recorded(
    bus: InMemoryBus, catalog: CatalogStore, topology: Topology, tmp_path: Path
) -> None:
    tracklist_id = await store_tracklist(catalog)
    worker = service(bus, catalog, tmp_path)
    request = single(tracklist_id)
    await worker.handle(delivery(request))
    await worker.handle(delivery(request))
    queue = queue_for(topology, "cue.generation.complete")
    first, second = await bus.fetch(queue), await bus.fetch(queue)
    assert first is not None
    assert second is not None
    assert first.message_id == second.message_id
    assert first.body == second.body
    assert len(await catalog.cue_files_of(tracklist_id)) == 1


async def test_a_batch_reports_every_format_and_fails_only_what_cannot_hold_the_mix(
    bus: InMemoryBus, catalog: CatalogStore, topology: Topology, tmp_path: Path
) -> None:
    tracklist_id = await store_tracklist(catalog, LONG_SET)
    request = BatchCueGenerationRequest(
        message_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
        tracklist_id=tracklist_id,
        formats=[CueFormat.STANDARD, CueFormat.TRAKTOR, CueFormat.CDJ, CueFormat.KODI],
        batch_job_id=uuid.uuid4(),
    )
    async with running(service(bus, catalog, tmp_path)):
        await bus.publish(request)
        body = await next_reply(bus, queue_for(topology, "cue.generation.batch.complete"))
    reply = BatchCueGenerationComplete.parse(body)
    assert reply.original_message_id == request.message_id
    outcome = {result.format: result for result in reply.results}
    assert [f for f, r in outcome.items() if r.success] == [
        CueFormat.STANDARD,
        CueFormat.TRAKTOR,
        CueFormat.KODI,
    ]
    cdj = outcome[CueFormat.CDJ]
    assert cdj.error is not None
    assert "cdj" in cdj.error
    assert not reply.success
    for result in reply.results:
        if result.success:
            assert result.file_path is not None
            assert hashlib.sha256(Path(result.file_path).read_bytes()).hexdigest() == (
                result.checksum
            )
    assert len(await catalog.cue_files_of(tracklist_id)) == 3
    job = await catalog.get_job(request.batch_job_id)
    assert job is not None
    assert job.status is JobStatus.FAILED


async def test_validation_and_conversion_of_stored_sheets(
    bus: InMemoryBus, catalog: CatalogStore, topology: Topology, tmp_path: Path
) -> None:
    tracklist_id = await store_tracklist(catalog)
    worker = service(bus, catalog, tmp_path)
    await worker.handle(delivery(single(tracklist_id)))
    (cue,) = await catalog.cue_files_of(tracklist_id)
    validation = CueValidationRequest(
        message_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
        cue_file_id=cue.id,
        validation_job_id=uuid.uuid4(),
    )
    await worker.handle(delivery(validation))
    job = await catalog.get_job(validation.validation_job_id)
    assert job is not None
    assert job.status is JobStatus.SUCCEEDED
    assert isinstance(job.result, dict)
    assert job.result["is_valid"] is True
    assert job.result["checksum_matches"] is True

    conversion = CueConversionRequest(
        message_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
        source_cue_file_id=cue.id,
        target_format=CueFormat.REKORDBOX,
        conversion_job_id=uuid.uuid4(),
    )
    await worker.handle(delivery(conversion))
    job = await catalog.get_job(conversion.conversion_job_id)
    assert job is not None
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert isinstance(job.result, dict)
    converted = Path(str(job.result["file_path"])).read_bytes()
    assert validate_cue(converted, profile="rekordbox").is_valid
    formats = {record.format for record in await catalog.cue_files_of(tracklist_id)}
    assert formats == {CueFormat.STANDARD, CueFormat.REKORDBOX}


async def test_requests_for_unknown_sheets_are_dead_lettered(
    bus: InMemoryBus, catalog: CatalogStore, tmp_path: Path
) -> None:
    worker = service(bus, catalog, tmp_path)
    validation = CueValidationRequest(
        message_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
        cue_file_id=uuid.uuid4(),
        validation_job_id=uuid.uuid4(),
    )
    with pytest.raises(PermanentError, match="no CUE file"):
        await worker.handle(delivery(validation))


async def mix_recording(catalog: CatalogStore, path: Path) -> uuid.UUID:
    data = path.read_bytes()
    result = await catalog.upsert_file(
        FileObservation(
            path=str(path),
            root=str(path.parent),
            size_bytes=len(data),
            mtime_ns=1,
            sha256=hashlib.sha256(data).hexdigest(),
            xxh128=hashlib.blake2b(data, digest_size=16).hexdigest(),
            seen_at=datetime.now(UTC),
        )
    )
    return result.recording_id


async def test_a_mix_gets_its_tracklist_from_a_sidecar_file_matched_to_the_catalog(
    bus: InMemoryBus, catalog: CatalogStore, tmp_path: Path
) -> None:
    punk = await add_recording(catalog, "Daft Punk", "One More Time", 320.0)
    moby = await add_recording(catalog, "Moby", "Porcelain", 250.0)
    mix = tmp_path / "warmup.flac"
    mix.write_bytes(b"not really audio")
    (tmp_path / "warmup.txt").write_text("Daft Punk - One More Time\nMoby - Porcelain\nID - ID\n")
    recording = await mix_recording(catalog, mix)
    worker = service(bus, catalog, tmp_path)
    request = TracklistGenerationRequest(recording_id=recording, correlation_id=uuid.uuid4())
    message_id = str(uuid.uuid4())
    await worker.handle(delivery(request, message_id))
    (header,) = await catalog.tracklists_of_recording(recording)
    async with catalog.transaction() as tx:
        stored = await load_tracklist(tx, header.id)
    entries = stored.tracklist.entries
    assert [e.recording_id for e in entries] == [punk, moby, None]
    assert [(e.start_s, e.estimated) for e in entries] == [
        (0.0, True),
        (320.0, True),
        (570.0, True),
    ]
    assert header.mix_recording_id == recording
    # A redelivery changes nothing.
    await worker.handle(delivery(request, message_id))
    assert len(await catalog.tracklists_of_recording(recording)) == 1


async def test_a_mix_without_any_source_is_a_failed_job(
    bus: InMemoryBus, catalog: CatalogStore, tmp_path: Path
) -> None:
    mix = tmp_path / "lonely.flac"
    mix.write_bytes(b"mix")
    recording = await mix_recording(catalog, mix)
    worker = service(bus, catalog, tmp_path)
    request = TracklistGenerationRequest(
        recording_id=recording, correlation_id=uuid.uuid4(), source_hint=TracklistSource.CUE
    )
    message_id = str(uuid.uuid4())
    await worker.handle(delivery(request, message_id))
    job = await catalog.get_job(uuid.uuid5(_namespace(), f"{message_id}:tracklist"))
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "<mix>.cue" in job.error
    with pytest.raises(PermanentError, match="no recording"):
        await worker.handle(
            delivery(
                TracklistGenerationRequest(recording_id=uuid.uuid4(), correlation_id=uuid.uuid4())
            )
        )


def _namespace() -> uuid.UUID:
    from tracktion.services import tracklist

    return tracklist._NAMESPACE


async def test_run_stops_when_cancelled(
    bus: InMemoryBus, catalog: CatalogStore, tmp_path: Path
) -> None:
    worker = service(bus, catalog, tmp_path)
    assert sorted(worker.queues()) == sorted(
        q.name for q in bus.topology.work_queues() if q.consumer == "tracklist"
    )
    with anyio.fail_after(10):
        async with running(worker):
            await anyio.sleep(0.05)


@pytest.mark.integration
async def test_generation_on_rabbitmq_and_postgresql(
    rabbitmq_url: str, postgres_url: str, tmp_path: Path
) -> None:
    name = new_database_name()
    await create_database(postgres_url, name)
    topology = isolated_topology()
    try:
        url = database_url(postgres_url, name)
        await upgrade(url)
        async with await open_catalog(url) as catalog:
            bus = await RabbitMQBus.connect(rabbitmq_url, topology, publish_timeout=10)
            try:
                await bus.declare()
                tracklist_id = await store_tracklist(catalog)
                _, reply = await generate_once(bus, catalog, topology, tmp_path, tracklist_id)
            finally:
                await bus.close()
            assert reply.success, reply.error
            (record,) = await catalog.cue_files_of(tracklist_id)
            assert record.id == reply.cue_file_id
    finally:
        await delete_topology(rabbitmq_url, topology)
        await drop_database(postgres_url, name)
