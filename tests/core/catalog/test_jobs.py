"""Jobs with progress, and processed-message records."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tracktion.core.catalog import (
    CatalogConflictError,
    CatalogInputError,
    CatalogNotFoundError,
    CatalogStore,
    JobStatus,
)

pytestmark = pytest.mark.anyio


async def test_a_job_reports_progress_until_it_finishes(store: CatalogStore) -> None:
    correlation = uuid.uuid4()
    job = await store.create_job(
        "analysis", payload={"recording_id": "x", "features": ["bpm"]}, correlation_id=correlation
    )

    assert job.status is JobStatus.QUEUED
    assert job.progress == 0.0
    assert await store.get_job(job.id) == job

    running = await store.update_job(job.id, status=JobStatus.RUNNING)
    assert running.started_at is not None
    assert running.finished_at is None
    halfway = await store.update_job(job.id, progress=0.5, message="tempo done")
    assert (halfway.progress, halfway.message, halfway.status) == (0.5, "tempo done", "running")
    done = await store.update_job(job.id, status=JobStatus.SUCCEEDED, result={"bpm": 128})

    assert done.progress == 1.0
    assert done.result == {"bpm": 128}
    assert done.message == "tempo done"
    assert done.finished_at is not None
    assert done.finished_at >= running.updated_at
    assert await store.update_job(job.id, status=JobStatus.SUCCEEDED) == done  # redelivery
    with pytest.raises(CatalogConflictError, match="is succeeded; it cannot change"):
        await store.update_job(job.id, progress=0.1)
    assert await store.list_jobs(correlation_id=correlation) == [done]
    assert done in await store.list_jobs(status=JobStatus.SUCCEEDED, type="analysis", limit=10_000)


async def test_job_rules(store: CatalogStore) -> None:
    job = await store.create_job("cue_generation", job_id=(chosen := uuid.uuid4()))
    assert job.id == chosen
    assert job.payload == {}

    with pytest.raises(CatalogInputError, match="progress"):
        await store.update_job(job.id, progress=1.5)
    with pytest.raises(CatalogNotFoundError):
        await store.update_job(uuid.uuid4(), progress=0.1)
    with pytest.raises(CatalogConflictError):
        await store.create_job("cue_generation", job_id=chosen)
    cancelled = await store.update_job(job.id, status="cancelled", error="user cancelled")
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.error == "user cancelled"
    with pytest.raises(CatalogConflictError, match="cannot change"):
        await store.update_job(job.id, status=JobStatus.RUNNING)
    assert await store.get_job(uuid.uuid4()) is None
    queued = await store.create_job("analysis")
    await store.update_job(queued.id, status=JobStatus.RUNNING)
    with pytest.raises(CatalogConflictError, match="is running; it cannot become queued"):
        await store.update_job(queued.id, status=JobStatus.QUEUED)


async def test_mark_processed_is_idempotent(store: CatalogStore) -> None:
    consumer, message = "cataloging", str(uuid.uuid4())

    assert await store.mark_processed(consumer, message)
    assert not await store.mark_processed(consumer, message)
    assert await store.mark_processed("analysis", message)  # per consumer
    assert await store.is_processed(consumer, message)
    assert not await store.is_processed(consumer, str(uuid.uuid4()))


async def test_concurrent_deliveries_record_exactly_once(store: CatalogStore) -> None:
    message = str(uuid.uuid4())

    async def deliver() -> bool:
        async with store.transaction() as tx:
            first = await tx.mark_processed("cataloging", message)
            await asyncio.sleep(0.01)  # the effect, while holding the record
            return first

    outcomes = await asyncio.gather(*(deliver() for _ in range(6)))

    assert sorted(outcomes) == [False] * 5 + [True]


async def test_forget_processed_applies_retention(store: CatalogStore) -> None:
    message = str(uuid.uuid4())
    await store.mark_processed("cataloging", message)

    assert await store.forget_processed(datetime(2000, 1, 1, tzinfo=UTC)) == 0
    assert await store.is_processed("cataloging", message)
    assert await store.forget_processed(datetime.now(UTC) + timedelta(seconds=1)) >= 1
    assert not await store.is_processed("cataloging", message)
    with pytest.raises(CatalogInputError, match="timezone-aware"):
        await store.forget_processed(datetime(2000, 1, 1))
