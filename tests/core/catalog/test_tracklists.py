"""Versioned tracklists and their CUE files."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tracktion.contracts import CueFormat
from tracktion.core.catalog import (
    CatalogConflictError,
    CatalogInputError,
    CatalogNotFoundError,
    CatalogStore,
    TracklistEntry,
)

from .conftest import Library

pytestmark = pytest.mark.anyio

CHECKSUM = hashlib.sha256(b"FILE").hexdigest()


async def test_tracklists_keep_every_version(store: CatalogStore, library: Library) -> None:
    mix = await store.upsert_file(library.observe("mix.flac", "mix"))
    track = await store.upsert_file(library.observe("track.flac", "track"))
    first_entries = [
        TracklistEntry(2, "B", "Second", start_s=301.5, estimated=True),
        TracklistEntry(
            1,
            "A",
            "First",
            start_s=0,
            mix="Extended Mix",
            label="Label",
            recording_id=track.recording_id,
            match_score=0.87,
        ),
    ]

    tracklist = await store.create_tracklist(
        first_entries,
        source="1001tracklists",
        title="Live at X",
        source_url="https://example.org/tl/1",
        mix_recording_id=mix.recording_id,
        note="imported",
    )

    assert tracklist.latest_version == 1
    assert await store.get_tracklist(tracklist.id) == tracklist
    v1 = await store.get_tracklist_version(tracklist.id)
    assert v1 is not None
    assert v1.version == 1
    assert v1.note == "imported"
    assert [entry.position for entry in v1.entries] == [1, 2]
    assert v1.entries[0] == first_entries[1]
    assert v1.entries[1] == first_entries[0]

    v2 = await store.add_tracklist_version(
        tracklist.id, [TracklistEntry(1, "A", "First (fixed)")], note="corrected"
    )

    assert v2.version == 2
    header = await store.get_tracklist(tracklist.id)
    assert header is not None
    assert header.latest_version == 2
    assert header.updated_at >= tracklist.updated_at
    assert await store.get_tracklist_version(tracklist.id) == v2
    assert await store.get_tracklist_version(tracklist.id, 1) == v1
    assert await store.get_tracklist_version(tracklist.id, 3) is None
    assert await store.get_tracklist_version(uuid.uuid4()) is None
    assert await store.get_tracklist(uuid.uuid4()) is None


async def test_tracklist_input_is_checked(store: CatalogStore) -> None:
    with pytest.raises(CatalogInputError, match="position 1 appears twice"):
        await store.create_tracklist(
            [TracklistEntry(1, "A", "x"), TracklistEntry(1, "B", "y")], source="manual"
        )
    with pytest.raises(CatalogInputError, match="match_score"):
        TracklistEntry(1, "A", "x", match_score=2)
    with pytest.raises(CatalogInputError, match="start_s"):
        TracklistEntry(1, "A", "x", start_s=-1)
    with pytest.raises(CatalogInputError, match="position"):
        TracklistEntry(0, "A", "x")
    with pytest.raises(CatalogNotFoundError):
        await store.add_tracklist_version(uuid.uuid4(), [])
    with pytest.raises(CatalogConflictError):
        await store.create_tracklist(
            [TracklistEntry(1, "A", "x", recording_id=uuid.uuid4())], source="manual"
        )


async def test_cue_files_belong_to_a_tracklist_version(store: CatalogStore) -> None:
    tracklist = await store.create_tracklist([TracklistEntry(1, "A", "x")], source="manual")
    await store.add_tracklist_version(tracklist.id, [TracklistEntry(1, "A", "y")])

    standard = await store.add_cue_file(
        tracklist.id,
        version=1,
        format=CueFormat.STANDARD,
        path="/cues/set.cue",
        checksum_sha256=CHECKSUM.upper(),
        size_bytes=512,
    )
    traktor = await store.add_cue_file(
        tracklist.id,
        version=2,
        format="traktor",
        path="/cues/set-traktor.cue",
        checksum_sha256=CHECKSUM,
        size_bytes=640,
    )

    assert standard.checksum_sha256 == CHECKSUM
    assert traktor.format is CueFormat.TRAKTOR
    assert await store.get_cue_file(standard.id) == standard
    assert await store.get_cue_file(uuid.uuid4()) is None
    assert await store.cue_files_of(tracklist.id) == [standard, traktor]
    with pytest.raises(CatalogInputError, match="unknown CUE format 'winamp'"):
        await store.add_cue_file(
            tracklist.id,
            version=1,
            format="winamp",
            path="/x.cue",
            checksum_sha256=CHECKSUM,
            size_bytes=1,
        )
    with pytest.raises(CatalogConflictError):
        await store.add_cue_file(
            tracklist.id,
            version=3,
            format="cdj",
            path="/x.cue",
            checksum_sha256=CHECKSUM,
            size_bytes=1,
        )
