"""Response bodies of the HTTP API (they make the published OpenAPI document)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tracktion.core.catalog import (
    AnalysisResult,
    CueFile,
    FileRecord,
    Job,
    RecordingSummary,
    RenameProposal,
    Tag,
    Tracklist,
    TracklistVersion,
)
from tracktion.core.tracklists import EntryMatch, format_time
from tracktion.core.tracklists import Tracklist as EntryList

__all__ = [
    "AnalysisSummary",
    "CandidateOut",
    "CueBatchAccepted",
    "CueBatchItemAccepted",
    "CueFileOut",
    "EntryCandidatesOut",
    "FeatureOut",
    "FileOut",
    "HealthOut",
    "JobAccepted",
    "JobOut",
    "JobPage",
    "ProposalOut",
    "ProposalPage",
    "ReadyOut",
    "RecordingDetail",
    "RecordingItem",
    "RecordingPageOut",
    "TagOut",
    "TracklistDetail",
    "TracklistEntryOut",
    "TracklistImported",
    "TracklistOut",
    "TracklistVersionOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class FileOut(_Out):
    """A live file holding the recording."""

    id: UUID
    path: str
    size_bytes: int
    first_seen_at: datetime
    last_seen_at: datetime

    @classmethod
    def of(cls, record: FileRecord) -> FileOut:
        return cls(
            id=record.id,
            path=record.path,
            size_bytes=record.size_bytes,
            first_seen_at=record.first_seen_at,
            last_seen_at=record.last_seen_at,
        )


class AnalysisSummary(_Out):
    """The main features: BPM, key (standard and Camelot) and energy in [0, 1]; ``None``
    when not analyzed."""

    bpm: float | None = None
    key: str | None = None
    camelot: str | None = None
    energy: float | None = None

    @classmethod
    def of(cls, analysis: Mapping[str, AnalysisResult]) -> AnalysisSummary:
        def number(feature: str) -> float | None:
            found = analysis.get(feature)
            value = None if found is None else found.value
            return (
                float(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None
            )

        def text(feature: str) -> str | None:
            found = analysis.get(feature)
            return found.value if found is not None and isinstance(found.value, str) else None

        return cls(
            bpm=number("bpm"), key=text("key"), camelot=text("camelot"), energy=number("energy")
        )


class FeatureOut(_Out):
    """The latest result of one feature."""

    feature: str
    value: Any
    confidence: float | None
    algorithm_version: str
    computed_at: datetime

    @classmethod
    def of(cls, result: AnalysisResult) -> FeatureOut:
        return cls(
            feature=result.feature,
            value=result.value,
            confidence=result.confidence,
            algorithm_version=result.algorithm_version,
            computed_at=result.computed_at,
        )


class RecordingItem(_Out):
    """A recording in a list: its files and main features."""

    id: UUID
    sha256: str
    size_bytes: int
    created_at: datetime
    files: list[FileOut]
    analysis: AnalysisSummary

    @classmethod
    def of(cls, summary: RecordingSummary) -> RecordingItem:
        recording = summary.recording
        return cls(
            id=recording.id,
            sha256=recording.sha256,
            size_bytes=recording.size_bytes,
            created_at=recording.created_at,
            files=[FileOut.of(f) for f in summary.files],
            analysis=AnalysisSummary.of(summary.analysis),
        )


class RecordingPageOut(_Out):
    """A page of recordings: ``total`` matches, ``items`` from ``offset``."""

    items: list[RecordingItem]
    total: int
    limit: int
    offset: int


class TagOut(_Out):
    """A tag as read from one source."""

    source: str
    key: str
    value: str
    updated_at: datetime

    @classmethod
    def of(cls, tag: Tag) -> TagOut:
        return cls(source=tag.source, key=tag.key, value=tag.value, updated_at=tag.updated_at)


class TracklistOut(_Out):
    """A tracklist header."""

    id: UUID
    title: str | None
    source: str
    source_url: str | None
    mix_recording_id: UUID | None
    latest_version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tracklist: Tracklist) -> TracklistOut:
        return cls(
            id=tracklist.id,
            title=tracklist.title,
            source=tracklist.source,
            source_url=tracklist.source_url,
            mix_recording_id=tracklist.mix_recording_id,
            latest_version=tracklist.latest_version,
            created_at=tracklist.created_at,
            updated_at=tracklist.updated_at,
        )


class TracklistEntryOut(_Out):
    """One track of a mix: times in seconds from the start of the mix."""

    position: int = Field(description="1-based play order.")
    artist: str
    title: str
    mix: str | None
    label: str | None
    start_s: float | None = Field(description="Start in seconds; null when unknown.")
    start: str | None = Field(description="The start as mm:ss or h:mm:ss.")
    played_with_previous: bool
    estimated: bool = Field(description="start_s was estimated from durations, not read.")
    recording_id: UUID | None = Field(description="The catalog recording it matched.")
    match_score: float | None = Field(description="How well it matched, in [0, 1].")


class CueFileOut(_Out):
    """A CUE sheet written from one version of a tracklist."""

    id: UUID
    tracklist_id: UUID
    version: int = Field(description="The tracklist version the sheet renders.")
    format: str
    file_name: str
    path: str
    size_bytes: int
    checksum_sha256: str
    created_at: datetime
    download_url: str

    @classmethod
    def of(cls, cue: CueFile) -> CueFileOut:
        return cls(
            id=cue.id,
            tracklist_id=cue.tracklist_id,
            version=cue.version,
            format=cue.format.value,
            file_name=cue.path.replace("\\", "/").rsplit("/", 1)[-1],
            path=cue.path,
            size_bytes=cue.size_bytes,
            checksum_sha256=cue.checksum_sha256,
            created_at=cue.created_at,
            download_url=f"/v1/cue-files/{cue.id}/download",
        )


class TracklistDetail(TracklistOut):
    """One version of a tracklist with its entries, and every CUE file of the tracklist."""

    version: int
    version_note: str | None
    version_created_at: datetime
    fully_timed: bool = Field(description="Whether every entry has a start time.")
    entries: list[TracklistEntryOut]
    cue_files: list[CueFileOut]

    @classmethod
    def of_version(
        cls,
        header: Tracklist,
        version: TracklistVersion,
        entries: EntryList,
        cue_files: list[CueFile],
    ) -> TracklistDetail:
        return cls(
            **TracklistOut.of(header).model_dump(),
            version=version.version,
            version_note=version.note,
            version_created_at=version.created_at,
            fully_timed=entries.is_fully_timed,
            entries=[
                TracklistEntryOut(
                    position=position,
                    artist=entry.artist,
                    title=entry.title,
                    mix=entry.mix,
                    label=entry.label,
                    start_s=entry.start_s,
                    start=None if entry.start_s is None else format_time(entry.start_s),
                    played_with_previous=entry.played_with_previous,
                    estimated=entry.estimated,
                    recording_id=entry.recording_id,
                    match_score=entry.match_score,
                )
                for position, entry in enumerate(entries.entries, start=1)
            ],
            cue_files=[CueFileOut.of(cue) for cue in cue_files],
        )


class TracklistVersionOut(_Out):
    """One stored version of a tracklist."""

    version: int
    note: str | None
    created_at: datetime
    entries: int = Field(description="How many entries the version holds.")

    @classmethod
    def of(cls, version: TracklistVersion) -> TracklistVersionOut:
        return cls(
            version=version.version,
            note=version.note,
            created_at=version.created_at,
            entries=len(version.entries),
        )


class CandidateOut(_Out):
    """A catalog recording an entry may be, with its score in [0, 1]."""

    recording_id: UUID
    artist: str
    title: str
    score: float


class EntryCandidatesOut(_Out):
    """The best candidates of one entry, best first."""

    position: int
    candidates: list[CandidateOut]

    @classmethod
    def of(cls, match: EntryMatch) -> EntryCandidatesOut:
        return cls(
            position=match.index + 1,
            candidates=[
                CandidateOut(
                    recording_id=scored.candidate.id,
                    artist=scored.candidate.artist,
                    title=scored.candidate.title,
                    score=scored.score,
                )
                for scored in match.candidates
            ],
        )


class TracklistImported(TracklistDetail):
    """An imported tracklist (version 1), how many entries matched, what the importer
    skipped or doubted, and every entry's candidates."""

    matched: int
    warnings: list[str]
    candidates: list[EntryCandidatesOut]


class ProposalOut(_Out):
    """A rename proposal."""

    id: UUID
    file_id: UUID
    recording_id: UUID
    old_path: str
    new_path: str
    template: str
    fields: dict[str, Any]
    confidence: float
    reasons: list[str]
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, proposal: RenameProposal) -> ProposalOut:
        return cls(
            id=proposal.id,
            file_id=proposal.file_id,
            recording_id=proposal.recording_id,
            old_path=proposal.old_path,
            new_path=proposal.new_path,
            template=proposal.template,
            fields=dict(proposal.fields),
            confidence=proposal.confidence,
            reasons=list(proposal.reasons),
            status=proposal.status.value,
            status_reason=proposal.status_reason,
            created_at=proposal.created_at,
            updated_at=proposal.updated_at,
        )


class ProposalPage(_Out):
    """A page of rename proposals."""

    items: list[ProposalOut]
    limit: int
    offset: int


class RecordingDetail(RecordingItem):
    """One recording with everything the catalog holds about it."""

    tags: list[TagOut]
    features: dict[str, FeatureOut]
    tracklists: list[TracklistOut]
    rename_proposals: list[ProposalOut]


class JobOut(_Out):
    """A long-running job and its progress in [0, 1]."""

    id: UUID
    type: str
    status: str
    progress: float
    message: str | None
    error: str | None
    result: Any
    payload: dict[str, Any]
    correlation_id: UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            type=job.type,
            status=job.status.value,
            progress=job.progress,
            message=job.message,
            error=job.error,
            result=job.result,
            payload=dict(job.payload),
            correlation_id=job.correlation_id,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobPage(_Out):
    """A page of jobs, oldest first."""

    items: list[JobOut]
    limit: int
    offset: int


class JobAccepted(_Out):
    """A request accepted for background work: follow it at ``/v1/jobs/{job_id}``."""

    job_id: UUID
    status: str = "queued"
    status_url: str
    message_id: str = Field(description="The bus message id of the request.")


class CueBatchItemAccepted(_Out):
    """One tracklist of an accepted batch: its own job and the request published for it."""

    tracklist_id: UUID
    job_id: UUID = Field(description="The tracklist's job (the request's batch_job_id).")
    message_id: str = Field(description="The bus message id of the tracklist's request.")


class CueBatchAccepted(_Out):
    """A batch accepted: follow it at ``/v1/jobs/{job_id}``; its result lists every
    tracklist's outcome once all are done."""

    job_id: UUID
    status: str = "queued"
    status_url: str
    items: list[CueBatchItemAccepted]


class HealthOut(_Out):
    """The process is up."""

    status: str
    version: str


class ReadyOut(_Out):
    """Each backend's check: ``ok`` or the error that failed it."""

    status: str
    checks: dict[str, str]
