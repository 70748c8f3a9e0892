"""CUE sheets: generate, validate and convert through the tracklist service's queues, and
read or download the sheets it wrote.

Each request creates a catalog job (its id is the request's job id and correlation id)
and publishes the request contract on the ``cue.direct`` exchange; the tracklist service
moves the job to ``running`` and then ``succeeded`` (its result: the generation's reply,
the validation report, the converted file) or ``failed`` with the reason. Follow it at
``/v1/jobs/{job_id}``; a generated or converted sheet is then at
``/v1/cue-files/{cue_file_id}``.

A batch (``POST /v1/cue/generate/batch``) publishes one ``cue.generation.batch`` request
per tracklist, each with a job of its own under the batch's job; the relay settles the
batch job as the replies come (see :mod:`tracktion.services.api.cue_batches`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import anyio
from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tracktion.contracts import (
    BatchCueGenerationRequest,
    Contract,
    CueConversionRequest,
    CueFormat,
    CueGenerationRequest,
    CueValidationRequest,
    TracktionError,
)
from tracktion.core.catalog import CueFile, JobStatus
from tracktion.core.cue import get_profile

from ..cue_batches import (
    CUE_BATCH_ITEM_JOB,
    CUE_BATCH_JOB,
    MAX_BATCH_TRACKLISTS,
    BatchChild,
    BatchPayload,
    settle_batch,
)
from ..deps import Context
from ..errors import ApiError
from ..schemas import CueBatchAccepted, CueBatchItemAccepted, CueFileOut, JobAccepted

__all__ = [
    "CUE_CONVERSION_JOB",
    "CUE_GENERATION_JOB",
    "CUE_MEDIA_TYPE",
    "CUE_VALIDATION_JOB",
    "router",
]

CUE_GENERATION_JOB = "cue_generation"
CUE_VALIDATION_JOB = "cue_validation"
CUE_CONVERSION_JOB = "cue_conversion"
"""The ``type`` of the jobs this module creates (the tracklist service's names)."""
CUE_MEDIA_TYPE = "text/x-cue"
"""The media type of a downloaded sheet (with the charset of its profile's encoding)."""

router = APIRouter(tags=["cue"])

_C = TypeVar("_C", bound=Contract)

CueFileId = Annotated[UUID, Path(description="The CUE file's id (a UUID).")]
AudioPath = Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[^\x00]*\S[^\x00]*$")]
_OPTIONS_DOC = "Passed to the tracklist service as is."
_AUDIO_DOC = (
    "The mix's audio file (as the tracklist service sees it) to check the sheet's times against."
)
_CHARSETS = {"cp1252": "windows-1252"}
_BODY_NAMES = {
    "source_cue_file_id": "cue_file_id",
    "validation_options": "options",
    "conversion_options": "options",
}


class GenerateBody(BaseModel):
    """The CUE sheet to generate from the latest version of a tracklist."""

    model_config = ConfigDict(extra="forbid")

    format: CueFormat = Field(default=CueFormat.STANDARD, description="The sheet's profile.")
    options: dict[str, Any] = Field(default_factory=dict, description=_OPTIONS_DOC)
    validate_audio: bool = Field(
        default=False, description="Validate against audio_file_path (required then)."
    )
    audio_file_path: AudioPath | None = Field(default=None, description=_AUDIO_DOC)


class BatchBody(BaseModel):
    """CUE sheets to generate from the latest versions of several tracklists."""

    model_config = ConfigDict(extra="forbid")

    tracklist_ids: list[UUID] = Field(
        min_length=1,
        max_length=MAX_BATCH_TRACKLISTS,
        description="The tracklists, each once; an unknown one fails its own item only.",
    )
    formats: list[CueFormat] = Field(
        default_factory=lambda: [CueFormat.STANDARD],
        min_length=1,
        description="The profiles to write for every tracklist, each once.",
    )
    options: dict[str, Any] = Field(default_factory=dict, description=_OPTIONS_DOC)

    @field_validator("tracklist_ids", "formats")
    @classmethod
    def _each_once(cls, values: list[Any]) -> list[Any]:
        twice = [str(value) for value, count in Counter(values).items() if count > 1]
        if twice:
            raise ValueError(f"names {', '.join(twice)} more than once")
        return values


class ValidateBody(BaseModel):
    """A stored CUE sheet to validate."""

    model_config = ConfigDict(extra="forbid")

    cue_file_id: UUID
    audio_file_path: AudioPath | None = Field(default=None, description=_AUDIO_DOC)
    options: dict[str, Any] = Field(default_factory=dict, description=_OPTIONS_DOC)


class ConvertBody(BaseModel):
    """A stored CUE sheet to convert to another profile."""

    model_config = ConfigDict(extra="forbid")

    cue_file_id: UUID
    target_format: CueFormat
    preserve_metadata: bool = Field(default=True, description="Keep REM comments.")
    options: dict[str, Any] = Field(default_factory=dict, description=_OPTIONS_DOC)


def _accepted(job_id: UUID, message_id: str) -> JobAccepted:
    return JobAccepted(job_id=job_id, status_url=f"/v1/jobs/{job_id}", message_id=message_id)


def _contract(build: Callable[[], _C]) -> _C:
    """``build()``; a body value the contract refuses is a ``RequestValidationError`` (422)."""
    try:
        return build()
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *(_BODY_NAMES.get(str(p), p) for p in error["loc"]))}
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(errors) from None


async def _queue(
    ctx: Context, kind: str, payload: dict[str, Any], request: Callable[[UUID], Contract]
) -> JobAccepted:
    """Create the job, then publish ``request(job_id)``; a refused publication fails it.

    Raises ``RequestValidationError`` (422) when the contract refuses a body value.
    """
    job_id = uuid.uuid4()
    message = _contract(lambda: request(job_id))
    catalog = ctx.ports.catalog
    await catalog.create_job(kind, job_id=job_id, correlation_id=job_id, payload=payload)
    try:
        message_id = await ctx.ports.bus.publish(message)
    except TracktionError as exc:
        await catalog.update_job(job_id, status=JobStatus.FAILED, error=f"not queued: {exc}")
        raise
    return _accepted(job_id, message_id)


async def _cue_file(ctx: Context, cue_file_id: UUID, field: str | None = None) -> CueFile:
    cue = await ctx.ports.catalog.get_cue_file(cue_file_id)
    if cue is None:
        if field is not None:
            raise ApiError.invalid(
                field, f"no CUE file {cue_file_id} in the catalog", location="body"
            )
        raise ApiError.not_found("CUE file", cue_file_id)
    return cue


@router.post(
    "/v1/tracklists/{tracklist_id}/cue",
    response_model=JobAccepted,
    status_code=202,
    summary="Generate a CUE sheet",
)
async def generate(
    ctx: Context,
    tracklist_id: Annotated[UUID, Path(description="The tracklist's id (a UUID).")],
    body: GenerateBody | None = None,
) -> JobAccepted:
    """Queue the generation of a CUE sheet of the tracklist's latest version; the job's
    result holds the reply (``cue_file_id``, checksum, validation report)."""
    wanted = body or GenerateBody()
    if wanted.validate_audio and wanted.audio_file_path is None:
        raise ApiError.invalid(
            "audio_file_path", "required when validate_audio is true", location="body"
        )
    if await ctx.ports.catalog.get_tracklist(tracklist_id) is None:
        raise ApiError.not_found("tracklist", tracklist_id)
    payload = {"tracklist_id": str(tracklist_id), **wanted.model_dump(mode="json")}
    return await _queue(
        ctx,
        CUE_GENERATION_JOB,
        payload,
        lambda job_id: CueGenerationRequest(
            message_id=uuid.uuid4(),
            timestamp=datetime.now(UTC),
            correlation_id=job_id,
            tracklist_id=tracklist_id,
            format=wanted.format,
            options=wanted.options,
            validate_audio=wanted.validate_audio,
            audio_file_path=wanted.audio_file_path,
            job_id=job_id,
        ),
    )


def _batch_request(
    body: BatchBody, tracklist_id: UUID, batch_id: UUID, timestamp: datetime
) -> BatchCueGenerationRequest:
    """The request for one tracklist of a batch: a job of its own, the batch's id as the
    correlation id (the reply carries it back to the batch)."""
    return BatchCueGenerationRequest(
        message_id=uuid.uuid4(),
        timestamp=timestamp,
        correlation_id=batch_id,
        tracklist_id=tracklist_id,
        formats=body.formats,
        options=body.options,
        batch_job_id=uuid.uuid4(),
    )


@router.post(
    "/v1/cue/generate/batch",
    response_model=CueBatchAccepted,
    status_code=202,
    summary="Generate CUE sheets for several tracklists",
)
async def generate_batch(ctx: Context, body: BatchBody) -> CueBatchAccepted:
    """Queue one ``cue.generation.batch`` request per tracklist (its latest version, in
    every format asked), each with a job of its own (``items``). The batch's job shows
    how many are done; when all are, its result lists each tracklist's outcome in
    request order (``cue_file_ids``, the per-format results, or the error), and it has
    succeeded if every tracklist did, else failed naming those that did not."""
    batch_id = uuid.uuid4()
    timestamp = datetime.now(UTC)
    messages = [
        _contract(partial(_batch_request, body, tracklist_id, batch_id, timestamp))
        for tracklist_id in body.tracklist_ids
    ]
    payload = BatchPayload(
        formats=[fmt.value for fmt in body.formats],
        options=body.options,
        items=[BatchChild(tracklist_id=m.tracklist_id, job_id=m.batch_job_id) for m in messages],
    )
    catalog = ctx.ports.catalog
    async with catalog.transaction() as tx:  # every child exists before any reply can come
        await tx.create_job(
            CUE_BATCH_JOB,
            job_id=batch_id,
            correlation_id=batch_id,
            payload=payload.model_dump(mode="json"),
        )
        for message in messages:
            await tx.create_job(
                CUE_BATCH_ITEM_JOB,
                job_id=message.batch_job_id,
                correlation_id=batch_id,
                payload={
                    "tracklist_id": str(message.tracklist_id),
                    "formats": payload.formats,
                    "options": body.options,
                },
            )
    items = []
    for index, message in enumerate(messages):
        try:
            message_id = await ctx.ports.bus.publish(message)
        except TracktionError as exc:
            for unsent in messages[index:]:
                await catalog.update_job(
                    unsent.batch_job_id, status=JobStatus.FAILED, error=f"not queued: {exc}"
                )
            await settle_batch(catalog, batch_id)
            raise
        items.append(
            CueBatchItemAccepted(
                tracklist_id=message.tracklist_id,
                job_id=message.batch_job_id,
                message_id=message_id,
            )
        )
    return CueBatchAccepted(job_id=batch_id, status_url=f"/v1/jobs/{batch_id}", items=items)


@router.post(
    "/v1/cue/validate", response_model=JobAccepted, status_code=202, summary="Validate a sheet"
)
async def validate(ctx: Context, body: ValidateBody) -> JobAccepted:
    """Queue the validation of a stored sheet (against its audio when given); the job's
    result is the report (``is_valid``, ``errors``, ``warnings``, checksum check)."""
    await _cue_file(ctx, body.cue_file_id, "cue_file_id")
    return await _queue(
        ctx,
        CUE_VALIDATION_JOB,
        body.model_dump(mode="json"),
        lambda job_id: CueValidationRequest(
            message_id=uuid.uuid4(),
            timestamp=datetime.now(UTC),
            correlation_id=job_id,
            cue_file_id=body.cue_file_id,
            audio_file_path=body.audio_file_path,
            validation_options=body.options,
            validation_job_id=job_id,
        ),
    )


@router.post(
    "/v1/cue/convert", response_model=JobAccepted, status_code=202, summary="Convert a sheet"
)
async def convert(ctx: Context, body: ConvertBody) -> JobAccepted:
    """Queue the conversion of a stored sheet to ``target_format``; the job's result names
    the new CUE file and what the target profile dropped."""
    await _cue_file(ctx, body.cue_file_id, "cue_file_id")
    return await _queue(
        ctx,
        CUE_CONVERSION_JOB,
        body.model_dump(mode="json"),
        lambda job_id: CueConversionRequest(
            message_id=uuid.uuid4(),
            timestamp=datetime.now(UTC),
            correlation_id=job_id,
            source_cue_file_id=body.cue_file_id,
            target_format=body.target_format,
            preserve_metadata=body.preserve_metadata,
            conversion_options=body.options,
            conversion_job_id=job_id,
        ),
    )


@router.get("/v1/cue-files/{cue_file_id}", response_model=CueFileOut, summary="A CUE file")
async def get_cue_file(ctx: Context, cue_file_id: CueFileId) -> CueFileOut:
    """What the catalog knows of a written sheet: its tracklist version, format, size and
    SHA-256."""
    return CueFileOut.of(await _cue_file(ctx, cue_file_id))


def _disposition(name: str) -> str:
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/v1/cue-files/{cue_file_id}/download",
    response_class=Response,
    summary="Download a CUE file",
    responses={
        200: {
            "content": {CUE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The sheet's bytes, exactly as written.",
        }
    },
)
async def download(ctx: Context, cue_file_id: CueFileId) -> Response:
    """The sheet's bytes as written, with ``X-Checksum-SHA256`` (and ``ETag``) from the
    catalog. 410 when the file is gone from disk, 409 when it changed since it was
    written."""
    cue = await _cue_file(ctx, cue_file_id)
    try:
        data = await anyio.Path(cue.path).read_bytes()
    except FileNotFoundError:
        raise ApiError(
            410, "gone", f"CUE file {cue_file_id} is no longer on disk at {cue.path}"
        ) from None
    except OSError as exc:
        raise ApiError(
            502, "backend_error", f"CUE file {cue_file_id}: cannot read {cue.path}: {exc}"
        ) from exc
    checksum = hashlib.sha256(data).hexdigest()
    if checksum != cue.checksum_sha256:
        raise ApiError(
            409,
            "conflict",
            f"CUE file {cue_file_id} changed on disk since it was written (SHA-256 "
            f"{checksum}, recorded {cue.checksum_sha256}); generate it again",
        )
    encoding = get_profile(cue.format.value).encoding.lower()
    return Response(
        content=data,
        media_type=f"{CUE_MEDIA_TYPE}; charset={_CHARSETS.get(encoding, encoding)}",
        headers={
            "Content-Disposition": _disposition(CueFileOut.of(cue).file_name),
            "X-Checksum-SHA256": checksum,
            "ETag": f'"{checksum}"',
        },
    )
