"""Shared by the cataloging, watcher and scan command tests: buses, catalogs, draining."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.core.bus.conftest import delete_topology, isolated_topology
from tests.core.catalog.conftest import create_database, database_url, drop_database
from tests.core.catalog.conftest import new_database_name as new_name
from tests.core.files.helpers import migrated_catalog
from tracktion.core.bus import InMemoryBus, MessageBus, RawMessage
from tracktion.core.bus.rabbitmq import RabbitMQBus
from tracktion.core.catalog import CatalogStore, open_catalog, upgrade

__all__ = [
    "Backends",
    "backends",
    "drain",
    "migrated_catalog",
    "run_in_background",
    "shared_postgres_catalog",
]


class Backends:
    """A bus and a catalog of one test: embedded (memory + SQLite) or RabbitMQ + PostgreSQL."""

    def __init__(self, bus: MessageBus, catalog: CatalogStore) -> None:
        self.bus = bus
        self.catalog = catalog

    def name(self, canonical: str) -> str:
        """The isolated topology's name of the canonical queue ``canonical``."""
        for queue in self.bus.topology.queues:
            if queue.name == canonical or queue.name.endswith("." + canonical):
                return queue.name
        raise KeyError(canonical)


@pytest.fixture(scope="session")
def shared_postgres_catalog(postgres_url: str) -> Iterator[str]:
    """One migrated PostgreSQL database per test session; tests keep apart by their paths."""
    name = new_name()
    url = database_url(postgres_url, name)
    # In a thread: the fixture is first requested from inside a running event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, create_database(postgres_url, name)).result()
        try:
            thread.submit(asyncio.run, upgrade(url)).result()
            yield url
        finally:
            thread.submit(asyncio.run, drop_database(postgres_url, name)).result()


@pytest.fixture(params=["embedded", pytest.param("servers", marks=pytest.mark.integration)])
async def backends(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_catalog: Path
) -> AsyncIterator[Backends]:
    """Memory bus + SQLite, or RabbitMQ (an isolated topology) + PostgreSQL."""
    if request.param == "embedded":
        bus: MessageBus = InMemoryBus()
        await bus.declare()
        shutil.copy(migrated_catalog, tmp_path / "catalog.db")
        catalog = await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
        try:
            yield Backends(bus, catalog)
        finally:
            await bus.close()
            await catalog.close()
        return
    amqp: str = request.getfixturevalue("rabbitmq_url")
    url: str = request.getfixturevalue("shared_postgres_catalog")
    topology = isolated_topology()
    catalog = await open_catalog(url)
    bus = await RabbitMQBus.connect(amqp, topology, publish_timeout=10)
    await bus.declare()
    try:
        yield Backends(bus, catalog)
    finally:
        await bus.close()
        await catalog.close()
        await delete_topology(amqp, topology)


async def drain(
    bus: MessageBus, queue: str, message_type: str | None = None
) -> list[dict[str, Any]]:
    """Take every message off ``queue`` (of ``message_type`` only, when given) as JSON."""
    taken: list[RawMessage] = []
    while (raw := await bus.fetch(queue)) is not None:
        taken.append(raw)
    return [
        json.loads(raw.body)
        for raw in taken
        if message_type is None or raw.message_type == message_type
    ]


@contextlib.asynccontextmanager
async def run_in_background(
    run: Callable[[], Awaitable[None]],
) -> AsyncIterator[asyncio.Task[None]]:
    """Run a service's ``run`` in a task; cancel it and wait on exit."""
    task = asyncio.ensure_future(run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
