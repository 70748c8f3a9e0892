"""The value types of the graph port and the rules its implementations share."""

from __future__ import annotations

import math
from uuid import UUID, uuid4

import pytest

from tracktion.core.graph import Match, RecordingNode
from tracktion.core.graph._port import (
    CompatibilitySearch,
    artist_key,
    credited_artists,
    tracklist_transitions,
)

RID = UUID(int=1)


def test_a_node_normalizes_its_key_bpm_and_artists() -> None:
    node = RecordingNode(RID, "Glue", ["Bicep"], 130, "08a")  # type: ignore[arg-type]
    assert node.camelot == "8A"
    assert node.bpm == 130.0
    assert isinstance(node.bpm, float)
    assert node.artists == ("Bicep",)
    assert RecordingNode(RID) == RecordingNode(RID, None, (), None, None)
    assert hash(node) == hash(RecordingNode(RID, "Glue", ("Bicep",), 130.0, "8A"))


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"recording_id": str(RID)}, TypeError, "recording_id"),
        ({"title": 5}, TypeError, "title"),
        ({"artists": "Bicep"}, TypeError, "sequence of names"),
        ({"artists": None}, TypeError, "sequence of names"),
        ({"artists": ("Bicep", 7)}, TypeError, "artist names"),
        ({"artists": ("Bicep", "  ")}, ValueError, "blank artist"),
        ({"bpm": 0.0}, ValueError, "bpm"),
        ({"bpm": -120.0}, ValueError, "bpm"),
        ({"bpm": math.nan}, ValueError, "bpm"),
        ({"bpm": math.inf}, ValueError, "bpm"),
        ({"bpm": True}, TypeError, "bpm"),
        ({"bpm": "128"}, TypeError, "bpm"),
        ({"camelot": "13A"}, ValueError, "Camelot"),
        ({"camelot": "Am"}, ValueError, "Camelot"),
    ],
)
def test_invalid_nodes_are_refused(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    fields: dict[str, object] = {"recording_id": RID, "title": "t", "artists": ("a",)}
    fields.update(changes)
    with pytest.raises(error, match=message):
        RecordingNode(**fields)  # type: ignore[arg-type]


def test_artist_identity_ignores_case_spacing_and_unicode_forms() -> None:
    assert artist_key("  Four\t Tet ") == "four tet"
    assert artist_key("Bjo\u0308rk") == artist_key("BJÖRK") == "björk"
    assert artist_key("STRASSE") == artist_key("Straße")  # casefold, not lower
    assert artist_key("\uff21\uff22\uff23") == "abc"  # fullwidth letters: NFKC
    node = RecordingNode(RID, artists=("Bicep", " bicep", "Four  Tet", "BICEP", "four tet"))
    assert credited_artists(node) == [("bicep", "Bicep"), ("four tet", "Four Tet")]


def test_tracklist_transitions_follow_identified_neighbours() -> None:
    a, b, c = UUID(int=1), UUID(int=2), UUID(int=3)
    known, transitions = tracklist_transitions([None, a, b, None, c, a, a])
    assert known == [a, b, c]
    assert transitions == [(1, a, b), (4, c, a), (5, a, a)]
    assert tracklist_transitions([]) == ([], [])
    assert tracklist_transitions((a,)) == ([a], [])


def test_the_ranking_rules() -> None:
    search = CompatibilitySearch.of(RID, 100.0, "12a", 0.06)
    assert search is not None
    assert search.key_ranks == {"11A": 1, "12A": 0, "12B": 2, "1A": 1}
    other = uuid4()
    assert search.match(RID, 100.0, "12A") is None  # the reference itself
    assert search.match(other, 100.0, "5A") is None
    assert search.match(other, 150.0, "12A") is None
    assert search.match(other, 49.0, "1a") == Match(other, 49.0, "1A", -0.02, "adjacent", "half")
    for bpm, camelot in [(None, "8A"), (128.0, None), (0.0, "8A"), (128.0, "garbage")]:
        assert CompatibilitySearch.of(RID, bpm, camelot, 0.06) is None
