"""File rename messages on the rename exchange (``file_rename.*`` queues)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from ._base import Contract, Part
from ._types import Lax, NonEmptyPath, NonEmptyStr, Probability, Timestamp, UniqueList, Uuid

__all__ = [
    "FeedbackType",
    "PatternAnalysisOptions",
    "PatternAnalysisRequest",
    "RenameFeedback",
    "RenameGeneratedEvent",
    "RenameOptions",
    "RenameRequest",
    "RenameResponse",
]


class FeedbackType(StrEnum):
    """Feedback on a rename.

    ``success``, ``failure`` and ``improvement`` (the specification's) describe an applied
    rename; ``accepted``, ``rejected`` and ``modified`` are a user's verdict on a proposal.
    """

    SUCCESS = "success"
    FAILURE = "failure"
    IMPROVEMENT = "improvement"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MODIFIED = "modified"


class RenameOptions(Part):
    """How a rename request is carried out."""

    preserve_extension: bool = True
    backup_original: bool = False


class RenameRequest(Contract):
    """Rename one file to a suggested name (``rename.request``)."""

    MESSAGE_TYPE: ClassVar[str] = "rename_request"

    file_path: NonEmptyPath
    suggested_name: NonEmptyPath
    options: RenameOptions = Field(default_factory=RenameOptions)
    correlation_id: Uuid


class RenameResponse(Contract):
    """The outcome of a rename request (``rename.response``)."""

    MESSAGE_TYPE: ClassVar[str] = "rename_response"

    original_path: NonEmptyPath
    new_path: NonEmptyPath | None = None
    success: bool
    error: NonEmptyStr | None = None
    correlation_id: Uuid

    @model_validator(mode="after")
    def _check_outcome(self) -> Self:
        if self.success and (self.error is not None or self.new_path is None):
            raise ValueError("a successful rename has new_path and no error")
        if not self.success and self.error is None:
            raise ValueError("a failed rename must say why in error")
        return self


class PatternAnalysisOptions(Part):
    """What a pattern analysis reports."""

    detect_patterns: bool = True
    suggest_improvements: bool = True


class PatternAnalysisRequest(Contract):
    """Infer the naming patterns of a set of files (``rename.pattern.analyze``)."""

    MESSAGE_TYPE: ClassVar[str] = "pattern_analysis"

    file_paths: UniqueList[NonEmptyPath]
    options: PatternAnalysisOptions = Field(default_factory=PatternAnalysisOptions)
    correlation_id: Uuid


class RenameFeedback(Contract):
    """A user's or the system's feedback on a rename (``rename.feedback``)."""

    MESSAGE_TYPE: ClassVar[str] = "rename_feedback"

    rename_id: Uuid
    feedback_type: Annotated[FeedbackType, Lax]
    message: str = ""
    user_rating: Annotated[int, Field(ge=1, le=5)] | None = None
    """1 (poor) to 5 (perfect), when the user rated the rename."""
    correlation_id: Uuid


class RenameGeneratedEvent(Contract):
    """A rename proposal was stored for a recording's file (``rename.generated``)."""

    MESSAGE_TYPE: ClassVar[str] = "rename_generated"

    proposal_id: Uuid
    recording_id: Uuid
    original_path: NonEmptyPath
    proposed_path: NonEmptyPath
    template: NonEmptyStr
    confidence: Probability
    correlation_id: Uuid
    timestamp: Timestamp
