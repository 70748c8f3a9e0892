"""Recording search (text, BPM, key, energy) and per-recording lookups.

The catalog database is shared by the session, so every search is scoped by the test's
own library root (a ``text`` filter on a substring no other test's paths contain).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tracktion.core.catalog import CatalogInputError, CatalogStore, TracklistEntry

from .conftest import Library

pytestmark = pytest.mark.anyio


async def _analysed(
    store: CatalogStore,
    library: Library,
    name: str,
    *,
    bpm: object = None,
    camelot: str | None = None,
    key: str | None = None,
    energy: float | None = None,
) -> uuid.UUID:
    recording_id = (await store.upsert_file(library.observe(name, name))).recording_id
    for feature, value in (("bpm", bpm), ("camelot", camelot), ("key", key), ("energy", energy)):
        if value is not None:
            await store.save_analysis(
                recording_id, feature, "v1", value, computed_at=library.tick()
            )
    return recording_id


async def test_filters_by_bpm_key_and_energy(store: CatalogStore, library: Library) -> None:
    slow = await _analysed(store, library, "slow.flac", bpm=95.5, camelot="8A", key="A minor")
    house = await _analysed(store, library, "house.flac", bpm=124, camelot="9A", energy=0.7)
    dnb = await _analysed(store, library, "dnb.flac", bpm=174.0, key="C major", energy=0.9)
    bare = await _analysed(store, library, "bare.flac")
    odd = await _analysed(store, library, "odd.flac", bpm="fast")  # a string never matches

    async def ids(**filters: object) -> list[uuid.UUID]:
        page = await store.search_recordings(text=library.root, **filters)  # type: ignore[arg-type]
        return [item.recording.id for item in page.items]

    assert await ids() == [slow, house, dnb, bare, odd]
    assert await ids(bpm_min=120) == [house, dnb]
    assert await ids(bpm_min=95.5, bpm_max=124) == [slow, house]
    assert await ids(keys=["8A", "9A"]) == [slow, house]
    assert await ids(keys=["C major"]) == [dnb]
    assert await ids(keys=[]) == []
    assert await ids(energy_min=0.8) == [dnb]
    assert await ids(bpm_max=130, energy_max=0.75) == [house]


async def test_the_latest_result_of_a_feature_is_the_one_searched(
    store: CatalogStore, library: Library
) -> None:
    recording_id = await _analysed(store, library, "a.flac", bpm=90.0)
    later = library.tick() + timedelta(hours=1)
    await store.save_analysis(recording_id, "bpm", "v2", 180.0, computed_at=later)

    assert (await store.search_recordings(text=library.root, bpm_max=100)).total == 0
    page = await store.search_recordings(text=library.root, bpm_min=170)
    assert [item.analysis["bpm"].value for item in page.items] == [180]


async def test_text_matches_paths_and_tags_case_insensitively(
    store: CatalogStore, library: Library
) -> None:
    tagged = await _analysed(store, library, "one.flac")
    named = await _analysed(store, library, "Bicep_Glue%.flac")
    await store.set_tags(tagged, {"artist": "BICEP"}, "id3")

    page = await store.search_recordings(text="bicep")
    found = {item.recording.id for item in page.items}
    assert {tagged, named} <= found
    # % and _ are literal characters, not wildcards.
    literal = await store.search_recordings(text=f"{library.root}/bicep_glue%")
    assert [item.recording.id for item in literal.items] == [named]
    assert (await store.search_recordings(text=f"{library.root}/bicep-glue")).total == 0


async def test_pages_have_items_files_analysis_and_a_total(
    store: CatalogStore, library: Library
) -> None:
    first = await _analysed(store, library, "a.flac", bpm=120.0, camelot="8A")
    await store.upsert_file(library.observe("a-copy.flac", "a.flac"))  # a duplicate file
    second = await _analysed(store, library, "b.flac")
    await _analysed(store, library, "c.flac")
    deleted = await _analysed(store, library, "d.flac")
    await store.mark_deleted(library.path("d.flac"), library.tick())

    page = await store.search_recordings(text=library.root, limit=2)
    assert page.total == 3
    assert (page.limit, page.offset) == (2, 0)
    assert [item.recording.id for item in page.items] == [first, second]
    assert [file.path for file in page.items[0].files] == [
        library.path("a-copy.flac"),
        library.path("a.flac"),
    ]
    assert sorted(page.items[0].analysis) == ["bpm", "camelot"]
    rest = await store.search_recordings(text=library.root, limit=2, offset=2)
    assert len(rest.items) == 1
    assert deleted not in {item.recording.id for item in rest.items}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"bpm_min": 130.0, "bpm_max": 120.0}, "bpm_min"),
        ({"energy_min": float("nan")}, "energy_min"),
        ({"bpm_max": True}, "bpm_max"),
        ({"text": "   "}, "text"),
        ({"keys": ["8A", ""]}, "key"),
        ({"keys": [f"{n}A" for n in range(65)]}, "at most 64 keys"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_bad_filters_name_the_input(
    store: CatalogStore, filters: dict[str, object], message: str
) -> None:
    with pytest.raises(CatalogInputError, match=message):
        await store.search_recordings(**filters)  # type: ignore[arg-type]


async def test_tracklists_and_proposals_of_a_recording(
    store: CatalogStore, library: Library
) -> None:
    mix = (await store.upsert_file(library.observe("mix.flac", "mix"))).recording_id
    track = await store.upsert_file(library.observe("track.flac", "track"))
    other = (await store.upsert_file(library.observe("other.flac", "other"))).recording_id
    of_mix = await store.create_tracklist(
        [TracklistEntry(1, "A", "One")], source="manual", mix_recording_id=mix
    )
    playing = await store.create_tracklist(
        [TracklistEntry(1, "B", "Two", recording_id=track.recording_id)], source="cue"
    )
    dropped = await store.create_tracklist(
        [TracklistEntry(1, "C", "Three", recording_id=track.recording_id)], source="cue"
    )
    await store.add_tracklist_version(dropped.id, [TracklistEntry(1, "C", "Three")])
    proposal = await store.propose_rename(
        track.file_id,
        library.path("B - Two.flac"),
        template="{artist} - {title}",
        fields={},
        confidence=0.9,
    )

    assert [t.id for t in await store.tracklists_of_recording(mix)] == [of_mix.id]
    assert [t.id for t in await store.tracklists_of_recording(track.recording_id)] == [playing.id]
    assert await store.tracklists_of_recording(other) == []
    assert [p.id for p in await store.rename_proposals_of_recording(track.recording_id)] == [
        proposal.id
    ]
    assert await store.rename_proposals_of_recording(other) == []
