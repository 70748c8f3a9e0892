"""Exactly-once effects over the real RabbitMQ and PostgreSQL.

Two worker processes compete for one queue, and a connection loss hits publisher and
consumer in the middle of 1,000 messages: afterwards every message's effect is in the
database exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tracktion.contracts import AnalysisRequest, Topology
from tracktion.core.bus import Delivery, idempotent
from tracktion.core.bus.rabbitmq import RabbitMQBus
from tracktion.core.catalog import CatalogStore, CatalogTransaction, open_catalog, upgrade

from ..core.bus.conftest import delete_topology, isolated_topology

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

WORKER = Path(__file__).with_name("bus_worker.py")


@pytest.fixture
async def catalog_url(postgres_url: str) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of this test's own."""
    name = f"tracktion_bus_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        await upgrade(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def topology(rabbitmq_url: str) -> AsyncIterator[Topology]:
    topology = isolated_topology()
    yield topology
    await delete_topology(rabbitmq_url, topology)


def analysis_queue(topology: Topology) -> str:
    return next(q.name for q in topology.work_queues() if q.name.endswith(".analysis_queue"))


def requests(count: int) -> list[AnalysisRequest]:
    return [
        AnalysisRequest(
            recording_id=uuid.uuid4(), file_path=f"/music/{n}.mp3", correlation_id=uuid.uuid4()
        )
        for n in range(count)
    ]


async def jobs_of(store: CatalogStore, job_type: str) -> list[tuple[uuid.UUID | None, str]]:
    async with store.transaction() as tx:
        jobs = await tx.list_jobs(type=job_type, limit=10_000)
    return [(job.correlation_id, str(job.payload.get("worker"))) for job in jobs]


async def wait_for_jobs(store: CatalogStore, job_type: str, count: int, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(await jobs_of(store, job_type)) < count:
        if asyncio.get_running_loop().time() > deadline:
            found = len(await jobs_of(store, job_type))
            raise AssertionError(f"{found} of {count} effects after {timeout} s")
        await asyncio.sleep(0.1)


async def drained(bus: RabbitMQBus, queue: str) -> None:
    for _ in range(100):
        if await bus.depth(queue) == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{queue} still holds messages")


async def test_two_worker_processes_share_a_queue_with_one_effect_each(
    rabbitmq_url: str, catalog_url: str, topology: Topology
) -> None:
    queue = analysis_queue(topology)
    job_type = f"test-{uuid.uuid4().hex[:8]}"
    publisher = await RabbitMQBus.connect(rabbitmq_url, topology)
    await publisher.declare()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                rabbitmq_url,
                catalog_url,
                topology.model_dump_json(),
                queue,
                name,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TRACKTION_TEST_JOB_TYPE": job_type},
        )
        for name in ("worker-a", "worker-b")
    ]
    store = await open_catalog(catalog_url, migrate=False)
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = await asyncio.to_thread(worker.stdout.readline)
            assert line.strip() == "ready", f"worker did not start: {line!r}"
        sent = requests(200)
        ids = [await publisher.publish(message) for message in sent]
        # The same messages again, as a publisher retrying after lost confirms would.
        for message, message_id in zip(sent[:30], ids[:30], strict=True):
            await publisher.publish(message, message_id=message_id)

        await wait_for_jobs(store, job_type, 200, timeout=60)
        await drained(publisher, queue)
        jobs = await jobs_of(store, job_type)
        assert len(jobs) == 200
        assert {correlation for correlation, _ in jobs} == {m.correlation_id for m in sent}
        shares = {
            name: sum(1 for _, worker in jobs if worker == name)
            for name in ("worker-a", "worker-b")
        }
        assert shares["worker-a"] > 0, shares
        assert shares["worker-b"] > 0, shares
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
            if worker.stdout is not None:
                worker.stdout.close()
        await publisher.close()
        await store.close()


async def close_connections(tag: str) -> int:
    """Close, on the broker, every connection whose name starts with ``tag``."""
    listing = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "list_connections",
        "name",
        "client_properties",
        "--formatter",
        "json",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await listing.communicate()
    closed = 0
    for connection in json.loads(out or b"[]"):
        properties = connection.get("client_properties") or []
        names = [value for key, _, value in properties if key == "connection_name"]
        if names and str(names[0]).startswith(tag):
            closing = await asyncio.create_subprocess_exec(
                "rabbitmqctl",
                "close_connection",
                connection["name"],
                "fault test",
                "--quiet",
                stdout=asyncio.subprocess.DEVNULL,
            )
            await closing.wait()
            closed += 1
    return closed


async def test_connection_loss_mid_stream_loses_and_duplicates_nothing(
    rabbitmq_url: str, catalog_url: str, topology: Topology
) -> None:
    queue = analysis_queue(topology)
    job_type = f"test-{uuid.uuid4().hex[:8]}"
    tag = f"fault-{uuid.uuid4().hex[:8]}"
    publisher = await RabbitMQBus.connect(
        rabbitmq_url, topology, name=f"{tag}-publisher", reconnect_interval=0.5
    )
    consumer = await RabbitMQBus.connect(
        rabbitmq_url, topology, name=f"{tag}-consumer", reconnect_interval=0.5
    )
    await publisher.declare()
    store = await open_catalog(catalog_url, migrate=False)

    async def effect(delivery: Delivery, tx: CatalogTransaction) -> None:
        assert isinstance(delivery.message, AnalysisRequest)
        await tx.create_job(job_type, correlation_id=delivery.message.correlation_id)

    try:
        await consumer.subscribe(queue, idempotent(store, "fault-test", effect), prefetch=8)
        sent = requests(1000)
        published = 0

        async def publish_all() -> None:
            nonlocal published
            for first in range(0, len(sent), 50):
                await asyncio.gather(*(publisher.publish(m) for m in sent[first : first + 50]))
                published += 50

        publishing = asyncio.create_task(publish_all())
        while published < 300:
            await asyncio.sleep(0.01)
        assert await close_connections(tag) == 2  # both connections, mid-stream
        await publishing
        await wait_for_jobs(store, job_type, 1000, timeout=90)
        await drained(publisher, queue)
        await asyncio.sleep(0.5)  # any late redelivery would show up now
        jobs = await jobs_of(store, job_type)
        assert len(jobs) == 1000
        assert {correlation for correlation, _ in jobs} == {m.correlation_id for m in sent}
    finally:
        await consumer.close()
        await publisher.close()
        await store.close()
