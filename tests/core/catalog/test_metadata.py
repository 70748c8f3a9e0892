"""Tags per source and analysis results per algorithm version."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import pytest

from tracktion.core.catalog import CatalogConflictError, CatalogInputError, CatalogStore

from .conftest import Library

pytestmark = pytest.mark.anyio


async def test_tags_are_replaced_per_source(store: CatalogStore, library: Library) -> None:
    recording_id = (await store.upsert_file(library.observe("a.flac", "A"))).recording_id

    stored = await store.set_tags(recording_id, {"title": "Café", "artist": "Ø"}, "id3")
    await store.set_tags(recording_id, {"genre": "techno"}, "user")
    await store.set_tags(recording_id, {"artist": "Ø", "bpm": ""}, "id3")

    assert [(tag.key, tag.value) for tag in stored] == [("artist", "Ø"), ("title", "Café")]
    tags = await store.get_tags(recording_id)
    assert [(tag.source, tag.key, tag.value) for tag in tags] == [
        ("id3", "artist", "Ø"),
        ("id3", "bpm", ""),
        ("user", "genre", "techno"),
    ]
    assert [tag.key for tag in await store.get_tags(recording_id, source="user")] == ["genre"]
    await store.set_tags(recording_id, {}, "user")
    assert await store.get_tags(recording_id, source="user") == []


async def test_tags_need_an_existing_recording_and_clean_text(store: CatalogStore) -> None:
    with pytest.raises(CatalogConflictError):
        await store.set_tags(uuid.uuid4(), {"artist": "x"}, "id3")
    with pytest.raises(CatalogInputError, match="NUL"):
        await store.set_tags(uuid.uuid4(), {"artist": "a\x00b"}, "id3")
    with pytest.raises(CatalogInputError, match="source"):
        await store.set_tags(uuid.uuid4(), {"artist": "x"}, "")


async def test_analysis_is_kept_per_version_and_the_latest_wins(
    store: CatalogStore, library: Library
) -> None:
    recording_id = (await store.upsert_file(library.observe("a.flac", "A"))).recording_id
    first = library.tick()
    grid = {"beats": [0.0, 0.469, 0.938], "downbeat": 0, "meta": {"ok": True, "note": None}}

    await store.save_analysis(recording_id, "bpm", "v1", 127.9, 0.8, computed_at=first)
    await store.save_analysis(recording_id, "key", "v1", "A minor", 0.6, computed_at=first)
    await store.save_analysis(recording_id, "grid", "v1", grid, computed_at=first)
    newer = await store.save_analysis(
        recording_id, "bpm", "v2", 128.0, 0.95, computed_at=first + timedelta(hours=1)
    )

    latest = await store.get_analysis(recording_id)
    assert list(latest) == ["bpm", "grid", "key"]
    assert latest["bpm"] == newer
    assert latest["bpm"].algorithm_version == "v2"
    assert latest["bpm"].confidence == 0.95
    assert latest["grid"].value == grid
    assert latest["grid"].confidence is None
    assert list(await store.get_analysis(recording_id, "key")) == ["key"]
    assert await store.has_analysis(recording_id, "v1")
    assert await store.has_analysis(recording_id, "v2", feature="bpm")
    assert not await store.has_analysis(recording_id, "v2", feature="key")
    assert not await store.has_analysis(recording_id, "v3")

    # Re-running a version replaces its result, and becomes the latest.
    again = await store.save_analysis(
        recording_id, "bpm", "v1", 126.5, 0.7, computed_at=first + timedelta(hours=2)
    )
    assert (await store.get_analysis(recording_id, "bpm"))["bpm"] == again


async def test_analysis_values_are_checked(store: CatalogStore, library: Library) -> None:
    recording_id = (await store.upsert_file(library.observe("a.flac", "A"))).recording_id

    with pytest.raises(CatalogInputError, match=r"confidence must be in \[0, 1\]"):
        await store.save_analysis(recording_id, "bpm", "v1", 120, 1.5)
    with pytest.raises(CatalogInputError, match="JSON cannot hold"):
        await store.save_analysis(recording_id, "bpm", "v1", {"bpm": math.nan})
    with pytest.raises(CatalogInputError, match="not JSON"):
        await store.save_analysis(recording_id, "bpm", "v1", {"at": object()})
    with pytest.raises(CatalogInputError, match="non-string key"):
        await store.save_analysis(recording_id, "bpm", "v1", {1: "x"})
    with pytest.raises(CatalogConflictError):
        await store.save_analysis(uuid.uuid4(), "bpm", "v1", 120)
    assert await store.get_analysis(recording_id) == {}


async def test_recordings_without_analysis_is_the_backlog(
    store: CatalogStore, library: Library
) -> None:
    version = f"backlog-{uuid.uuid4().hex}"
    done = await store.upsert_file(library.observe("done.flac", "done"))
    todo = await store.upsert_file(library.observe("todo.flac", "todo"))
    gone = await store.upsert_file(library.observe("gone.flac", "gone"))
    await store.mark_deleted(library.path("gone.flac"), library.tick())
    await store.save_analysis(done.recording_id, "bpm", version, 120)

    backlog = {
        recording.id for recording in await store.recordings_without_analysis(version, limit=10_000)
    }

    assert todo.recording_id in backlog
    assert done.recording_id not in backlog
    assert gone.recording_id not in backlog
