"""Tracklists stored as catalog versions, edits with history, candidates from the catalog."""

from __future__ import annotations

import uuid

import pytest

from tracktion.core.catalog import CatalogStore
from tracktion.core.tracklists import (
    RecordingCandidate,
    TrackEntry,
    Tracklist,
    TracklistEditError,
    TracklistError,
    check_times,
    edit_tracklist,
    insert_entry,
    load_candidates,
    load_tracklist,
    match_tracklist,
    parse_text,
    remove_entry,
    retime_entry,
    save_tracklist,
    shift_times,
)

from .conftest import add_recording

pytestmark = pytest.mark.anyio

SET = """\
[00:00] Daft Punk - One More Time (Extended Mix) [Virgin]
[03:30] ID - ID
w/ Artist B - Vocal
[07:00] Moby - Porcelain
"""


async def test_a_tracklist_round_trips_through_the_catalog(store: CatalogStore) -> None:
    tracklist = parse_text(SET, source="set.txt").tracklist
    async with store.transaction() as tx:
        stored = await save_tracklist(tx, tracklist)
    assert stored.version == 1
    async with store.transaction() as tx:
        loaded = await load_tracklist(tx, stored.id)
    assert loaded.tracklist.entries == tracklist.entries
    assert loaded.tracklist.entries[2].played_with_previous
    assert (loaded.tracklist.source, loaded.tracklist.source_url) == ("text", "set.txt")


async def test_edits_add_versions_and_keep_the_history(store: CatalogStore) -> None:
    async with store.transaction() as tx:
        stored = await save_tracklist(tx, parse_text(SET).tracklist)
    async with store.transaction() as tx:
        shifted = await edit_tracklist(
            tx, stored.id, lambda t: shift_times(t, 15.0), note="mix starts 15 s in"
        )
        retimed = await edit_tracklist(
            tx, stored.id, lambda t: retime_entry(t, 2, 200.0), note="retimed the ID"
        )
    assert (shifted.version, retimed.version) == (2, 3)
    async with store.transaction() as tx:
        v1 = await load_tracklist(tx, stored.id, 1)
        v2 = await load_tracklist(tx, stored.id, 2)
        latest = await load_tracklist(tx, stored.id)
        version = await tx.get_tracklist_version(stored.id, 3)
    assert [e.start_s for e in v1.tracklist.entries] == [0.0, 210.0, 210.0, 420.0]
    assert [e.start_s for e in v2.tracklist.entries] == [15.0, 225.0, 225.0, 435.0]
    assert latest.version == 3
    assert [e.start_s for e in latest.tracklist.entries] == [15.0, 200.0, 200.0, 435.0]
    assert version is not None
    assert version.note == "retimed the ID"


async def test_a_bad_edit_adds_no_version(store: CatalogStore) -> None:
    async with store.transaction() as tx:
        stored = await save_tracklist(tx, parse_text(SET).tracklist)
    with pytest.raises(TracklistEditError, match="track 1 to -5 s"):
        async with store.transaction() as tx:
            await edit_tracklist(tx, stored.id, lambda t: shift_times(t, -5.0), note="x")
    header = await store.get_tracklist(stored.id)
    assert header is not None
    assert header.latest_version == 1
    async with store.transaction() as tx:
        with pytest.raises(TracklistError, match="no tracklist"):
            await load_tracklist(tx, uuid.uuid4())
        with pytest.raises(TracklistError, match="version 9"):
            await load_tracklist(tx, stored.id, 9)


def test_insert_remove_and_retime_check_positions_and_order() -> None:
    tracklist = parse_text(SET).tracklist
    inserted = insert_entry(tracklist, 2, TrackEntry("New", "Track", 100.0))
    assert [e.artist for e in inserted.entries] == ["Daft Punk", "New", "ID", "Artist B", "Moby"]
    with pytest.raises(TracklistEditError, match="would start after the next"):
        insert_entry(tracklist, 2, TrackEntry("Late", "Track", 300.0))
    with pytest.raises(TracklistEditError, match=r"outside 1\.\.5"):
        insert_entry(tracklist, 6, TrackEntry("X", "Y"))
    removed = remove_entry(tracklist, 2)
    # The track played with the removed one stands on its own now.
    assert [(e.artist, e.played_with_previous) for e in removed.entries] == [
        ("Daft Punk", False),
        ("Artist B", False),
        ("Moby", False),
    ]
    with pytest.raises(TracklistEditError, match="played with track 2"):
        retime_entry(tracklist, 3, 100.0)
    with pytest.raises(TracklistEditError, match="before track 1"):
        retime_entry(shift_times(tracklist, 60.0), 2, 30.0)
    with pytest.raises(TracklistEditError, match="negative"):
        retime_entry(tracklist, 1, -1.0)


def test_check_times_names_overlaps() -> None:
    tracklist = Tracklist((TrackEntry("A", "B", 60.0), TrackEntry("C", "D", 30.0)))
    assert [str(p) for p in check_times(tracklist, source="t")] == [
        "t:2: track 2 starts at 00:30, before the previous track's 01:00"
    ]


async def test_candidates_come_from_tags_and_durations(store: CatalogStore) -> None:
    punk = await add_recording(store, "Daft Punk", "One More Time", 320.0)
    moby = await add_recording(store, "Moby", "Porcelain")
    await add_recording(store, None, "Untitled")  # no artist: not a candidate
    user = await add_recording(store, "Wrong", "Tags", 200.0)
    await store.set_tags(user, {"artist": "Eric Prydz", "title": "Opus"}, source="user")
    candidates = await load_candidates(store)
    assert sorted(candidates, key=lambda c: c.artist) == [
        RecordingCandidate(punk, "Daft Punk", "One More Time", 320.0),
        RecordingCandidate(user, "Eric Prydz", "Opus", 200.0),
        RecordingCandidate(moby, "Moby", "Porcelain", None),
    ]
    text = "Daft Punk - One More Time (Extended Mix)\nMoby - Porcelain\nEric Prydz - Opus\n"
    matched = match_tracklist(parse_text(text).tracklist, candidates).tracklist
    assert [e.recording_id for e in matched.entries] == [punk, moby, user]
    assert [(e.start_s, e.estimated) for e in matched.entries] == [
        (0.0, True),
        (320.0, True),
        (None, False),  # Porcelain's duration is unknown
    ]
