"""The catalog: recordings, files, tags, analysis, tracklists, CUE files, renames, jobs,
processed messages and the SQL graph.

Revision ID: 0001
Revises:
Create Date: 2025-11-21

A snapshot: it spells out every type and constraint name instead of importing
``schema.py``, so later edits of the models cannot change what this step created.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Stored in UTC; timestamptz on PostgreSQL.
Timestamp = sa.DateTime(timezone=True)

# Parents before children; downgrade drops them in reverse.
TABLES = (
    "recordings",
    "files",
    "file_moves",
    "tags",
    "analysis_results",
    "tracklists",
    "tracklist_versions",
    "tracklist_entries",
    "cue_files",
    "rename_proposals",
    "rename_journal",
    "jobs",
    "processed_messages",
    "graph_recordings",
    "graph_artists",
    "graph_recording_artists",
    "graph_transitions",
)


def upgrade() -> None:
    _files_and_recordings()
    _tags_and_analysis()
    _tracklists_and_cue_files()
    _renames()
    _jobs()
    _graph()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)


def _files_and_recordings() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("xxh128", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("sha256", name=op.f("uq_recordings_sha256")),
    )
    op.create_index(op.f("ix_recordings_xxh128"), "recordings", ["xxh128"])

    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("xxh128", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recordings.id"], name=op.f("fk_files_recording_id_recordings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index(op.f("ix_files_recording_id"), "files", ["recording_id"])
    op.create_index(op.f("ix_files_root"), "files", ["root"])
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "ix_files_live_path",
        "files",
        ["path"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    deleted = sa.text("deleted_at IS NOT NULL")
    op.create_index(
        "ix_files_deleted_path", "files", ["path"], sqlite_where=deleted, postgresql_where=deleted
    )

    op.create_table(
        "file_moves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("old_path", sa.Text(), nullable=False),
        sa.Column("new_path", sa.Text(), nullable=False),
        sa.Column("moved_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_file_moves_file_id_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_moves")),
    )
    op.create_index(op.f("ix_file_moves_file_id"), "file_moves", ["file_id"])


def _tags_and_analysis() -> None:
    op.create_table(
        "tags",
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_tags_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recording_id", "source", "key", name=op.f("pk_tags")),
    )

    op.create_table(
        "analysis_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("feature", sa.String(length=64), nullable=False),
        sa.Column("algorithm_version", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("computed_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
            name=op.f("ck_analysis_results_confidence_range"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_analysis_results_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_results")),
        sa.UniqueConstraint(
            "recording_id",
            "feature",
            "algorithm_version",
            name=op.f("uq_analysis_results_recording_id_feature_algorithm_version"),
        ),
    )


def _tracklists_and_cue_files() -> None:
    op.create_table(
        "tracklists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("mix_recording_id", sa.Uuid(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["mix_recording_id"],
            ["recordings.id"],
            name=op.f("fk_tracklists_mix_recording_id_recordings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracklists")),
    )
    op.create_index(op.f("ix_tracklists_mix_recording_id"), "tracklists", ["mix_recording_id"])

    op.create_table(
        "tracklist_versions",
        sa.Column("tracklist_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["tracklist_id"],
            ["tracklists.id"],
            name=op.f("fk_tracklist_versions_tracklist_id_tracklists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tracklist_id", "version", name=op.f("pk_tracklist_versions")),
    )

    op.create_table(
        "tracklist_entries",
        sa.Column("tracklist_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.Column("artist", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("mix", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("recording_id", sa.Uuid(), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "match_score IS NULL OR (match_score >= 0 AND match_score <= 1)",
            name=op.f("ck_tracklist_entries_match_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_tracklist_entries_recording_id_recordings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tracklist_id", "version"],
            ["tracklist_versions.tracklist_id", "tracklist_versions.version"],
            name=op.f("fk_tracklist_entries_tracklist_id_version_tracklist_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tracklist_id", "version", "position", name=op.f("pk_tracklist_entries")
        ),
    )
    op.create_index(
        op.f("ix_tracklist_entries_recording_id"), "tracklist_entries", ["recording_id"]
    )

    op.create_table(
        "cue_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tracklist_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["tracklist_id", "version"],
            ["tracklist_versions.tracklist_id", "tracklist_versions.version"],
            name=op.f("fk_cue_files_tracklist_id_version_tracklist_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cue_files")),
    )
    op.create_index(
        op.f("ix_cue_files_tracklist_id_version"), "cue_files", ["tracklist_id", "version"]
    )


def _renames() -> None:
    op.create_table(
        "rename_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("old_path", sa.Text(), nullable=False),
        sa.Column("new_path", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected', 'applied', 'failed')",
            name=op.f("ck_rename_proposals_status"),
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1",
            name=op.f("ck_rename_proposals_confidence_range"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_rename_proposals_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_rename_proposals_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rename_proposals")),
    )
    op.create_index(op.f("ix_rename_proposals_file_id"), "rename_proposals", ["file_id"])
    op.create_index(op.f("ix_rename_proposals_recording_id"), "rename_proposals", ["recording_id"])
    op.create_index(
        op.f("ix_rename_proposals_status_created_at"),
        "rename_proposals",
        ["status", "created_at"],
    )

    op.create_table(
        "rename_journal",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("old_path", sa.Text(), nullable=False),
        sa.Column("new_path", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "state IN ('planned', 'done', 'undone')", name=op.f("ck_rename_journal_state")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["rename_proposals.id"],
            name=op.f("fk_rename_journal_proposal_id_rename_proposals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("batch_id", "step", name=op.f("pk_rename_journal")),
    )
    op.create_index(op.f("ix_rename_journal_proposal_id"), "rename_journal", ["proposal_id"])
    op.create_index(op.f("ix_rename_journal_state"), "rename_journal", ["state"])


def _jobs() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("started_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_jobs_status"),
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name=op.f("ck_jobs_progress_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_correlation_id"), "jobs", ["correlation_id"])
    op.create_index(op.f("ix_jobs_status_created_at"), "jobs", ["status", "created_at"])

    op.create_table(
        "processed_messages",
        sa.Column("consumer", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("processed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id", name=op.f("pk_processed_messages")),
    )
    op.create_index(
        op.f("ix_processed_messages_processed_at"), "processed_messages", ["processed_at"]
    )


def _graph() -> None:
    op.create_table(
        "graph_recordings",
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("bpm", sa.Float(), nullable=True),
        sa.Column("camelot", sa.String(length=3), nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("recording_id", name=op.f("pk_graph_recordings")),
    )
    op.create_index(op.f("ix_graph_recordings_bpm"), "graph_recordings", ["bpm"])
    op.create_index(op.f("ix_graph_recordings_camelot"), "graph_recordings", ["camelot"])

    op.create_table(
        "graph_artists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_artists")),
        sa.UniqueConstraint("name_key", name=op.f("uq_graph_artists_name_key")),
    )

    op.create_table(
        "graph_recording_artists",
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["graph_artists.id"],
            name=op.f("fk_graph_recording_artists_artist_id_graph_artists"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["graph_recordings.recording_id"],
            name=op.f("fk_graph_recording_artists_recording_id_graph_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recording_id", "artist_id", name=op.f("pk_graph_recording_artists")
        ),
    )

    op.create_table(
        "graph_transitions",
        sa.Column("tracklist_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("from_recording", sa.Uuid(), nullable=False),
        sa.Column("to_recording", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_recording"],
            ["graph_recordings.recording_id"],
            name=op.f("fk_graph_transitions_from_recording_graph_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["to_recording"],
            ["graph_recordings.recording_id"],
            name=op.f("fk_graph_transitions_to_recording_graph_recordings"),
        ),
        sa.PrimaryKeyConstraint("tracklist_id", "position", name=op.f("pk_graph_transitions")),
    )
    op.create_index(
        op.f("ix_graph_transitions_from_recording"), "graph_transitions", ["from_recording"]
    )
