"""``/v1/jobs``: status and progress of every long job."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from tracktion.core.catalog import JobStatus

from ..deps import Context
from ..errors import ApiError
from ..schemas import JobOut, JobPage

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("", response_model=JobPage, summary="List jobs")
async def list_jobs(
    ctx: Context,
    status: JobStatus | None = None,
    type: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobPage:
    """Jobs, oldest first, filtered by status and type."""
    jobs = await ctx.ports.catalog.list_jobs(status=status, type=type, limit=limit, offset=offset)
    return JobPage(items=[JobOut.of(job) for job in jobs], limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobOut, summary="One job")
async def get_job(ctx: Context, job_id: Annotated[UUID, Path()]) -> JobOut:
    """A job's status, progress, message, result or error."""
    job = await ctx.ports.catalog.get_job(job_id)
    if job is None:
        raise ApiError.not_found("job", job_id)
    return JobOut.of(job)
