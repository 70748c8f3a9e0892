"""CUE generation, validation and conversion messages on the ``cue.direct`` exchange."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from ._base import Contract, Part
from ._types import (
    Identifier,
    JsonObject,
    Lax,
    NonEmptyPath,
    NonEmptyStr,
    NonNegativeFloat,
    NonNegativeInt,
    Priority,
    Sha256Hex,
    Timestamp,
    UniqueList,
    Uuid,
)

__all__ = [
    "BatchCueGenerationComplete",
    "BatchCueGenerationRequest",
    "CueConversionRequest",
    "CueFormat",
    "CueFormatResult",
    "CueGenerationComplete",
    "CueGenerationRequest",
    "CueMessage",
    "CueValidationRequest",
    "ValidationIssue",
    "ValidationReport",
]


class CueFormat(StrEnum):
    """A CUE sheet profile: the specification's three plus the DJ players' own."""

    STANDARD = "standard"
    SERATO = "serato"
    TRAKTOR = "traktor"
    CDJ = "cdj"
    REKORDBOX = "rekordbox"
    KODI = "kodi"


class ValidationIssue(Part):
    """One finding of the CUE validator."""

    rule: NonEmptyStr
    """Stable rule id, such as ``index-increasing``."""
    message: NonEmptyStr
    line: Annotated[int, Field(ge=1)] | None = None
    """1-based line of the sheet, when the finding has one."""


class ValidationReport(Part):
    """The validator's verdict: valid when there is no error (warnings allowed)."""

    is_valid: bool
    errors: list[ValidationIssue] = Field(default_factory=list)
    warnings: list[ValidationIssue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_verdict(self) -> Self:
        if self.is_valid == bool(self.errors):
            raise ValueError("is_valid must be true exactly when errors is empty")
        return self


class CueMessage(Contract):
    """Fields common to every ``cue.*`` message (the specification's base message)."""

    message_id: Uuid
    message_type: str
    timestamp: Timestamp
    correlation_id: Uuid | None = None
    retry_count: NonNegativeInt = 0
    priority: Priority = 5
    metadata: JsonObject = Field(default_factory=dict)


class CueGenerationRequest(CueMessage):
    """Generate one CUE sheet for a tracklist (``cue.generation.single``)."""

    MESSAGE_TYPE: ClassVar[str] = "cue_generation"

    message_type: Literal["cue_generation"] = "cue_generation"
    tracklist_id: Uuid
    format: Annotated[CueFormat, Lax] = CueFormat.STANDARD
    options: JsonObject = Field(default_factory=dict)
    validate_audio: bool = False
    audio_file_path: NonEmptyPath | None = None
    job_id: Uuid
    requested_by: Identifier | None = None

    @model_validator(mode="after")
    def _check_audio(self) -> Self:
        if self.validate_audio and self.audio_file_path is None:
            raise ValueError("audio_file_path is required when validate_audio is true")
        return self


class BatchCueGenerationRequest(CueMessage):
    """Generate CUE sheets in several formats for one tracklist (``cue.generation.batch``)."""

    MESSAGE_TYPE: ClassVar[str] = "batch_cue_generation"

    message_type: Literal["batch_cue_generation"] = "batch_cue_generation"
    tracklist_id: Uuid
    formats: UniqueList[Annotated[CueFormat, Lax]]
    options: JsonObject = Field(default_factory=dict)
    validate_audio: bool = False
    audio_file_path: NonEmptyPath | None = None
    batch_job_id: Uuid
    requested_by: Identifier | None = None


class CueGenerationComplete(CueMessage):
    """The outcome of one generation job (``cue.generation.complete``).

    On success the file fields are set; on failure ``error`` says why.
    """

    MESSAGE_TYPE: ClassVar[str] = "cue_generation_complete"

    message_type: Literal["cue_generation_complete"] = "cue_generation_complete"
    original_message_id: Uuid
    job_id: Uuid
    tracklist_id: Uuid
    success: bool
    cue_file_id: Uuid | None = None
    file_path: NonEmptyPath | None = None
    file_size: NonNegativeInt | None = None
    checksum: Sha256Hex | None = None
    validation_report: ValidationReport | None = None
    error: NonEmptyStr | None = None
    processing_time_ms: NonNegativeFloat
    queue_time_ms: NonNegativeFloat

    @model_validator(mode="after")
    def _check_outcome(self) -> Self:
        _check_outcome(self.success, self.error, self.cue_file_id, self.file_path, self.checksum)
        return self


class CueFormatResult(Part):
    """The outcome for one format of a batch."""

    format: Annotated[CueFormat, Lax]
    success: bool
    cue_file_id: Uuid | None = None
    file_path: NonEmptyPath | None = None
    file_size: NonNegativeInt | None = None
    checksum: Sha256Hex | None = None
    validation_report: ValidationReport | None = None
    error: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _check_outcome(self) -> Self:
        _check_outcome(self.success, self.error, self.cue_file_id, self.file_path, self.checksum)
        return self


class BatchCueGenerationComplete(CueMessage):
    """The outcome of a batch job, one result per format (``cue.generation.batch.complete``).

    ``success`` is true when every format succeeded.
    """

    MESSAGE_TYPE: ClassVar[str] = "batch_cue_generation_complete"

    message_type: Literal["batch_cue_generation_complete"] = "batch_cue_generation_complete"
    original_message_id: Uuid
    batch_job_id: Uuid
    tracklist_id: Uuid
    success: bool
    results: list[CueFormatResult] = Field(min_length=1)
    processing_time_ms: NonNegativeFloat
    queue_time_ms: NonNegativeFloat

    @model_validator(mode="after")
    def _check_summary(self) -> Self:
        if self.success != all(result.success for result in self.results):
            raise ValueError("success must be true exactly when every result succeeded")
        return self


class CueValidationRequest(CueMessage):
    """Validate a stored CUE sheet, optionally against its audio (``cue.validation``)."""

    MESSAGE_TYPE: ClassVar[str] = "cue_validation"

    message_type: Literal["cue_validation"] = "cue_validation"
    cue_file_id: Uuid
    audio_file_path: NonEmptyPath | None = None
    validation_options: JsonObject = Field(default_factory=dict)
    validation_job_id: Uuid
    requested_by: Identifier | None = None


class CueConversionRequest(CueMessage):
    """Convert a stored CUE sheet to another profile (``cue.conversion``)."""

    MESSAGE_TYPE: ClassVar[str] = "cue_conversion"

    message_type: Literal["cue_conversion"] = "cue_conversion"
    source_cue_file_id: Uuid
    target_format: Annotated[CueFormat, Lax]
    preserve_metadata: bool = True
    conversion_options: JsonObject = Field(default_factory=dict)
    conversion_job_id: Uuid
    requested_by: Identifier | None = None


def _check_outcome(
    success: bool,
    error: str | None,
    cue_file_id: object,
    file_path: str | None,
    checksum: str | None,
) -> None:
    if success:
        if error is not None:
            raise ValueError("a successful result must not carry an error")
        absent = [
            name
            for name, value in (
                ("cue_file_id", cue_file_id),
                ("file_path", file_path),
                ("checksum", checksum),
            )
            if value is None
        ]
        if absent:
            raise ValueError(f"a successful result needs {', '.join(absent)}")
    elif error is None:
        raise ValueError("a failed result must say why in error")
