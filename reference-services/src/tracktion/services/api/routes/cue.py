"""CUE sheets: generate, validate and convert through the tracklist service's queues, and
read or download the sheets it wrote.

Each request creates a catalog job (its id is the request's job id and correlation id)
and publishes the request contract on the ``cue.direct`` exchange; the tracklist service
moves the job to ``running`` and then ``succeeded`` (its result: the generation's reply,
the validation report, the converted file) or ``failed`` with the reason. Follow it at
``/v1/jobs/{job_id}``; a generated or converted sheet is then at
``/v1/cue-files/{cue_file_id}``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

import anyio
from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tracktion.contracts import (
    Contract,
    CueConversionRequest,
    CueFormat,
    CueGenerationRequest,
    CueValidationRequest,
    TracktionError,
)
from tracktion.core.catalog import CueFile, JobStatus
from tracktion.core.cue import get_profile

from ..deps import Context
from ..errors import ApiError
from ..schemas import CueFileOut, JobAccepted

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


async def _queue(
    ctx: Context, kind: str, payload: dict[str, Any], request: Callable[[UUID], Contract]
) -> JobAccepted:
    """Create the job, then publish ``request(job_id)``; a refused publication fails it.

    Raises ``RequestValidationError`` (422) when the contract refuses a body value.
    """
    job_id = uuid.uuid4()
    try:
        message = request(job_id)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *(_BODY_NAMES.get(str(p), p) for p in error["loc"]))}
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(errors) from None
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
