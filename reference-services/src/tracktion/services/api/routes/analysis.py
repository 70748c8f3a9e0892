"""Analysis of one recording: results per feature, (re)analysis requests, cancellation.

A request is published as ``analysis.request`` on the bus with a new job (job id = the
request's correlation id); progress and completion reach WebSocket subscribers of the
recording through the relay, which also moves the job along.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, ConfigDict, Field

from tracktion.contracts import AnalysisCancellation, AnalysisRequest, AnalysisType, TracktionError
from tracktion.core.catalog import JobStatus

from ..deps import Context
from ..errors import ApiError
from ..schemas import FeatureOut, JobAccepted

__all__ = ["ANALYSIS_JOB", "router"]

ANALYSIS_JOB = "analysis"
"""The ``type`` of the jobs this module creates."""

router = APIRouter(prefix="/v1/recordings", tags=["analysis"])

RecordingId = Annotated[UUID, Path(description="The recording's id (a UUID).")]


class AnalyzeBody(BaseModel):
    """What to analyze; everything is optional."""

    model_config = ConfigDict(extra="forbid")

    analysis_types: list[AnalysisType] = Field(
        default_factory=lambda: [AnalysisType.BPM, AnalysisType.KEY, AnalysisType.ENERGY],
        min_length=1,
        description="Features to compute.",
    )
    file_path: str | None = Field(
        default=None, description="Which of the recording's files to read (default: the first)."
    )


class CancelAccepted(BaseModel):
    """A cancellation was published (at priority 8)."""

    recording_id: UUID
    correlation_id: UUID
    message_id: str


@router.get(
    "/{recording_id}/analysis",
    response_model=dict[str, FeatureOut],
    summary="Analysis results of a recording",
)
async def get_analysis(ctx: Context, recording_id: RecordingId) -> dict[str, FeatureOut]:
    """The latest result of every feature, by feature name (empty when not analyzed)."""
    async with ctx.ports.catalog.transaction() as tx:
        if await tx.get_recording(recording_id) is None:
            raise ApiError.not_found("recording", recording_id)
        results = await tx.get_analysis(recording_id)
    return {name: FeatureOut.of(result) for name, result in results.items()}


@router.get(
    "/{recording_id}/analysis/{feature}",
    response_model=FeatureOut,
    summary="One feature's result",
)
async def get_feature(
    ctx: Context,
    recording_id: RecordingId,
    feature: Annotated[str, Path(min_length=1, max_length=64, description="bpm, key...")],
) -> FeatureOut:
    """The latest result of one feature of a recording."""
    async with ctx.ports.catalog.transaction() as tx:
        if await tx.get_recording(recording_id) is None:
            raise ApiError.not_found("recording", recording_id)
        results = await tx.get_analysis(recording_id, feature)
    if feature not in results:
        raise ApiError(404, "not_found", f"no {feature!r} result for recording {recording_id}")
    return FeatureOut.of(results[feature])


@router.post(
    "/{recording_id}/analyze",
    response_model=JobAccepted,
    status_code=202,
    summary="Request (re)analysis",
)
async def analyze(
    ctx: Context,
    recording_id: RecordingId,
    body: Annotated[AnalyzeBody | None, Body()] = None,
) -> JobAccepted:
    """Queue an analysis of the recording; returns the job to follow. Progress and
    completion also go to WebSocket subscribers of the recording."""
    wanted = body or AnalyzeBody()
    catalog = ctx.ports.catalog
    if await catalog.get_recording(recording_id) is None:
        raise ApiError.not_found("recording", recording_id)
    paths = [record.path for record in await catalog.files_of(recording_id)]
    if not paths:
        raise ApiError(409, "conflict", f"recording {recording_id} has no live file to analyze")
    if wanted.file_path is not None and wanted.file_path not in paths:
        raise ApiError.invalid(
            "file_path",
            f"{wanted.file_path!r} is not a file of recording {recording_id}",
            location="body",
        )
    path = wanted.file_path or paths[0]
    job_id = uuid.uuid4()
    types = list(dict.fromkeys(wanted.analysis_types))
    await catalog.create_job(
        ANALYSIS_JOB,
        job_id=job_id,
        correlation_id=job_id,
        payload={
            "recording_id": str(recording_id),
            "file_path": path,
            "analysis_types": [t.value for t in types],
        },
    )
    request = AnalysisRequest(
        recording_id=recording_id, file_path=path, analysis_types=types, correlation_id=job_id
    )
    try:
        message_id = await ctx.ports.bus.publish(request)
    except TracktionError as exc:
        await catalog.update_job(job_id, status=JobStatus.FAILED, error=f"not queued: {exc}")
        raise
    return JobAccepted(job_id=job_id, status_url=f"/v1/jobs/{job_id}", message_id=message_id)


@router.post(
    "/{recording_id}/analysis/cancel",
    response_model=CancelAccepted,
    status_code=202,
    summary="Cancel a pending or running analysis",
)
async def cancel_analysis(ctx: Context, recording_id: RecordingId) -> CancelAccepted:
    """Publish ``analysis.cancel`` for the recording at high priority (8)."""
    if await ctx.ports.catalog.get_recording(recording_id) is None:
        raise ApiError.not_found("recording", recording_id)
    correlation_id = uuid.uuid4()
    message_id = await ctx.ports.bus.publish(
        AnalysisCancellation(recording_id=recording_id, correlation_id=correlation_id)
    )
    return CancelAccepted(
        recording_id=recording_id, correlation_id=correlation_id, message_id=message_id
    )
