"""A SQLite catalog per test, and a helper that adds tagged recordings to it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracktion.core.catalog import CatalogStore, FileObservation, open_catalog


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CatalogStore]:
    catalog = await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    try:
        yield catalog
    finally:
        await catalog.close()


async def add_recording(
    store: CatalogStore,
    artist: str | None,
    title: str | None,
    duration_s: float | None = None,
    *,
    source: str = "file",
) -> uuid.UUID:
    """A recording with a live file, its tags and (when given) its analyzed duration."""
    content = uuid.uuid4().bytes
    result = await store.upsert_file(
        FileObservation(
            path=f"/music/{uuid.uuid4().hex}.flac",
            root="/music",
            size_bytes=len(content),
            mtime_ns=1,
            sha256=hashlib.sha256(content).hexdigest(),
            xxh128=hashlib.blake2b(content, digest_size=16).hexdigest(),
            seen_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
    )
    tags = {key: value for key, value in (("artist", artist), ("title", title)) if value}
    if tags:
        await store.set_tags(result.recording_id, tags, source=source)
    if duration_s is not None:
        await store.save_analysis(result.recording_id, "duration_s", "test-1", duration_s)
    return result.recording_id
