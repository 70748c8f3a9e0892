"""Units of work: commit on exit, rollback on error, and what a lost connection does."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import make_url

from tracktion.core.catalog import (
    CatalogConflictError,
    CatalogStore,
    open_catalog,
)
from tracktion.core.errors import BackendError, BackendUnavailableError

from .conftest import FAST_RECONNECT, Library

pytestmark = pytest.mark.anyio


class DeliberateError(Exception):
    """Raised by a test inside a unit of work to make it roll back."""


async def test_a_unit_of_work_commits_when_its_block_ends(
    store: CatalogStore, library: Library
) -> None:
    message = str(uuid.uuid4())
    async with store.transaction() as tx:
        assert await tx.mark_processed("cataloging", message)
        result = await tx.upsert_file(library.observe("a.flac", "A"))
        await tx.save_analysis(result.recording_id, "bpm", "v1", 128)
        assert await tx.get_file(library.path("a.flac")) is not None  # its own writes

    assert await store.is_processed("cataloging", message)
    assert await store.has_analysis(result.recording_id, "v1")


async def test_an_exception_rolls_everything_back(store: CatalogStore, library: Library) -> None:
    message, job_id = str(uuid.uuid4()), uuid.uuid4()
    observation = library.observe("a.flac", "A")

    async def work() -> None:
        async with store.transaction() as tx:
            assert await tx.mark_processed("cataloging", message)
            await tx.upsert_file(observation)
            await tx.create_job("analysis", job_id=job_id)
            raise DeliberateError

    with pytest.raises(DeliberateError):
        await work()

    assert not await store.is_processed("cataloging", message)
    assert await store.get_file(observation.path, include_deleted=True) is None
    assert await store.find_recording(sha256=observation.sha256) is None
    assert await store.get_job(job_id) is None


async def test_a_failed_statement_dooms_its_unit_of_work(
    store: CatalogStore, library: Library
) -> None:
    existing = await store.create_job("analysis")
    observation = library.observe("a.flac", "A")

    async def work() -> None:
        async with store.transaction() as tx:
            await tx.upsert_file(observation)
            with pytest.raises(CatalogConflictError):
                await tx.create_job("analysis", job_id=existing.id)
            assert tx.failed
            with pytest.raises(BackendError, match="already failed"):
                await tx.get_job(existing.id)

    with pytest.raises(BackendError, match="rolled back") as caught:
        await work()

    assert isinstance(caught.value.__cause__, CatalogConflictError)
    assert await store.get_file(observation.path) is None


async def test_a_closed_store_refuses_work(catalog_url: str) -> None:
    catalog = await open_catalog(catalog_url, migrate=False, reconnect=FAST_RECONNECT)
    await catalog.close()

    with pytest.raises(BackendError, match="closed"):
        await catalog.get_job(uuid.uuid4())
    with pytest.raises(BackendError, match="closed"):
        async with catalog.transaction():
            pass


async def _terminate_other_sessions(url: str) -> int:
    """Kill every other connection to the database of ``url``, as a server restart would."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        rows = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return len(rows)


@pytest.mark.integration
async def test_connection_lost_mid_transaction_commits_nothing_then_reconnects(
    postgresql_catalog_url: str, library: Library
) -> None:
    observation = library.observe("a.flac", "A")

    async def interrupted(catalog: CatalogStore) -> None:
        async with catalog.transaction() as tx:
            await tx.upsert_file(observation)
            assert await _terminate_other_sessions(postgresql_catalog_url) >= 1
            await tx.mark_processed("cataloging", str(uuid.uuid4()))

    async with await open_catalog(postgresql_catalog_url, reconnect=FAST_RECONNECT) as catalog:
        with pytest.raises(BackendUnavailableError, match="connection lost"):
            await interrupted(catalog)

        # The pool replaced the dead connection; the interrupted work never happened.
        assert await catalog.get_file(observation.path, include_deleted=True) is None
        assert (await catalog.upsert_file(observation)).file_created


@pytest.mark.integration
async def test_pooled_connections_killed_between_calls_are_replaced(
    postgresql_catalog_url: str,
) -> None:
    async with await open_catalog(postgresql_catalog_url, reconnect=FAST_RECONNECT) as catalog:
        job = await catalog.create_job("analysis")
        await _terminate_other_sessions(postgresql_catalog_url)

        assert await catalog.get_job(job.id) == job
        await _terminate_other_sessions(postgresql_catalog_url)
        assert (await catalog.update_job(job.id, progress=0.5)).progress == 0.5
