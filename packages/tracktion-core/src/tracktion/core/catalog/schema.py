"""Tables of the catalog database, as SQLAlchemy Core tables on one :data:`metadata`.

The types are portable between SQLite and PostgreSQL: ``Uuid`` (native ``uuid`` on
PostgreSQL, 32 hex characters on SQLite), ``JSON``, ``BigInteger`` for sizes and
nanosecond mtimes, and :class:`UTCDateTime` (``timestamptz`` on PostgreSQL; on SQLite an
ISO string in UTC). Statuses are strings guarded by ``CHECK`` constraints rather than
native enums, so a new status is a constraint change, not a type migration.

One difference shows through: SQLite gives a ``JSON`` column numeric affinity, so a JSON
document that is a bare number is stored as a number, and ``128.0`` reads back as ``128``
(equal, but an ``int``); objects, arrays and strings read back exactly as written.

Every constraint and index is named through :data:`NAMING_CONVENTION`, so the migrations
can refer to them on both dialects. ``migrations/versions`` must describe exactly these
tables; a test compares the two with Alembic's autogenerate.

Entities::

    recordings 1--* files 1--* file_moves           content vs. where it lives, and moves
    recordings 1--* tags, analysis_results           per source / per algorithm version
    tracklists 1--* tracklist_versions 1--* tracklist_entries, cue_files
    files 1--* rename_proposals 1--* rename_journal (batch_id, step)
    jobs, processed_messages                         work tracking, consumer idempotency
    graph_*                                          the SQL graph (owned by tracktion.core.graph)
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

from .records import JobStatus, JournalState, RenameStatus

__all__ = [
    "NAMING_CONVENTION",
    "UTCDateTime",
    "analysis_results",
    "cue_files",
    "file_moves",
    "files",
    "graph_artists",
    "graph_recording_artists",
    "graph_recordings",
    "graph_transitions",
    "jobs",
    "metadata",
    "processed_messages",
    "recordings",
    "rename_journal",
    "rename_proposals",
    "tags",
    "tracklist_entries",
    "tracklist_versions",
    "tracklists",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""The one ``MetaData`` of the catalog: every table below, and the migrations' target."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC and read back with ``tzinfo=UTC``.

    SQLite has no time zones: SQLAlchemy stores its datetimes as text without an offset,
    so values are converted to UTC before they are written and marked UTC when read.
    Naive datetimes are refused (``ValueError``) rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def _in_unit_interval(column: str, *, nullable: bool) -> CheckConstraint:
    condition = f"{column} >= 0 AND {column} <= 1"
    if nullable:
        condition = f"{column} IS NULL OR ({condition})"
    return CheckConstraint(condition, name=f"{column}_range")


# -- files and recordings -------------------------------------------------------------------

recordings = Table(
    "recordings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("xxh128", String(32), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("sha256"),
    Index(None, "xxh128"),
)

files = Table(
    "files",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("recording_id", Uuid, ForeignKey("recordings.id"), nullable=False, index=True),
    Column("path", Text, nullable=False),
    Column("root", Text, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("xxh128", String(32), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
    Index(None, "root"),
)
# A path holds at most one live file; tombstones (soft-deleted rows) may share a path with
# each other and with the live file that replaced them, until retention purges them. Two
# partial indexes keep each lookup indexed and each row in exactly one of them.
Index(
    "ix_files_live_path",
    files.c.path,
    unique=True,
    sqlite_where=files.c.deleted_at.is_(None),
    postgresql_where=files.c.deleted_at.is_(None),
)
Index(
    "ix_files_deleted_path",
    files.c.path,
    sqlite_where=files.c.deleted_at.is_not(None),
    postgresql_where=files.c.deleted_at.is_not(None),
)

file_moves = Table(
    "file_moves",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("file_id", Uuid, ForeignKey("files.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("old_path", Text, nullable=False),
    Column("new_path", Text, nullable=False),
    Column("moved_at", UTCDateTime, nullable=False),
)

# -- tags and analysis ---------------------------------------------------------------------

tags = Table(
    "tags",
    metadata,
    Column("recording_id", Uuid, ForeignKey("recordings.id", ondelete="CASCADE")),
    Column("source", String(64)),
    Column("key", String(255)),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("recording_id", "source", "key"),
)

analysis_results = Table(
    "analysis_results",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("recording_id", Uuid, ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
    Column("feature", String(64), nullable=False),
    Column("algorithm_version", String(64), nullable=False),
    Column("value", JSON, nullable=False),
    Column("confidence", Float, nullable=True),
    Column("computed_at", UTCDateTime, nullable=False),
    UniqueConstraint("recording_id", "feature", "algorithm_version"),
    _in_unit_interval("confidence", nullable=True),
)

# -- tracklists and CUE files --------------------------------------------------------------

tracklists = Table(
    "tracklists",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("title", Text, nullable=True),
    Column("source", String(64), nullable=False),
    Column("source_url", Text, nullable=True),
    Column(
        "mix_recording_id",
        Uuid,
        ForeignKey("recordings.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("latest_version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

tracklist_versions = Table(
    "tracklist_versions",
    metadata,
    Column("tracklist_id", Uuid, ForeignKey("tracklists.id", ondelete="CASCADE")),
    Column("version", Integer),
    Column("note", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tracklist_id", "version"),
)

tracklist_entries = Table(
    "tracklist_entries",
    metadata,
    Column("tracklist_id", Uuid),
    Column("version", Integer),
    Column("position", Integer),
    Column("start_s", Float, nullable=True),
    Column("artist", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("mix", Text, nullable=True),
    Column("label", Text, nullable=True),
    Column(
        "recording_id",
        Uuid,
        ForeignKey("recordings.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("match_score", Float, nullable=True),
    Column("estimated", Boolean, nullable=False),
    PrimaryKeyConstraint("tracklist_id", "version", "position"),
    ForeignKeyConstraint(
        ["tracklist_id", "version"],
        ["tracklist_versions.tracklist_id", "tracklist_versions.version"],
        ondelete="CASCADE",
    ),
    _in_unit_interval("match_score", nullable=True),
)

cue_files = Table(
    "cue_files",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tracklist_id", Uuid, nullable=False),
    Column("version", Integer, nullable=False),
    Column("format", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("checksum_sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["tracklist_id", "version"],
        ["tracklist_versions.tracklist_id", "tracklist_versions.version"],
        ondelete="CASCADE",
    ),
    Index(None, "tracklist_id", "version"),
)

# -- renames -------------------------------------------------------------------------------

rename_proposals = Table(
    "rename_proposals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("file_id", Uuid, ForeignKey("files.id", ondelete="CASCADE"), nullable=False, index=True),
    Column(
        "recording_id",
        Uuid,
        ForeignKey("recordings.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("old_path", Text, nullable=False),
    Column("new_path", Text, nullable=False),
    Column("template", Text, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    _one_of("status", RenameStatus),
    _in_unit_interval("confidence", nullable=False),
    Index(None, "status", "created_at"),
)

rename_journal = Table(
    "rename_journal",
    metadata,
    Column("batch_id", Uuid),
    Column("step", Integer),
    Column(
        "proposal_id",
        Uuid,
        ForeignKey("rename_proposals.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("old_path", Text, nullable=False),
    Column("new_path", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("batch_id", "step"),
    _one_of("state", JournalState),
    Index(None, "state"),
)

# -- jobs and consumer idempotency ---------------------------------------------------------

jobs = Table(
    "jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("correlation_id", Uuid, nullable=True, index=True),
    Column("payload", JSON, nullable=False),
    Column("message", Text, nullable=True),
    Column("result", JSON(none_as_null=True), nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    _one_of("status", JobStatus),
    _in_unit_interval("progress", nullable=False),
    Index(None, "status", "created_at"),
)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(255)),
    Column("message_id", String(255)),
    Column("processed_at", UTCDateTime, nullable=False, index=True),
    PrimaryKeyConstraint("consumer", "message_id"),
)

# -- the SQL graph (queried by tracktion.core.graph; defined here so one migration owns it) --

graph_recordings = Table(
    "graph_recordings",
    metadata,
    Column("recording_id", Uuid, primary_key=True),
    Column("title", Text, nullable=True),
    Column("bpm", Float, nullable=True, index=True),
    Column("camelot", String(3), nullable=True, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

graph_artists = Table(
    "graph_artists",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    # The casefolded, whitespace-collapsed name: one artist however it is spelled.
    Column("name_key", Text, nullable=False),
    UniqueConstraint("name_key"),
)

graph_recording_artists = Table(
    "graph_recording_artists",
    metadata,
    Column("recording_id", Uuid, ForeignKey("graph_recordings.recording_id", ondelete="CASCADE")),
    Column("artist_id", Uuid, ForeignKey("graph_artists.id")),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("recording_id", "artist_id"),
)

graph_transitions = Table(
    "graph_transitions",
    metadata,
    Column("tracklist_id", Uuid),
    Column("position", Integer),
    Column(
        "from_recording",
        Uuid,
        ForeignKey("graph_recordings.recording_id"),
        nullable=False,
        index=True,
    ),
    Column("to_recording", Uuid, ForeignKey("graph_recordings.recording_id"), nullable=False),
    PrimaryKeyConstraint("tracklist_id", "position"),
)
