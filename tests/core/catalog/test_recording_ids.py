"""A recording's id follows from its content, in every catalog."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracktion.core.catalog import CatalogStore, FileObservation, recording_id_for

SHA = "ab" * 32


def observation(path: str, sha256: str = SHA) -> FileObservation:
    return FileObservation(
        path=path,
        root="/music",
        size_bytes=10,
        mtime_ns=1,
        sha256=sha256,
        xxh128="cd" * 16,
        seen_at=datetime.now(UTC),
    )


def test_the_id_is_a_stable_function_of_the_content() -> None:
    assert recording_id_for(SHA) == recording_id_for(SHA.upper())
    assert recording_id_for(SHA) != recording_id_for("ef" * 32)
    assert recording_id_for(SHA).version == 5


@pytest.mark.anyio
async def test_new_content_gets_its_derived_id(store: CatalogStore) -> None:
    single = await store.upsert_file(observation("/music/a.flac"))
    [batched] = await store.upsert_files([observation("/music/b.flac", "ef" * 32)])
    assert single.recording_id == recording_id_for(SHA)
    assert batched.recording_id == recording_id_for("ef" * 32)
