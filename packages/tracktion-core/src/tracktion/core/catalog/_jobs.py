"""Jobs with progress, and the processed-message records that make consumers idempotent.

A consumer that records ``mark_processed(consumer, message_id)`` in the same unit of work
as its effect commits both or neither: a redelivered message finds its record and is
acknowledged without being applied twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Row, delete, insert, select, update

from . import _checks
from ._base import RepositoryBase
from .errors import CatalogConflictError, CatalogInputError, CatalogNotFoundError
from .records import Job, JobStatus
from .schema import jobs, processed_messages

__all__ = ["JobsRepository"]

_TYPE_LENGTH = 64
_ID_LENGTH = 255

_JOB_MOVES: Mapping[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset(
        {JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def _job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        type=row.type,
        status=JobStatus(row.status),
        progress=row.progress,
        correlation_id=row.correlation_id,
        payload=row.payload,
        message=row.message,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class JobsRepository(RepositoryBase):
    """Jobs and processed-message records (mixin of the unit of work)."""

    # -- jobs ------------------------------------------------------------------------------

    async def create_job(
        self,
        type: str,
        *,
        payload: Mapping[str, object] | None = None,
        correlation_id: UUID | None = None,
        job_id: UUID | None = None,
    ) -> Job:
        """Create a ``queued`` job of ``type`` (``analysis``, ``cue_generation``, at most 64
        characters) with a JSON ``payload``. ``job_id`` adopts an id chosen elsewhere (a
        request message's ``job_id``); ``correlation_id`` ties the job to a message flow.
        Raises ``CatalogConflictError`` if a job with ``job_id`` exists."""
        _checks.text(type, "type", max_length=_TYPE_LENGTH)
        plain = _checks.json_value({} if payload is None else payload, "payload")
        if not isinstance(plain, dict):
            raise CatalogInputError("payload must be a mapping")
        job = Job(
            id=uuid4() if job_id is None else job_id,
            type=type,
            status=JobStatus.QUEUED,
            progress=0.0,
            correlation_id=correlation_id,
            payload=plain,
            message=None,
            result=None,
            error=None,
            created_at=(now := self._now()),
            updated_at=now,
            started_at=None,
            finished_at=None,
        )
        await self._execute(
            insert(jobs).values(
                id=job.id,
                type=job.type,
                status=job.status.value,
                progress=job.progress,
                correlation_id=job.correlation_id,
                payload=plain,
                message=None,
                result=None,
                error=None,
                created_at=now,
                updated_at=now,
                started_at=None,
                finished_at=None,
            )
        )
        return job

    async def update_job(
        self,
        job_id: UUID,
        *,
        status: JobStatus | str | None = None,
        progress: float | None = None,
        message: str | None = None,
        result: object = None,
        error: str | None = None,
    ) -> Job:
        """Change a job's status, progress (in [0, 1]), status ``message``, JSON ``result``
        or ``error``; arguments left ``None`` keep their stored value.

        Moving to ``running`` stamps ``started_at``; to ``succeeded``, ``failed`` or
        ``cancelled`` stamps ``finished_at`` (``succeeded`` also sets progress to 1). A
        finished job cannot change, except that repeating its final status is a no-op.
        Raises ``CatalogNotFoundError`` for an unknown job, ``CatalogConflictError`` for
        a change its status does not allow, ``CatalogInputError`` for invalid values."""
        new_status = None if status is None else _checks.member(JobStatus, status, "status")
        if progress is not None:
            progress = _checks.probability(progress, "progress")
        _checks.optional_text(message, "message")
        _checks.optional_text(error, "error")
        plain_result = _checks.json_value(result, "result")
        found = await self._execute(select(jobs).where(jobs.c.id == job_id).with_for_update())
        row = found.first()
        if row is None:
            raise CatalogNotFoundError(f"no job {job_id}")
        current = JobStatus(row.status)
        if current.is_final:
            if new_status == current:
                return _job(row)
            raise CatalogConflictError(f"job {job_id} is {current.value}; it cannot change")
        now = self._now()
        values: dict[str, Any] = {"updated_at": now}
        if new_status is not None and new_status != current:
            if new_status not in _JOB_MOVES[current]:
                raise CatalogConflictError(
                    f"job {job_id} is {current.value}; it cannot become {new_status.value}"
                )
            values["status"] = new_status.value
            if new_status == JobStatus.RUNNING:
                values["started_at"] = now
            if new_status.is_final:
                values["finished_at"] = now
            if new_status == JobStatus.SUCCEEDED:
                values["progress"] = 1.0
        if progress is not None and "progress" not in values:
            values["progress"] = progress
        optional = {"message": message, "result": plain_result, "error": error}
        values.update({name: value for name, value in optional.items() if value is not None})
        changed = await self._execute(
            update(jobs).where(jobs.c.id == job_id).values(**values).returning(*jobs.c)
        )
        return _job(changed.one())

    async def get_job(self, job_id: UUID) -> Job | None:
        """The job with this id."""
        result = await self._execute(select(jobs).where(jobs.c.id == job_id))
        row = result.first()
        return None if row is None else _job(row)

    async def list_jobs(
        self,
        *,
        status: JobStatus | str | None = None,
        type: str | None = None,
        correlation_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs, oldest first; only those matching ``status``, ``type`` and
        ``correlation_id`` when given."""
        limit, offset = _checks.page(limit, offset)
        query = select(jobs)
        if status is not None:
            query = query.where(jobs.c.status == _checks.member(JobStatus, status, "status").value)
        if type is not None:
            query = query.where(jobs.c.type == type)
        if correlation_id is not None:
            query = query.where(jobs.c.correlation_id == correlation_id)
        result = await self._execute(
            query.order_by(jobs.c.created_at, jobs.c.id).limit(limit).offset(offset)
        )
        return [_job(row) for row in result]

    # -- processed messages ----------------------------------------------------------------

    async def mark_processed(self, consumer: str, message_id: str) -> bool:
        """Record that ``consumer`` processed ``message_id``: True if this call recorded it,
        False if it was already recorded (a redelivery: skip the effect, acknowledge).

        Call it in the unit of work that applies the message's effect, first: concurrent
        deliveries of one message then wait for each other, and exactly one sees True.
        Both names are at most 255 characters."""
        _checks.text(consumer, "consumer", max_length=_ID_LENGTH)
        _checks.text(message_id, "message_id", max_length=_ID_LENGTH)
        result = await self._execute(
            self._insert(processed_messages)
            .values(consumer=consumer, message_id=message_id, processed_at=self._now())
            .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
            .returning(processed_messages.c.message_id)
        )
        return result.first() is not None

    async def is_processed(self, consumer: str, message_id: str) -> bool:
        """Whether ``consumer`` has a record of processing ``message_id``."""
        result = await self._execute(
            select(processed_messages.c.message_id).where(
                processed_messages.c.consumer == consumer,
                processed_messages.c.message_id == message_id,
            )
        )
        return result.first() is not None

    async def forget_processed(self, older_than: datetime) -> int:
        """Delete processed-message records older than ``older_than`` (once no redelivery
        of them can arrive, e.g. beyond the queues' message TTL). Returns how many."""
        older_than = _checks.aware(older_than, "older_than")
        result = await self._execute(
            delete(processed_messages).where(processed_messages.c.processed_at < older_than)
        )
        return max(result.rowcount, 0)
