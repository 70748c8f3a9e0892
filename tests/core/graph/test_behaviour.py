"""The behaviour of every graph implementation: one suite, run on each backend."""

from __future__ import annotations

from uuid import UUID

import pytest

from tracktion.core.errors import BackendError
from tracktion.core.graph import Graph, Match, RecordingNode, Transition

pytestmark = pytest.mark.anyio


def rid(number: int) -> UUID:
    """A recording (or tracklist) id whose order is its number's."""
    return UUID(int=number)


X = rid(1)


async def put(
    graph: Graph,
    number: int,
    bpm: float | None,
    camelot: str | None,
    *artists: str,
    title: str | None = None,
) -> UUID:
    recording_id = rid(number)
    await graph.upsert_recording(RecordingNode(recording_id, title, artists, bpm, camelot))
    return recording_id


def ids(matches: list[Match]) -> list[UUID]:
    return [match.recording_id for match in matches]


# -- recordings and artists ------------------------------------------------------------


async def test_upsert_stores_and_a_second_upsert_replaces(graph: Graph) -> None:
    node = RecordingNode(X, "Glue", ("Bicep", "Hammer"), 130.0, "08a")
    await graph.upsert_recording(node)
    assert await graph.get_recording(X) == RecordingNode(X, "Glue", ("Bicep", "Hammer"), 130, "8A")
    assert await graph.artists_of(X) == ["Bicep", "Hammer"]

    await graph.upsert_recording(RecordingNode(X, "Glue (Edit)", ("Hammer",), 131.5, "9B"))
    assert await graph.get_recording(X) == RecordingNode(X, "Glue (Edit)", ("Hammer",), 131.5, "9B")
    assert await graph.recordings_by_artist("Bicep") == []
    assert await graph.recordings_by_artist("Hammer") == [X]

    await graph.upsert_recording(RecordingNode(X))
    assert await graph.get_recording(X) == RecordingNode(X)
    assert await graph.artists_of(X) == []


async def test_upserting_the_same_node_twice_changes_nothing(graph: Graph) -> None:
    node = RecordingNode(X, "Glue", ("Bicep",), 130.0, "8A")
    await graph.upsert_recording(node)
    await graph.upsert_recording(node)
    assert await graph.get_recording(X) == node
    assert await graph.recordings_by_artist("bicep") == [X]


async def test_credits_keep_their_order(graph: Graph) -> None:
    await put(graph, 1, None, None, "Zed", "Alpha", "Mid")
    assert await graph.artists_of(X) == ["Zed", "Alpha", "Mid"]


async def test_an_artist_is_one_artist_however_it_is_spelled(graph: Graph) -> None:
    first = await put(graph, 1, None, None, "Bicep")
    second = await put(graph, 2, None, None, "  BICEP ", "Hammer")
    # Repeated within one recording: credited once, at its first position.
    third = await put(graph, 3, None, None, "bicep", "Four  Tet", "BiCeP")
    # NFD ("o" + combining diaeresis) and NFC spellings of the same name.
    fourth = await put(graph, 4, None, None, "Bjo\u0308rk")
    fifth = await put(graph, 5, None, None, "BJ\u00d6RK")

    # The first spelling stays the display name; whitespace runs are collapsed.
    assert await graph.artists_of(second) == ["Bicep", "Hammer"]
    assert await graph.artists_of(third) == ["Bicep", "Four Tet"]
    for spelling in ("Bicep", "bicep", "BICEP", "\tBICEP\n"):
        assert await graph.recordings_by_artist(spelling) == [first, second, third]
    assert await graph.recordings_by_artist("four tet") == [third]
    assert await graph.recordings_by_artist("björk") == [fourth, fifth]
    assert await graph.recordings_by_artist("Nobody") == []
    assert await graph.recordings_by_artist("") == []


async def test_remove_recording_forgets_it_and_its_transitions(graph: Graph) -> None:
    a = await put(graph, 1, 128.0, "8A", "Bicep")
    b = await put(graph, 2, 128.0, "8A", "Bicep")
    c = await put(graph, 3, 128.0, "8A")
    await graph.add_tracklist(rid(100), [a, b, c])
    await graph.add_tracklist(rid(101), [c, b])

    await graph.remove_recording(b)
    assert await graph.get_recording(b) is None
    assert await graph.artists_of(b) == []
    assert await graph.recordings_by_artist("Bicep") == [a]
    assert await graph.played_after(a) == []  # a -> b is gone
    assert await graph.played_after(b) == []  # b -> c is gone
    assert await graph.played_after(c) == []  # c -> b (another tracklist) is gone
    assert ids(await graph.compatible(a)) == [c]

    await graph.remove_recording(b)  # again: nothing to do
    await graph.remove_recording(rid(999))
    await put(graph, 2, 128.0, "8A", "Bicep")  # and it can come back
    assert await graph.recordings_by_artist("Bicep") == [a, b]


# -- tracklists and transitions ----------------------------------------------------------


async def test_transitions_are_counted_across_tracklists(graph: Graph) -> None:
    a, b, c, d, e = (rid(n) for n in range(1, 6))
    await graph.add_tracklist(rid(100), [a, b, c])
    await graph.add_tracklist(rid(101), [a, b, d])
    await graph.add_tracklist(rid(102), [e, a, c])
    await graph.add_tracklist(rid(103), [a, b])

    assert await graph.played_after(a) == [Transition(b, 3), Transition(c, 1)]
    assert await graph.played_after(b) == [Transition(c, 1), Transition(d, 1)]
    assert await graph.played_after(e) == [Transition(a, 1)]
    assert await graph.played_after(d) == []


async def test_played_after_orders_by_count_then_id_and_honours_the_limit(
    graph: Graph,
) -> None:
    a = rid(1)
    # After a: rid(5) three times, rid(4) and rid(3) twice, rid(2) once.
    tracklists = [[a, rid(5)], [a, rid(4)], [a, rid(3)], [a, rid(5)], [a, rid(3)]]
    tracklists += [[a, rid(4)], [a, rid(5)], [a, rid(2)]]
    for number, entries in enumerate(tracklists, start=100):
        await graph.add_tracklist(rid(number), entries)

    expected = [Transition(rid(5), 3), Transition(rid(3), 2), Transition(rid(4), 2)]
    expected.append(Transition(rid(2), 1))
    assert await graph.played_after(a) == expected
    assert await graph.played_after(a, limit=2) == expected[:2]
    assert await graph.played_after(a, limit=1) == expected[:1]


async def test_a_track_played_twice_in_one_set_counts_twice(graph: Graph) -> None:
    a, b = rid(1), rid(2)
    await graph.add_tracklist(rid(100), [a, b, a, b])
    assert await graph.played_after(a) == [Transition(b, 2)]
    assert await graph.played_after(b) == [Transition(a, 1)]


async def test_unidentified_entries_break_the_chain(graph: Graph) -> None:
    a, b, c, d = (rid(n) for n in range(1, 5))
    await graph.add_tracklist(rid(100), [None, a, None, b, c, None, None, d, None])
    assert await graph.played_after(a) == []
    assert await graph.played_after(b) == [Transition(c, 1)]
    assert await graph.played_after(c) == []
    assert await graph.played_after(d) == []
    await graph.add_tracklist(rid(101), [None, None])
    await graph.add_tracklist(rid(102), [])


async def test_tracklists_create_unknown_recordings_as_bare_nodes(graph: Graph) -> None:
    a, b = rid(1), rid(2)
    await graph.add_tracklist(rid(100), [a, None, b])
    assert await graph.get_recording(a) == RecordingNode(a)
    assert await graph.get_recording(b) == RecordingNode(b)
    await graph.add_tracklist(rid(101), [a, b])

    # Filling in a bare node keeps its transitions; re-adding keeps its properties.
    await put(graph, 1, 124.0, "5A", "Ø", title="Shiver")
    assert await graph.played_after(a) == [Transition(b, 1)]
    await graph.add_tracklist(rid(101), [a, b])
    assert await graph.get_recording(a) == RecordingNode(a, "Shiver", ("Ø",), 124.0, "5A")


async def test_re_adding_a_tracklist_replaces_its_transitions(graph: Graph) -> None:
    a, b, c = rid(1), rid(2), rid(3)
    await graph.add_tracklist(rid(100), [a, b])
    await graph.add_tracklist(rid(101), [a, b])
    await graph.add_tracklist(rid(100), [a, b])  # the same again: idempotent
    assert await graph.played_after(a) == [Transition(b, 2)]

    await graph.add_tracklist(rid(100), [a, c, b])  # a corrected tracklist
    assert await graph.played_after(a) == [Transition(b, 1), Transition(c, 1)]
    assert await graph.played_after(c) == [Transition(b, 1)]

    await graph.add_tracklist(rid(100), [a, None, b])
    assert await graph.played_after(a) == [Transition(b, 1)]
    assert await graph.played_after(c) == []


async def test_remove_tracklist_keeps_recordings_and_other_tracklists(graph: Graph) -> None:
    a, b = rid(1), rid(2)
    await put(graph, 1, 128.0, "8A")
    await graph.add_tracklist(rid(100), [a, b])
    await graph.add_tracklist(rid(101), [a, b])

    await graph.remove_tracklist(rid(100))
    assert await graph.played_after(a) == [Transition(b, 1)]
    await graph.remove_tracklist(rid(101))
    assert await graph.played_after(a) == []
    assert await graph.get_recording(a) == RecordingNode(a, None, (), 128.0, "8A")
    assert await graph.get_recording(b) == RecordingNode(b)
    await graph.remove_tracklist(rid(101))  # unknown by now: nothing to do


async def test_bad_tracklist_entries_are_refused_before_anything_is_written(
    graph: Graph,
) -> None:
    a, b = rid(1), rid(2)
    await graph.add_tracklist(rid(100), [a, b])
    with pytest.raises(TypeError, match=r"recording_ids\[1\]"):
        await graph.add_tracklist(rid(100), [a, str(b)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="string"):
        await graph.add_tracklist(rid(100), str(a))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tracklist_id"):
        await graph.add_tracklist(100, [a, b])  # type: ignore[arg-type]
    assert await graph.played_after(a) == [Transition(b, 1)]


# -- compatibility ---------------------------------------------------------------------


async def test_compatible_keeps_bpm_within_the_tolerance(graph: Graph) -> None:
    await put(graph, 1, 128.0, "8A")
    inside = [
        await put(graph, 2, 128.0, "8A"),
        await put(graph, 3, 134.4, "8A"),  # +5 %
        await put(graph, 4, 135.6, "8A"),  # +5.94 %
        await put(graph, 5, 120.5, "8A"),  # -5.86 %
    ]
    await put(graph, 6, 136.0, "8A")  # +6.25 %
    await put(graph, 7, 120.0, "8A")  # -6.25 %
    await put(graph, 8, 100.0, "8A")
    await put(graph, 9, None, "8A")  # no BPM: never a match
    await put(graph, 10, 128.0, None)  # no key: never a match

    matches = await graph.compatible(X)
    assert sorted(ids(matches)) == inside
    by_id = {match.recording_id: match for match in matches}
    assert by_id[rid(3)].bpm_delta == pytest.approx(0.05)
    assert by_id[rid(5)].bpm_delta == pytest.approx(-7.5 / 128)
    assert all(m.key_relation == "same" and m.tempo == "same" for m in matches)

    assert sorted(ids(await graph.compatible(X, bpm_tolerance=0.02))) == [rid(2)]
    assert sorted(ids(await graph.compatible(X, bpm_tolerance=0.0))) == [rid(2)]
    wide = await graph.compatible(X, bpm_tolerance=0.07)
    assert sorted(ids(wide)) == [*inside, rid(6), rid(7)]


async def test_the_tolerance_bound_itself_is_inside(graph: Graph) -> None:
    await put(graph, 1, 100.0, "8A")
    await put(graph, 2, 106.0, "8A")
    await put(graph, 3, 94.0, "8A")
    await put(graph, 4, 106.01, "8A")
    assert sorted(ids(await graph.compatible(X))) == [rid(2), rid(3)]


async def test_compatible_keys_are_same_adjacent_and_relative(graph: Graph) -> None:
    await put(graph, 1, 124.0, "8A")
    relations = {
        await put(graph, 2, 124.0, "8A"): "same",
        await put(graph, 3, 124.0, "7A"): "adjacent",
        await put(graph, 4, 124.0, "09a"): "adjacent",
        await put(graph, 5, 124.0, "8B"): "relative",
    }
    for number, key in enumerate(["10A", "6A", "7B", "9B", "3A", "2B", "1A"], start=6):
        await put(graph, number, 124.0, key)
    matches = await graph.compatible(X)
    assert {m.recording_id: m.key_relation for m in matches} == relations
    assert {m.recording_id: m.camelot for m in matches} == {
        rid(2): "8A",
        rid(3): "7A",
        rid(4): "9A",
        rid(5): "8B",
    }


@pytest.mark.parametrize(
    ("reference", "adjacent", "relative", "unrelated"),
    [
        ("12A", ["11A", "1A"], "12B", ["2A", "10A", "1B", "11B"]),
        ("1A", ["12A", "2A"], "1B", ["11A", "3A", "12B", "2B"]),
        ("12B", ["11B", "1B"], "12A", ["2B", "1A"]),
        ("1B", ["12B", "2B"], "1A", ["11B", "12A"]),
    ],
)
async def test_the_wheel_wraps_from_12_to_1(
    graph: Graph, reference: str, adjacent: list[str], relative: str, unrelated: list[str]
) -> None:
    await put(graph, 1, 125.0, reference)
    expected: dict[UUID, str] = {}
    for number, key in enumerate([*adjacent, relative, *unrelated], start=2):
        recording_id = await put(graph, number, 125.0, key)
        if key in adjacent:
            expected[recording_id] = "adjacent"
        elif key == relative:
            expected[recording_id] = "relative"
    matches = await graph.compatible(X)
    assert {m.recording_id: m.key_relation for m in matches} == expected


async def test_half_and_double_time_match_and_are_flagged(graph: Graph) -> None:
    await put(graph, 1, 87.0, "4A")
    double = await put(graph, 2, 174.0, "4A")
    double_fast = await put(graph, 3, 176.0, "4A")  # 88 at half time: +1.15 %
    half = await put(graph, 4, 44.0, "4A")  # 88 at double time: +1.15 %
    same = await put(graph, 5, 86.0, "4A")
    await put(graph, 6, 190.0, "4A")  # 95 at half time: +9.2 %
    await put(graph, 7, 130.0, "4A")  # neither

    matches = {m.recording_id: m for m in await graph.compatible(X)}
    assert set(matches) == {double, double_fast, half, same}
    assert matches[double].tempo == "double"
    assert matches[double].bpm_delta == 0.0
    assert matches[double_fast].tempo == "double"
    assert matches[double_fast].bpm_delta == pytest.approx(1 / 87)
    assert matches[half].tempo == "half"
    assert matches[half].bpm_delta == pytest.approx(1 / 87)
    assert matches[half].bpm == 44.0
    assert matches[same].tempo == "same"
    assert matches[same].bpm_delta == pytest.approx(-1 / 87)

    # The other way round: from 174, 87 is half time.
    reverse = {m.recording_id: m for m in await graph.compatible(double)}
    assert reverse[X].tempo == "half"
    assert reverse[X].bpm_delta == 0.0


async def test_matches_are_ordered_by_key_then_bpm_distance_then_tempo_then_id(
    graph: Graph,
) -> None:
    await put(graph, 1, 100.0, "8A")
    # Inserted out of order on purpose.
    await put(graph, 20, 100.0, "8B")  # relative, 0 %
    await put(graph, 21, 105.0, "8A")  # same, +5 %
    await put(graph, 22, 100.0, "9A")  # adjacent, 0 %
    await put(graph, 23, 98.0, "8A")  # same, -2 %
    await put(graph, 12, 102.0, "8A")  # same, +2 %: ties with 23 on |delta|, smaller id
    await put(graph, 11, 204.0, "8A")  # same, +2 % at double time: after the 102
    await put(graph, 24, 101.0, "7A")  # adjacent, +1 %
    await put(graph, 25, 100.5, "8A")  # same, +0.5 %

    matches = await graph.compatible(X)
    assert ids(matches) == [rid(n) for n in (25, 12, 23, 11, 21, 22, 24, 20)]
    assert [m.key_relation for m in matches] == ["same"] * 5 + ["adjacent"] * 2 + ["relative"]
    assert [m.tempo for m in matches][:4] == ["same", "same", "same", "double"]

    assert ids(await graph.compatible(X, limit=3)) == [rid(25), rid(12), rid(23)]
    assert ids(await graph.compatible(X, limit=1)) == [rid(25)]
    assert len(await graph.compatible(X, limit=100)) == 8


async def test_the_reference_recording_is_never_its_own_match(graph: Graph) -> None:
    await put(graph, 1, 128.0, "8A")
    assert await graph.compatible(X) == []
    twin = await put(graph, 2, 128.0, "8A")
    assert await graph.compatible(X) == [Match(twin, 128.0, "8A", 0.0, "same", "same")]
    assert ids(await graph.compatible(twin)) == [X]


async def test_nothing_is_compatible_with_a_recording_without_bpm_key_or_record(
    graph: Graph,
) -> None:
    await put(graph, 2, 128.0, "8A")
    await put(graph, 3, None, "8A")
    await put(graph, 4, 128.0, None)
    await graph.add_tracklist(rid(100), [rid(5), rid(2)])  # rid(5): a bare node
    for reference in (rid(3), rid(4), rid(5), rid(999)):
        assert await graph.compatible(reference) == []


async def test_query_arguments_are_checked(graph: Graph) -> None:
    await put(graph, 1, 128.0, "8A")
    for tolerance in (-0.01, 1 / 3, 0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="bpm_tolerance"):
            await graph.compatible(X, bpm_tolerance=tolerance)
    for limit in (0, -1):
        with pytest.raises(ValueError, match="limit"):
            await graph.compatible(X, limit=limit)
        with pytest.raises(ValueError, match="limit"):
            await graph.played_after(X, limit=limit)
    with pytest.raises(TypeError, match="limit"):
        await graph.played_after(X, limit=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="recording_id"):
        await graph.compatible(str(X))  # type: ignore[arg-type]


# -- unknown ids and closing --------------------------------------------------------------


async def test_unknown_ids_give_empty_answers(graph: Graph) -> None:
    unknown = rid(424242)
    assert await graph.get_recording(unknown) is None
    assert await graph.artists_of(unknown) == []
    assert await graph.played_after(unknown) == []
    assert await graph.compatible(unknown) == []
    await graph.remove_recording(unknown)
    await graph.remove_tracklist(unknown)


async def test_a_closed_graph_refuses_work(graph: Graph) -> None:
    await put(graph, 1, 128.0, "8A")
    await graph.close()
    await graph.close()  # idempotent
    with pytest.raises(BackendError, match="closed"):
        await graph.played_after(X)
    with pytest.raises(BackendError, match="closed"):
        await graph.upsert_recording(RecordingNode(X))
    with pytest.raises(BackendError, match="closed"):
        await graph.compatible(X)
