"""End to end, distributed: each service in its own process over RabbitMQ, PostgreSQL and
Redis, two analysis workers, one killed mid-analysis: every file ends analyzed exactly once.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from tests.audio.signals import techno, write_wav
from tests.core.catalog.conftest import create_database, database_url, drop_database
from tests.system.processes import Process, free_port
from tracktion.contracts import AnalysisCompleteEvent, Binding, ExchangeRole, Queue, Topology
from tracktion.core.bus import Delivery, open_bus
from tracktion.core.catalog import JobStatus, load_results, open_catalog, upgrade
from tracktion.services.settings import topology_for

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("system")]

SR = 22050
TOKEN = "distributed-token"
FILES = 6


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    name = f"tracktion_system_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(postgres_url, name))
    url = database_url(postgres_url, name)
    asyncio.run(upgrade(url))
    try:
        yield url
    finally:
        asyncio.run(drop_database(postgres_url, name))


@pytest.fixture
def env(tmp_path: Path, rabbitmq_url: str, redis_url: str, database: str) -> dict[str, str]:
    library = tmp_path / "library"
    library.mkdir()
    return {
        "TRACKTION_BROKER_URL": rabbitmq_url,
        "TRACKTION_DATABASE_URL": database,
        "TRACKTION_CACHE_URL": redis_url,
        "TRACKTION_NAME_PREFIX": f"sys{uuid.uuid4().hex[:8]}.",
        "TRACKTION_LIBRARY_ROOTS": f'["{library}"]',
        "TRACKTION_DATA_DIR": str(tmp_path / "data"),
        "TRACKTION_API_TOKENS": TOKEN,
        "TRACKTION_ANALYSIS_WORKERS": "1",
    }


class Completions:
    """Every ``analysis.complete`` on the broker, through the test's own queue."""

    def __init__(self) -> None:
        self.events: list[tuple[str, AnalysisCompleteEvent]] = []

    async def __call__(self, delivery: Delivery) -> None:
        assert isinstance(delivery.message, AnalysisCompleteEvent)
        self.events.append((delivery.message_id, delivery.message))


@pytest.fixture
async def completions(env: dict[str, str]) -> AsyncIterator[Completions]:
    from tracktion.contracts import ExchangeNames

    base = topology_for(ExchangeNames(), env["TRACKTION_NAME_PREFIX"])
    queue = env["TRACKTION_NAME_PREFIX"] + "test.completions"
    topology = Topology(
        exchanges=base.exchanges,
        queues=(*base.queues, Queue(name=queue, consumer="test", durable=False, auto_delete=True)),
        bindings=(
            *base.bindings,
            Binding(
                exchange=base.exchange_for(ExchangeRole.EVENTS).name,
                queue=queue,
                routing_key="analysis.complete",
            ),
        ),
    )
    bus = await open_bus(env["TRACKTION_BROKER_URL"], topology)
    seen = Completions()
    await bus.subscribe(queue, seen)
    try:
        yield seen
    finally:
        await bus.close()
        import aio_pika

        connection = await aio_pika.connect(env["TRACKTION_BROKER_URL"])
        async with connection:
            channel = await connection.channel()
            for declared in topology.queues:
                await channel.queue_delete(declared.name)
            for exchange in topology.exchanges:
                await channel.exchange_delete(exchange.name)


@pytest.mark.anyio
async def test_services_in_their_own_processes_analyze_every_file_exactly_once(
    env: dict[str, str], completions: Completions, tmp_path: Path
) -> None:
    port = free_port()
    processes = {
        name: Process(["worker", name], env, name)
        for name in ("cataloging", "rename", "tracklist", "notification")
    }
    processes["analysis-a"] = Process(["worker", "analysis"], env, "analysis-a")
    processes["analysis-b"] = Process(["worker", "analysis"], env, "analysis-b")
    processes["api"] = Process(["api", "--port", str(port)], env, "api")
    try:
        for name, process in processes.items():
            await anyio.to_thread.run_sync(
                process.wait_for, "Tracktion API" if name == "api" else "consuming"
            )
        # The watcher starts last: every consumer is ready for its events.
        processes["watcher"] = Process(["worker", "watcher"], env, "watcher")
        await anyio.to_thread.run_sync(processes["watcher"].wait_for, "watching")

        library = Path(env["TRACKTION_LIBRARY_ROOTS"][2:-2])
        incoming = tmp_path / "incoming"
        incoming.mkdir()
        for index in range(FILES):
            track = write_wav(
                incoming / f"track {index}.wav",
                techno(20.0, SR, bpm=120.0 + 4 * index, seed=index),
                SR,
            )
            shutil.copy2(track, library / track.name)

        # Kill one analysis worker as soon as it is working on something.
        await anyio.to_thread.run_sync(processes["analysis-a"].wait_for, "analyzing", 120)
        processes.pop("analysis-a").kill()

        with anyio.fail_after(180):
            while len({e.recording_id for _, e in completions.events}) < FILES:
                await anyio.sleep(0.5)

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as http:
            listing = (await http.get("/v1/recordings")).json()
        assert listing["total"] == FILES
        assert all(item["analysis"]["bpm"] for item in listing["items"])
    finally:
        statuses = {name: process.stop() for name, process in processes.items()}
    assert all(status == 0 for status in statuses.values()), {
        name: processes[name].output for name, status in statuses.items() if status
    }

    # Exactly once: one outcome per recording (a republished one keeps its message id),
    # one stored result set, one succeeded job.
    by_recording: dict[uuid.UUID, set[str]] = {}
    for message_id, event in completions.events:
        by_recording.setdefault(event.recording_id, set()).add(message_id)
    assert len(by_recording) == FILES
    assert all(len(ids) == 1 for ids in by_recording.values()), by_recording
    store = await open_catalog(env["TRACKTION_DATABASE_URL"])
    async with store, store.transaction() as tx:
        jobs = await tx.list_jobs(type="analysis")
        for recording_id in by_recording:
            results = await load_results(tx, recording_id)
            assert results is not None
            assert results.bpm is not None
    succeeded = [job for job in jobs if job.status is JobStatus.SUCCEEDED]
    assert len(succeeded) == FILES, [(j.status, j.payload) for j in jobs]
