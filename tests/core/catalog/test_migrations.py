"""Migrations: an empty database gets every table, and the models match the migration."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from tracktion.core.catalog import (
    CatalogSchemaError,
    ReconnectPolicy,
    current_revision,
    downgrade,
    head_revision,
    open_catalog,
    upgrade,
)
from tracktion.core.catalog.schema import metadata

from .conftest import (
    FAST_RECONNECT,
    create_database,
    database_url,
    drop_database,
    new_database_name,
)

pytestmark = pytest.mark.anyio

CATALOG_TABLES = set(metadata.tables)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_url")
    name = new_database_name()
    await create_database(admin_url, name)
    try:
        yield database_url(admin_url, name)
    finally:
        await drop_database(admin_url, name)


async def _inspect(url: str, probe: Any) -> Any:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(probe)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_upgrade_creates_every_table_and_downgrade_removes_them(
    empty_database_url: str,
) -> None:
    assert await current_revision(empty_database_url) is None

    await upgrade(empty_database_url)

    assert await current_revision(empty_database_url) == head_revision() == "0001"
    assert await _inspect(empty_database_url, _table_names) == CATALOG_TABLES | {"alembic_version"}
    await upgrade(empty_database_url)  # already current: nothing to do

    await downgrade(empty_database_url, "base")

    assert await _inspect(empty_database_url, _table_names) == {"alembic_version"}
    assert await current_revision(empty_database_url) is None


async def test_concurrent_upgrades_are_serialized(empty_database_url: str) -> None:
    await asyncio.gather(*(upgrade(empty_database_url) for _ in range(3)))

    assert await current_revision(empty_database_url) == head_revision()


async def test_the_models_match_the_migration(catalog_url: str) -> None:
    assert await _inspect(catalog_url, _differences) == []


async def test_opening_never_migrates_postgresql_implicitly(empty_database_url: str) -> None:
    if empty_database_url.startswith("sqlite"):
        with pytest.raises(CatalogSchemaError, match="empty"):
            await open_catalog(empty_database_url, migrate=False)
        # The embedded database is migrated on open.
        async with await open_catalog(empty_database_url) as catalog:
            assert await catalog.check_schema() == head_revision()
        return
    with pytest.raises(CatalogSchemaError, match=r"tracktion db upgrade"):
        await open_catalog(empty_database_url, reconnect=FAST_RECONNECT)
    async with await open_catalog(empty_database_url, migrate=True) as catalog:
        assert catalog.dialect == "postgresql"
        assert await catalog.check_schema() == head_revision()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    async with await open_catalog(f"sqlite:///{path}") as catalog:
        assert catalog.dialect == "sqlite"
        assert catalog.url.endswith("catalog.db")
        assert catalog.engine.dialect.driver == "aiosqlite"  # sqlite:// gets the async driver
        assert catalog.reconnect == ReconnectPolicy()
        async with catalog.transaction() as tx:
            connection = tx._connection
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 15_000,
        "synchronous": 2,
    }
    with closing(sqlite3.connect(path)) as raw:  # WAL is a property of the file itself
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_an_unknown_revision_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogSchemaError, match="zzz"):
        await upgrade(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "zzz")
