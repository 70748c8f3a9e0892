"""Files and recordings, keyed by content: upserts, moves, duplicates, deletion, retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tracktion.core.catalog import (
    CatalogInputError,
    CatalogNotFoundError,
    CatalogStore,
    ScanEntry,
    TracklistEntry,
)

from .conftest import Library

pytestmark = pytest.mark.anyio


async def test_new_content_creates_a_file_and_a_recording(
    store: CatalogStore, library: Library
) -> None:
    observation = library.observe("a.flac", "A", mtime_ns=1_700_000_000_123_456_789)

    result = await store.upsert_file(observation)

    assert result.file_created
    assert result.recording_created
    assert not result.content_changed
    assert not result.revived
    assert not result.stale
    assert result.moved_from is None
    assert result.previous_recording_id is None
    record = await store.get_file(observation.path)
    assert record is not None
    assert (record.id, record.recording_id) == (result.file_id, result.recording_id)
    assert (record.size_bytes, record.mtime_ns) == (observation.size_bytes, observation.mtime_ns)
    assert (record.sha256, record.xxh128) == (observation.sha256, observation.xxh128)
    assert record.first_seen_at == record.last_seen_at == observation.seen_at
    assert record.first_seen_at.utcoffset() == timedelta(0)
    assert record.deleted_at is None
    assert not record.is_deleted
    assert await store.get_file_by_id(result.file_id) == record
    recording = await store.get_recording(result.recording_id)
    assert recording is not None
    assert (recording.sha256, recording.size_bytes) == (observation.sha256, observation.size_bytes)
    assert await store.find_recording(sha256=observation.sha256) == recording
    assert await store.find_recording(xxh128=observation.xxh128.upper()) == recording
    both = await store.find_recording(sha256=observation.sha256, xxh128=observation.xxh128)
    assert both == recording
    assert await store.files_of(result.recording_id) == [record]


async def test_seeing_a_file_again_updates_it_in_place(
    store: CatalogStore, library: Library
) -> None:
    first = await store.upsert_file(library.observe("a.flac", "A"))
    later = library.observe("a.flac", "A", mtime_ns=99)

    again = await store.upsert_file(later)

    assert (again.file_id, again.recording_id) == (first.file_id, first.recording_id)
    assert not again.file_created
    assert not again.recording_created
    assert not again.content_changed
    record = await store.get_file(later.path)
    assert record is not None
    assert record.last_seen_at == later.seen_at > record.first_seen_at
    assert record.mtime_ns == 99


async def test_identical_content_at_two_paths_is_one_recording(
    store: CatalogStore, library: Library
) -> None:
    first = await store.upsert_file(library.observe("a.flac", "same"))
    second = await store.upsert_file(library.observe("copy/a.flac", "same"))

    assert second.file_created
    assert not second.recording_created
    assert second.recording_id == first.recording_id
    assert second.file_id != first.file_id
    paths = [record.path for record in await store.files_of(first.recording_id)]
    assert paths == sorted([library.path("a.flac"), library.path("copy/a.flac")])
    groups = {group.recording.id: group for group in await store.duplicates(limit=10_000)}
    assert [record.path for record in groups[first.recording_id].files] == paths


async def test_a_move_keeps_the_file_its_recording_analysis_and_history(
    store: CatalogStore, library: Library
) -> None:
    original = await store.upsert_file(library.observe("old/a.flac", "A"))
    await store.save_analysis(original.recording_id, "bpm", "v1", 124.0, 0.9)
    await store.set_tags(original.recording_id, {"artist": "Someone"}, "id3")

    moved = await store.upsert_file(
        library.observe("new/a.flac", "A"), move_from=library.path("old/a.flac")
    )

    assert moved.moved_from == library.path("old/a.flac")
    assert (moved.file_id, moved.recording_id) == (original.file_id, original.recording_id)
    assert not moved.file_created
    assert not moved.recording_created
    assert not moved.content_changed
    assert await store.get_file(library.path("old/a.flac")) is None
    assert await store.get_file(library.path("new/a.flac"), include_deleted=True) is not None
    assert (await store.get_analysis(moved.recording_id))["bpm"].value == 124.0
    assert [tag.value for tag in await store.get_tags(moved.recording_id)] == ["Someone"]

    renamed = await store.move_file(
        library.path("new/a.flac"), library.path("final/a.flac"), library.tick()
    )

    assert (renamed.id, renamed.recording_id) == (original.file_id, original.recording_id)
    history = await store.file_moves(original.file_id)
    assert [(move.old_path, move.new_path) for move in history] == [
        (library.path("old/a.flac"), library.path("new/a.flac")),
        (library.path("new/a.flac"), library.path("final/a.flac")),
    ]
    assert history[0].moved_at < history[1].moved_at


async def test_a_move_reported_after_the_deletion_revives_the_row(
    store: CatalogStore, library: Library
) -> None:
    original = await store.upsert_file(library.observe("a.flac", "A"))
    assert await store.mark_deleted(library.path("a.flac"), library.tick())

    moved = await store.upsert_file(
        library.observe("b.flac", "A"), move_from=library.path("a.flac")
    )

    assert moved.file_id == original.file_id
    assert moved.moved_from == library.path("a.flac")
    record = await store.get_file(library.path("b.flac"))
    assert record is not None
    assert record.deleted_at is None
    assert await store.get_file(library.path("a.flac"), include_deleted=True) is None


async def test_move_from_with_other_content_is_an_ordinary_upsert(
    store: CatalogStore, library: Library
) -> None:
    elsewhere = await store.upsert_file(library.observe("a.flac", "A"))

    result = await store.upsert_file(
        library.observe("b.flac", "B"), move_from=library.path("a.flac")
    )

    assert result.moved_from is None
    assert result.file_created
    assert await store.get_file(library.path("a.flac")) is not None
    assert await store.file_moves(elsewhere.file_id) == []


async def test_moving_onto_a_live_file_soft_deletes_the_one_replaced(
    store: CatalogStore, library: Library
) -> None:
    mover = await store.upsert_file(library.observe("a.flac", "A"))
    victim = await store.upsert_file(library.observe("b.flac", "B"))

    moved = await store.move_file(library.path("a.flac"), library.path("b.flac"), library.tick())

    assert moved.id == mover.file_id
    replaced = await store.get_file_by_id(victim.file_id)
    assert replaced is not None
    assert replaced.is_deleted
    assert (await store.get_file(library.path("b.flac"))) == moved


async def test_move_file_is_idempotent_and_rejects_unknown_paths(
    store: CatalogStore, library: Library
) -> None:
    await store.upsert_file(library.observe("a.flac", "A"))
    at = library.tick()
    first = await store.move_file(library.path("a.flac"), library.path("b.flac"), at)

    assert await store.move_file(library.path("a.flac"), library.path("b.flac"), at) == first
    same = await store.move_file(library.path("b.flac"), library.path("b.flac"), library.tick())
    assert same == first
    with pytest.raises(CatalogNotFoundError, match=r"no live file at .*nowhere\.flac"):
        await store.move_file(library.path("nowhere.flac"), library.path("c.flac"), at)


async def test_new_content_at_a_path_attaches_another_recording(
    store: CatalogStore, library: Library
) -> None:
    before = await store.upsert_file(library.observe("a.flac", "v1"))
    await store.save_analysis(before.recording_id, "bpm", "v1", 120.0)

    after = await store.upsert_file(library.observe("a.flac", "v2"))

    assert after.content_changed
    assert after.recording_created
    assert after.file_id == before.file_id
    assert after.previous_recording_id == before.recording_id != after.recording_id
    assert await store.files_of(before.recording_id) == []
    assert await store.get_recording(before.recording_id) is not None
    assert "bpm" in await store.get_analysis(before.recording_id)
    assert await store.get_analysis(after.recording_id) == {}


async def test_changing_to_known_content_reuses_its_recording(
    store: CatalogStore, library: Library
) -> None:
    other = await store.upsert_file(library.observe("other.flac", "B"))
    await store.upsert_file(library.observe("a.flac", "A"))

    changed = await store.upsert_file(library.observe("a.flac", "B"))

    assert changed.content_changed
    assert not changed.recording_created
    assert changed.recording_id == other.recording_id


async def test_soft_delete_then_revive(store: CatalogStore, library: Library) -> None:
    original = await store.upsert_file(library.observe("a.flac", "A"))
    deleted_at = library.tick()

    assert await store.mark_deleted(library.path("a.flac"), deleted_at)
    assert not await store.mark_deleted(library.path("a.flac"), library.tick())
    assert await store.get_file(library.path("a.flac")) is None
    tombstone = await store.get_file(library.path("a.flac"), include_deleted=True)
    assert tombstone is not None
    assert tombstone.deleted_at == deleted_at
    assert await store.files_of(original.recording_id) == []
    assert await store.files_of(original.recording_id, include_deleted=True) == [tombstone]
    assert library.path("a.flac") not in await store.scan_state(library.root)

    revived = await store.upsert_file(library.observe("a.flac", "A"))

    assert revived.revived
    assert not revived.file_created
    assert (revived.file_id, revived.recording_id) == (original.file_id, original.recording_id)
    record = await store.get_file(library.path("a.flac"))
    assert record is not None
    assert record.deleted_at is None


async def test_stale_events_change_nothing(store: CatalogStore, library: Library) -> None:
    early = library.tick()
    current = await store.upsert_file(library.observe("a.flac", "new"))

    stale = await store.upsert_file(library.observe("a.flac", "old", at=early))
    assert stale.stale
    assert stale.recording_id == current.recording_id
    assert not await store.mark_deleted(library.path("a.flac"), early)
    assert await store.find_recording(sha256=library.observe("x", "old").sha256) is None

    gone_at = library.tick()
    await store.mark_deleted(library.path("a.flac"), gone_at)
    late_news = await store.upsert_file(
        library.observe("a.flac", "new", at=gone_at - timedelta(microseconds=1))
    )
    assert late_news.stale
    assert not late_news.revived
    assert await store.get_file(library.path("a.flac")) is None


async def test_purge_applies_retention_and_drops_unreferenced_recordings(
    store: CatalogStore, library: Library
) -> None:
    old = await store.upsert_file(library.observe("old.flac", "old"))
    recent = await store.upsert_file(library.observe("recent.flac", "recent"))
    shared = await store.upsert_file(library.observe("shared.flac", "shared"))
    await store.upsert_file(library.observe("shared-copy.flac", "shared"))
    listed = await store.upsert_file(library.observe("listed.flac", "listed"))
    await store.create_tracklist(
        [TracklistEntry(1, "Artist", "Title", recording_id=listed.recording_id)], source="test"
    )
    await store.save_analysis(old.recording_id, "bpm", "v1", 100)
    long_ago = library.tick()
    for name in ("old.flac", "shared.flac", "listed.flac"):
        await store.mark_deleted(library.path(name), long_ago)
    cutoff = library.tick()
    await store.mark_deleted(library.path("recent.flac"), library.tick())

    purged = await store.purge_deleted(cutoff)

    assert purged.files >= 3
    assert purged.recordings >= 1
    assert await store.get_file_by_id(old.file_id) is None
    assert await store.get_recording(old.recording_id) is None
    assert await store.get_analysis(old.recording_id) == {}
    assert await store.get_file(library.path("recent.flac"), include_deleted=True) is not None
    assert await store.get_recording(recent.recording_id) is not None
    assert await store.get_recording(shared.recording_id) is not None  # a live copy remains
    assert await store.get_recording(listed.recording_id) is not None  # a tracklist names it


async def test_scan_state_and_touch_files(store: CatalogStore, library: Library) -> None:
    await store.upsert_files(
        [library.observe(f"{index}.flac", str(index), mtime_ns=index) for index in range(3)]
    )
    elsewhere = Library()
    await store.upsert_file(elsewhere.observe("x.flac", "x"))

    state = await store.scan_state(library.root)

    assert state == {
        library.path(f"{index}.flac"): ScanEntry(len(library.content(str(index))), index)
        for index in range(3)
    }
    seen = library.tick()
    touched = await store.touch_files([library.path("0.flac"), library.path("1.flac")], seen)
    assert touched == 2
    assert await store.touch_files([library.path("0.flac")], seen) == 0
    record = await store.get_file(library.path("0.flac"))
    assert record is not None
    assert record.last_seen_at == seen


async def test_bulk_upsert_matches_one_by_one_semantics(
    store: CatalogStore, library: Library
) -> None:
    observations = [library.observe(f"{index:04}.flac", str(index % 1000)) for index in range(1200)]
    observations.append(library.observe("0001.flac", "changed"))  # the same path again

    results = await store.upsert_files(observations, batch_size=250)

    assert len(results) == len(observations)
    assert sum(result.file_created for result in results) == 1200
    assert sum(result.recording_created for result in results) == 1001
    assert results[1000].recording_id == results[0].recording_id  # same content "0"
    assert results[-1].content_changed
    assert results[-1].file_id == results[1].file_id
    assert len(await store.scan_state(library.root)) == 1200

    rescan = await store.upsert_files(
        [replace(obs, seen_at=library.tick()) for obs in observations[:1200]]
    )
    assert not any(result.file_created or result.recording_created for result in rescan)
    assert [result.file_id for result in rescan] == [result.file_id for result in results[:1200]]
    assert rescan[1].content_changed  # back from "changed" to its first content


async def test_duplicates_are_ordered_by_copies_and_paged(
    store: CatalogStore, library: Library
) -> None:
    for content, copies in (("three", 3), ("two", 2)):
        for copy in range(copies):
            await store.upsert_file(library.observe(f"{content}-{copy}.flac", content))

    everything = await store.duplicates(limit=10_000)

    ours = [group for group in everything if group.files[0].root == library.root]
    assert [len(group.files) for group in ours] == [3, 2]
    counts = [len(group.files) for group in everything]
    assert counts == sorted(counts, reverse=True)
    for offset in range(min(len(everything), 3)):
        assert await store.duplicates(limit=1, offset=offset) == everything[offset : offset + 1]


async def test_lookups_reject_bad_arguments(store: CatalogStore) -> None:
    with pytest.raises(CatalogInputError, match="sha256 or xxh128"):
        await store.find_recording()
    with pytest.raises(CatalogInputError, match="64 hexadecimal digits"):
        await store.find_recording(sha256="abc")
    with pytest.raises(CatalogInputError, match="limit"):
        await store.duplicates(limit=0)
    with pytest.raises(CatalogInputError, match="move_from"):
        await store.upsert_file(Library().observe("a", "a"), move_from=" ")
