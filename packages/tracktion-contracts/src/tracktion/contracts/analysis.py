"""Analysis requests and results on the ``tracktion.events`` exchange."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ._base import Contract, Part
from ._types import (
    Camelot,
    JsonObject,
    Lax,
    MusicalKey,
    NonEmptyPath,
    NonEmptyStr,
    NonNegativeFloat,
    OpenKey,
    Priority,
    Probability,
    Sha256Hex,
    Timestamp,
    UniqueList,
    Uuid,
    Xxh128Hex,
)

__all__ = [
    "AnalysisCancellation",
    "AnalysisCompleteEvent",
    "AnalysisProgressEvent",
    "AnalysisRequest",
    "AnalysisResults",
    "AnalysisStatus",
    "AnalysisType",
    "ExtractionType",
    "FileAnalyzeRequest",
    "MetadataExtractionRequest",
    "TracklistGenerationRequest",
    "TracklistSource",
]


class AnalysisType(StrEnum):
    """A feature the analysis service can compute."""

    BPM = "bpm"
    BEATS = "beats"
    KEY = "key"
    ENERGY = "energy"
    LOUDNESS = "loudness"
    MOOD = "mood"
    GENRE = "genre"


_DEFAULT_TYPES = (AnalysisType.BPM, AnalysisType.KEY, AnalysisType.ENERGY)


class ExtractionType(StrEnum):
    """What a metadata extraction reads."""

    ID3_TAGS = "id3_tags"
    AUDIO_ANALYSIS = "audio_analysis"


class TracklistSource(StrEnum):
    """Where a tracklist for a recording may come from."""

    AUTO = "auto"
    CUE = "cue"
    TEXT = "text"
    M3U = "m3u"
    TRACKLISTS_1001 = "1001tracklists"


class AnalysisStatus(StrEnum):
    """Stage of one recording's analysis, as reported in progress updates."""

    QUEUED = "queued"
    DECODING = "decoding"
    ANALYZING = "analyzing"
    SAVING = "saving"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AnalysisRequest(Contract):
    """Ask for (re)analysis of a recording (``analysis.request``)."""

    MESSAGE_TYPE: ClassVar[str] = "analysis_request"

    recording_id: Uuid
    file_path: NonEmptyPath
    analysis_types: UniqueList[Annotated[AnalysisType, Lax]] = Field(
        default_factory=lambda: list(_DEFAULT_TYPES)
    )
    metadata: JsonObject = Field(default_factory=dict)
    correlation_id: Uuid


class FileAnalyzeRequest(Contract):
    """Analyze the content of a newly cataloged file (``file.analyze``).

    Published by the cataloging service for content it has not seen analyzed before; the
    hashes let the analysis service cache results by content.
    """

    MESSAGE_TYPE: ClassVar[str] = "file_analyze"

    recording_id: Uuid
    file_path: NonEmptyPath
    sha256_hash: Sha256Hex | None = None
    xxh128_hash: Xxh128Hex
    analysis_types: UniqueList[Annotated[AnalysisType, Lax]] = Field(
        default_factory=lambda: list(_DEFAULT_TYPES)
    )
    priority: Priority = 5
    correlation_id: Uuid
    timestamp: Timestamp


class MetadataExtractionRequest(Contract):
    """Ask for a recording's tags and/or audio analysis to be (re)read (``metadata.extract``)."""

    MESSAGE_TYPE: ClassVar[str] = "metadata_extraction"

    recording_id: Uuid
    extraction_types: UniqueList[Annotated[ExtractionType, Lax]]
    correlation_id: Uuid


class TracklistGenerationRequest(Contract):
    """Ask for a tracklist of a recorded mix (``tracklist.generate``)."""

    MESSAGE_TYPE: ClassVar[str] = "tracklist_generation"

    recording_id: Uuid
    source_hint: Annotated[TracklistSource, Lax] = TracklistSource.AUTO
    correlation_id: Uuid


class AnalysisCancellation(Contract):
    """Cancel a recording's pending or running analysis (``analysis.cancel``, priority 8)."""

    MESSAGE_TYPE: ClassVar[str] = "analysis_cancellation"

    recording_id: Uuid
    action: Literal["cancel"] = "cancel"
    correlation_id: Uuid


class AnalysisResults(Part):
    """The features computed for a recording; a feature not computed is ``None``.

    Units: BPM in beats per minute; times in seconds; loudness in LUFS/LU/dBTP/dB.
    ``energy`` is in [0, 1] as on the WebSocket; ``energy_level`` is the DJ's 1-10 scale.
    ``mood`` and ``genre`` map tag names to model probabilities.
    """

    bpm: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None
    bpm_confidence: Probability | None = None
    first_beat_s: NonNegativeFloat | None = None
    key: MusicalKey | None = None
    camelot: Camelot | None = None
    open_key: OpenKey | None = None
    key_confidence: Probability | None = None
    energy: Probability | None = None
    energy_level: Annotated[int, Field(ge=1, le=10)] | None = None
    loudness_lufs: Annotated[float, Field(le=20, allow_inf_nan=False)] | None = None
    loudness_range_lu: NonNegativeFloat | None = None
    true_peak_dbtp: Annotated[float, Field(allow_inf_nan=False)] | None = None
    replaygain_db: Annotated[float, Field(allow_inf_nan=False)] | None = None
    duration_s: NonNegativeFloat | None = None
    mood: dict[str, Probability] | None = None
    genre: dict[str, Probability] | None = None


class AnalysisProgressEvent(Contract):
    """Progress of one recording's analysis (``analysis.progress``), relayed to WebSockets."""

    MESSAGE_TYPE: ClassVar[str] = "analysis_progress"

    recording_id: Uuid
    progress: Probability
    status: Annotated[AnalysisStatus, Lax]
    message: str = ""
    correlation_id: Uuid
    timestamp: Timestamp


class AnalysisCompleteEvent(Contract):
    """A recording's analysis finished (``analysis.complete``)."""

    MESSAGE_TYPE: ClassVar[str] = "analysis_complete"

    recording_id: Uuid
    file_path: NonEmptyPath
    results: AnalysisResults
    algorithm_version: NonEmptyStr
    processing_time_ms: NonNegativeFloat
    correlation_id: Uuid
    timestamp: Timestamp
