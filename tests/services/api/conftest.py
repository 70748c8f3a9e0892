"""Real ports for the API tests (embedded bus and cache, SQLite catalog, SQL graph), seed
data, and a real uvicorn server on a free port for the WebSocket tests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from tracktion.core.bus import InMemoryBus, MessageBus
from tracktion.core.cache import Cache, open_cache
from tracktion.core.catalog import CatalogStore, FileObservation, open_catalog, upgrade
from tracktion.core.graph import Graph, open_graph
from tracktion.services.api import serve


@dataclass(frozen=True)
class Ports:
    bus: MessageBus
    catalog: CatalogStore
    cache: Cache
    graph: Graph


@pytest.fixture(scope="session")
def api_catalog_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('api') / 'catalog.db'}"
    asyncio.run(upgrade(url))
    return url


@pytest.fixture
async def ports(api_catalog_url: str) -> AsyncIterator[Ports]:
    catalog = await open_catalog(api_catalog_url, migrate=False)
    bus = InMemoryBus()
    await bus.declare()
    cache = open_cache("memory://")
    graph = await open_graph("sql://", engine=catalog.engine)
    try:
        yield Ports(bus, catalog, cache, graph)
    finally:
        await bus.close()
        await cache.close()
        await catalog.close()


@contextlib.asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` on a free port; yields ``ws://127.0.0.1:PORT``."""
    bound: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    port: list[int] = []

    def started(_host: str, number: int) -> None:
        port.append(number)
        bound.set_result(None)

    task: asyncio.Future[None] = asyncio.ensure_future(
        serve(app, "127.0.0.1", 0, on_started=started, log_level="warning")
    )
    await asyncio.wait([task, bound], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield f"ws://127.0.0.1:{port[0]}"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Library:
    """Recordings under a root no other test uses."""

    def __init__(self, catalog: CatalogStore) -> None:
        self.catalog = catalog
        self.root = f"/music/{uuid.uuid4().hex}"

    async def add(
        self,
        name: str,
        *,
        bpm: float | None = None,
        key: str | None = None,
        camelot: str | None = None,
        energy: float | None = None,
    ) -> uuid.UUID:
        data = f"{self.root}/{name}".encode()
        observation = FileObservation(
            path=f"{self.root}/{name}",
            root=self.root,
            size_bytes=len(data),
            mtime_ns=1,
            sha256=hashlib.sha256(data).hexdigest(),
            xxh128=hashlib.blake2b(data, digest_size=16).hexdigest(),
            seen_at=datetime.now(UTC),
        )
        recording_id = (await self.catalog.upsert_file(observation)).recording_id
        for feature, value in (
            ("bpm", bpm),
            ("key", key),
            ("camelot", camelot),
            ("energy", energy),
        ):
            if value is not None:
                await self.catalog.save_analysis(recording_id, feature, "test-1", value)
        return recording_id


@pytest.fixture
def library(ports: Ports) -> Library:
    return Library(ports.catalog)
