"""Catalog stores for the behaviour suite: one SQLite file and one PostgreSQL database per
test session (per xdist worker), migrated once; tests isolate themselves by unique paths,
contents and ids instead of recreating schemas."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import make_url

from tracktion.core.catalog import (
    CatalogStore,
    FileObservation,
    ReconnectPolicy,
    open_catalog,
    upgrade,
)

# Tests never wait long for a server: a dead one fails the test within this budget.
FAST_RECONNECT = ReconnectPolicy(budget_s=2.0, initial_delay_s=0.05, max_delay_s=0.5)


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def new_database_name() -> str:
    return f"tracktion_test_{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def sqlite_catalog_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("catalog") / "catalog.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(upgrade(url))
    return url


@pytest.fixture(scope="session")
def postgresql_catalog_url(postgres_url: str) -> Iterator[str]:
    name = new_database_name()
    asyncio.run(create_database(postgres_url, name))
    try:
        url = database_url(postgres_url, name)
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(drop_database(postgres_url, name))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def catalog_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_catalog_url"))


@pytest.fixture
async def store(catalog_url: str) -> AsyncIterator[CatalogStore]:
    catalog = await open_catalog(catalog_url, migrate=False, reconnect=FAST_RECONNECT)
    try:
        yield catalog
    finally:
        await catalog.close()


class Library:
    """Observations under a library root no other test uses, at increasing times."""

    def __init__(self) -> None:
        self.root = f"/music/{uuid.uuid4().hex}"
        self.start = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
        self._clock = itertools.count(1)

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def content(self, label: str) -> bytes:
        # Unique per library, so contents never collide with other tests' recordings.
        return f"{self.root}:{label}".encode()

    def tick(self) -> datetime:
        """A time later than every earlier tick."""
        return self.start + timedelta(seconds=next(self._clock))

    def observe(
        self, name: str, content: str, *, at: datetime | None = None, mtime_ns: int = 1
    ) -> FileObservation:
        data = self.content(content)
        return FileObservation(
            path=self.path(name),
            root=self.root,
            size_bytes=len(data),
            mtime_ns=mtime_ns,
            sha256=hashlib.sha256(data).hexdigest(),
            xxh128=hashlib.blake2b(data, digest_size=16).hexdigest(),
            seen_at=at or self.tick(),
        )


@pytest.fixture
def library() -> Library:
    return Library()
