"""The values the catalog store takes and returns: frozen dataclasses and string enums.

Identifiers are :class:`uuid.UUID`; timestamps are timezone-aware :class:`datetime` in UTC;
sizes are bytes; ``mtime_ns`` is nanoseconds since the Unix epoch (``os.stat().st_mtime_ns``);
digests are lower-case hexadecimal. JSON values are plain ``dict``/``list``/scalars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, TypeAlias
from uuid import UUID, uuid5

from tracktion.contracts import CueFormat

from . import _checks
from .errors import CatalogInputError

__all__ = [
    "RECORDING_NAMESPACE",
    "AnalysisResult",
    "CueFile",
    "DuplicateGroup",
    "FileMove",
    "FileObservation",
    "FileRecord",
    "FileUpsert",
    "Job",
    "JobStatus",
    "JournalEntry",
    "JournalState",
    "JournalStep",
    "JsonValue",
    "PurgeResult",
    "Recording",
    "RenameProposal",
    "RenameStatus",
    "ScanEntry",
    "Tag",
    "Tracklist",
    "TracklistEntry",
    "TracklistVersion",
    "recording_id_for",
]

JsonValue: TypeAlias = (
    Mapping[str, "JsonValue"] | Sequence["JsonValue"] | str | int | float | bool | None
)
"""A JSON document: mappings with string keys, sequences, strings, finite numbers, booleans,
``None``. Values read back are plain ``dict``/``list``/scalars."""

SHA256_HEX_DIGITS = 64
XXH128_HEX_DIGITS = 32
MAX_PATH_LENGTH = 4096

RECORDING_NAMESPACE = UUID("0b4e1a4c-3f7e-5b0c-9a63-5d1f2c7e8a90")
"""The UUIDv5 namespace of recording ids."""


def recording_id_for(sha256: str) -> UUID:
    """The id of the recording with this content: a UUIDv5 of its SHA-256 (hex, any case).

    Ids derived from content are the same in every deployment and for every watcher, and
    a client can know a recording's id before the file reaches the library (to subscribe
    to its analysis on the WebSocket).
    """
    return uuid5(RECORDING_NAMESPACE, sha256.lower())


class RenameStatus(StrEnum):
    """Where a rename proposal stands.

    ``proposed`` -> ``approved`` | ``rejected``; ``approved`` -> ``applied`` | ``failed`` |
    ``rejected``; ``failed`` -> ``approved`` | ``rejected``; ``rejected`` -> ``approved``.
    ``applied`` is final: undoing a rename is a new proposal.
    """

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"
    FAILED = "failed"


class JournalState(StrEnum):
    """The state of one step of a rename batch: ``planned`` -> ``done`` -> ``undone``, or
    ``planned`` -> ``undone`` for a step abandoned before it ran."""

    PLANNED = "planned"
    DONE = "done"
    UNDONE = "undone"


class JobStatus(StrEnum):
    """The life of a job: ``queued`` -> ``running`` -> ``succeeded`` | ``failed`` |
    ``cancelled``; a queued job may also be cancelled or fail. The last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Whether no further status change is allowed."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


# -- files and recordings -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileObservation:
    """What a watcher or scanner saw at one path: its size, mtime and content digests.

    ``root`` is the library root the path was found under (used by :meth:`scan_state`).
    Digests are normalized to lower case. Raises :class:`CatalogInputError` for a blank
    path or root, a negative size, a malformed digest or a naive ``seen_at``.
    """

    path: str
    root: str
    size_bytes: int
    mtime_ns: int
    sha256: str
    xxh128: str
    seen_at: datetime

    def __post_init__(self) -> None:
        # The dataclass is frozen; normalizing in place is the one sanctioned exception.
        _checks.text(self.path, "path", max_length=MAX_PATH_LENGTH)
        _checks.text(self.root, "root", max_length=MAX_PATH_LENGTH)
        _checks.non_negative(self.size_bytes, "size_bytes")
        if isinstance(self.mtime_ns, bool) or not isinstance(self.mtime_ns, int):
            raise CatalogInputError(f"mtime_ns must be an integer, got {self.mtime_ns!r}")
        object.__setattr__(self, "sha256", _checks.digest(self.sha256, SHA256_HEX_DIGITS, "sha256"))
        object.__setattr__(self, "xxh128", _checks.digest(self.xxh128, XXH128_HEX_DIGITS, "xxh128"))
        object.__setattr__(self, "seen_at", _checks.aware(self.seen_at, "seen_at"))


@dataclass(frozen=True, slots=True)
class Recording:
    """One distinct audio content, identified by its SHA-256; shared by duplicate files."""

    id: UUID
    sha256: str
    xxh128: str
    size_bytes: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file tracked by the catalog. It keeps its ``id`` across moves and content changes;
    ``deleted_at`` is set while it is soft-deleted (a tombstone awaiting purge)."""

    id: UUID
    recording_id: UUID
    path: str
    root: str
    size_bytes: int
    mtime_ns: int
    sha256: str
    xxh128: str
    first_seen_at: datetime
    last_seen_at: datetime
    deleted_at: datetime | None

    @property
    def is_deleted(self) -> bool:
        """Whether the file is soft-deleted."""
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class FileUpsert:
    """What :meth:`upsert_file` did with one observation.

    Attributes:
        file_id: The file row (new, or the one already at the path or moved here).
        recording_id: The recording of the observed content.
        file_created: No file was known at this path (nor moved here): a new row.
        recording_created: The content had never been seen: a new recording.
        content_changed: The path was known with other content; ``previous_recording_id``
            is the recording it had.
        moved_from: The path the file was moved from, when the caller named it with
            ``move_from`` and the same content was known there.
        revived: The path was soft-deleted and is seen again.
        stale: The observation is older than what is stored for the path (a redelivered
            or reordered event) and was ignored; nothing was written.
    """

    file_id: UUID
    recording_id: UUID
    file_created: bool = False
    recording_created: bool = False
    content_changed: bool = False
    previous_recording_id: UUID | None = None
    moved_from: str | None = None
    revived: bool = False
    stale: bool = False


@dataclass(frozen=True, slots=True)
class FileMove:
    """One move of a file, kept as its history."""

    file_id: UUID
    old_path: str
    new_path: str
    moved_at: datetime


class ScanEntry(NamedTuple):
    """What a scanner compares to ``os.stat`` to skip unchanged files without hashing."""

    size_bytes: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """A recording stored at two or more live paths, with those files ordered by path."""

    recording: Recording
    files: tuple[FileRecord, ...]


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What :meth:`purge_deleted` removed for good."""

    files: int
    recordings: int


# -- tags and analysis ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tag:
    """One metadata tag of a recording, as read from one source (``id3``, ``musicbrainz``)."""

    source: str
    key: str
    value: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """The value one algorithm version computed for one feature (``bpm``, ``key``) of a
    recording; ``confidence`` is in [0, 1] when the algorithm gives one."""

    recording_id: UUID
    feature: str
    algorithm_version: str
    value: JsonValue
    confidence: float | None
    computed_at: datetime


# -- tracklists and CUE files --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TracklistEntry:
    """One track of a tracklist version.

    ``position`` is 1-based and unique in its version; ``start_s`` is the offset into the
    mix in seconds; ``recording_id`` is the catalog recording it was matched to, with
    ``match_score`` in [0, 1]; ``estimated`` marks a start time that was guessed rather
    than read from a source. Raises :class:`CatalogInputError` for invalid values.
    """

    position: int
    artist: str
    title: str
    start_s: float | None = None
    mix: str | None = None
    label: str | None = None
    recording_id: UUID | None = None
    match_score: float | None = None
    estimated: bool = False

    def __post_init__(self) -> None:
        _checks.positive(self.position, "position")
        _checks.text(self.artist, "artist")
        _checks.text(self.title, "title")
        object.__setattr__(self, "start_s", _checks.seconds(self.start_s, "start_s"))
        _checks.optional_text(self.mix, "mix")
        _checks.optional_text(self.label, "label")
        object.__setattr__(
            self, "match_score", _checks.optional_probability(self.match_score, "match_score")
        )


@dataclass(frozen=True, slots=True)
class Tracklist:
    """A tracklist: its source and the number of its newest version."""

    id: UUID
    title: str | None
    source: str
    source_url: str | None
    mix_recording_id: UUID | None
    latest_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TracklistVersion:
    """One immutable version of a tracklist, entries ordered by position."""

    tracklist_id: UUID
    version: int
    note: str | None
    created_at: datetime
    entries: tuple[TracklistEntry, ...]


@dataclass(frozen=True, slots=True)
class CueFile:
    """A CUE sheet written for a version of a tracklist in one format."""

    id: UUID
    tracklist_id: UUID
    version: int
    """The tracklist version the sheet renders."""
    format: CueFormat
    path: str
    checksum_sha256: str
    size_bytes: int
    created_at: datetime


# -- renames -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenameProposal:
    """A proposed new path for a file, from a naming template and the fields it used."""

    id: UUID
    file_id: UUID
    recording_id: UUID
    old_path: str
    new_path: str
    template: str
    fields: Mapping[str, JsonValue]
    confidence: float
    reasons: tuple[str, ...]
    status: RenameStatus
    status_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class JournalStep:
    """One planned move of a rename batch (what to append to the journal)."""

    old_path: str
    new_path: str
    proposal_id: UUID | None = None

    def __post_init__(self) -> None:
        _checks.text(self.old_path, "old_path", max_length=MAX_PATH_LENGTH)
        _checks.text(self.new_path, "new_path", max_length=MAX_PATH_LENGTH)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One step of a rename batch as journaled; ``step`` is 0-based within the batch."""

    batch_id: UUID
    step: int
    old_path: str
    new_path: str
    proposal_id: UUID | None
    state: JournalState
    created_at: datetime
    updated_at: datetime


# -- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of background work and its progress (0 to 1)."""

    id: UUID
    type: str
    status: JobStatus
    progress: float
    correlation_id: UUID | None
    payload: Mapping[str, JsonValue]
    message: str | None
    result: JsonValue
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
