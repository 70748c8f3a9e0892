"""Batch CUE generation: one API job over one ``cue.generation.batch`` request per tracklist.

The batch contract (``BatchCueGenerationRequest``) renders *one* tracklist in several
formats, and the tracklist service makes its ``batch_job_id`` a catalog job that it
finishes itself. A batch over REST names several tracklists, so it is a parent job (type
:data:`CUE_BATCH_JOB`) with one child job per tracklist (type :data:`CUE_BATCH_ITEM_JOB`):
each child's id is the ``batch_job_id`` of its request, and each child's
``correlation_id`` is the parent's id, which the request and its
``cue.generation.batch.complete`` reply carry as their ``correlation_id``.

The relay settles the parent on every such reply (:func:`settle_batch`): its progress is
the share of finished children; once every child is final, the parent succeeds when all
of them did, and otherwise fails with an error naming each tracklist that failed. Either
way its result lists every tracklist's outcome, in the order of the request, with the CUE
file ids of the sheets written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from tracktion.core.catalog import CatalogConflictError, CatalogStore, Job, JobStatus

__all__ = [
    "CUE_BATCH_ITEM_JOB",
    "CUE_BATCH_JOB",
    "MAX_BATCH_TRACKLISTS",
    "BatchChild",
    "BatchPayload",
    "batch_outcome",
    "item_outcome",
    "settle_batch",
]

CUE_BATCH_JOB = "cue_batch"
"""The ``type`` of a batch's parent job (the one ``POST /v1/cue/generate/batch`` returns)."""
CUE_BATCH_ITEM_JOB = "batch_cue_generation"
"""The ``type`` of a batch's per-tracklist jobs (the tracklist service's name for them)."""
MAX_BATCH_TRACKLISTS = 100
"""Most tracklists one batch may name (one request message and one job each)."""


class BatchChild(BaseModel):
    """One tracklist of a batch and the job of its request."""

    model_config = ConfigDict(frozen=True)

    tracklist_id: UUID
    job_id: UUID


class BatchPayload(BaseModel):
    """The parent job's payload: what was asked, and the child job of each tracklist."""

    model_config = ConfigDict(frozen=True)

    formats: list[str]
    options: dict[str, Any]
    items: list[BatchChild]


def item_outcome(child: BatchChild, job: Job | None) -> dict[str, Any]:
    """One tracklist's entry of the batch result, from its child job (``None``: missing).

    ``success`` is ``None`` while the child runs; ``results`` are the reply's per-format
    results (the contract's ``CueFormatResult``) once the tracklist service answered.
    """
    item: dict[str, Any] = {
        "tracklist_id": str(child.tracklist_id),
        "job_id": str(child.job_id),
        "status": JobStatus.FAILED.value if job is None else job.status.value,
        "success": None,
        "cue_file_ids": [],
        "results": [],
        "error": f"no job {child.job_id} in the catalog" if job is None else job.error,
    }
    if job is None:
        item["success"] = False
        return item
    if not job.status.is_final:
        return item
    reply = job.result.get("reply") if isinstance(job.result, dict) else None
    results = reply.get("results") if isinstance(reply, dict) else None
    if isinstance(results, list):
        item["results"] = results
        item["cue_file_ids"] = [
            r["cue_file_id"] for r in results if isinstance(r, dict) and r.get("cue_file_id")
        ]
    item["success"] = job.status is JobStatus.SUCCEEDED
    return item


def batch_outcome(
    payload: BatchPayload, jobs: Mapping[UUID, Job]
) -> tuple[list[dict[str, Any]], int]:
    """Every tracklist's entry of the result, in request order, and how many are final."""
    items = [item_outcome(child, jobs.get(child.job_id)) for child in payload.items]
    return items, sum(1 for item in items if item["success"] is not None)


def _failure_text(failed: Sequence[dict[str, Any]], total: int) -> str:
    reasons = "; ".join(f"tracklist {i['tracklist_id']}: {i['error'] or 'failed'}" for i in failed)
    return f"{len(failed)} of {total} tracklists failed: {reasons}"


async def settle_batch(catalog: CatalogStore, batch_id: UUID) -> Job | None:
    """Bring the batch job ``batch_id`` up to date with its children; returns it, or
    ``None`` when ``batch_id`` is no open batch job (not a batch, or already final).

    The parent is locked first (moved to ``running``), so that replies settling it at
    once, in any API instance, do it one after the other: the last one sees every child
    final. Idempotent: settling again changes nothing a client can see but the time.
    """
    try:
        async with catalog.transaction() as tx:
            parent = await tx.get_job(batch_id)
            if parent is None or parent.type != CUE_BATCH_JOB or parent.status.is_final:
                return None
            try:
                payload = BatchPayload.model_validate(parent.payload)
            except ValidationError:
                return None  # not made by the batch route
            await tx.update_job(batch_id, status=JobStatus.RUNNING)
            children = await tx.list_jobs(
                correlation_id=batch_id, type=CUE_BATCH_ITEM_JOB, limit=MAX_BATCH_TRACKLISTS
            )
            items, done = batch_outcome(payload, {job.id: job for job in children})
            total = len(items)
            failed = [item for item in items if item["success"] is False]
            message = f"{done} of {total} tracklists done" + (
                f", {len(failed)} failed" if failed else ""
            )
            if done < total:
                return await tx.update_job(batch_id, progress=done / total, message=message)
            result = {"items": items, "succeeded": total - len(failed), "failed": len(failed)}
            return await tx.update_job(
                batch_id,
                status=JobStatus.FAILED if failed else JobStatus.SUCCEEDED,
                progress=1.0,
                message=message,
                result=result,
                error=_failure_text(failed, total) if failed else None,
            )
    except CatalogConflictError:
        return None  # finished meanwhile, by another reply or another instance
