"""Normalizing and matching entries to recordings; estimated start times."""

from __future__ import annotations

import uuid

import pytest

from tracktion.core.tracklists import (
    RecordingCandidate,
    TrackEntry,
    Tracklist,
    TracklistError,
    estimate_start_times,
    match_tracklist,
    normalize_artist,
    normalize_text,
    normalize_track,
    score_match,
)


def candidate(artist: str, title: str, duration_s: float | None = None) -> RecordingCandidate:
    return RecordingCandidate(uuid.uuid4(), artist, title, duration_s)


def test_normalization_ignores_case_accents_punctuation_and_featuring() -> None:
    assert normalize_text("Beyoncé & JAY-Z!") == "beyonce and jay z"
    assert normalize_artist("Beyoncé feat. Jay-Z") == normalize_artist("JAY Z & Beyonce")
    assert normalize_artist("A ft. B") == normalize_artist("B x A")
    plain = normalize_track("Beyoncé", "Crazy In Love (feat. Jay-Z) (Original Mix)")
    assert plain == normalize_track("Beyonce feat. Jay Z", "Crazy in Love")
    assert plain.version == ""
    remix = normalize_track("Beyonce", "Crazy In Love", "Dimitri Remix")
    assert remix.version == "dimitri remix"


def test_scores_prefer_the_same_track_and_version() -> None:
    entry = TrackEntry("Charlotte de Witte", "Selected", mix="Extended Mix")
    assert score_match(entry, candidate("Charlotte De Witte", "Selected (Original Mix)")) == 1.0
    remix = score_match(entry, candidate("Charlotte de Witte", "Selected (ANNA Remix)"))
    other = score_match(entry, candidate("Amelie Lens", "Hypnotized"))
    assert 0.75 <= remix < 0.85
    assert other < 0.4
    assert score_match(TrackEntry("ID", "ID"), candidate("ID", "ID")) == 0.0


def test_match_returns_ranked_candidates_and_applies_the_best() -> None:
    selected = candidate("Charlotte de Witte", "Selected", 400.0)
    remix = candidate("Charlotte de Witte", "Selected (ANNA Remix)", 380.0)
    hypnotized = candidate("Amelie Lens, Farrago", "Hypnotized", 300.0)
    noise = [candidate(f"Artist {n}", f"Song {n}") for n in range(50)]
    tracklist = Tracklist(
        (
            TrackEntry("Charlotte de Witte", "Selected", 0.0),
            TrackEntry("Amelie Lens & Farrago", "Hypnotized"),
            TrackEntry("ID", "ID"),
            TrackEntry("Nobody", "Nothing Like It"),
        )
    )
    result = match_tracklist(tracklist, [*noise, remix, selected, hypnotized], limit=3)
    first = result.matches[0]
    assert [c.candidate for c in first.candidates][:2] == [selected, remix]
    assert first.candidates[0].score == 1.0
    entries = result.tracklist.entries
    assert [e.recording_id for e in entries] == [selected.id, hypnotized.id, None, None]
    assert entries[1].match_score is not None
    assert entries[1].match_score >= 0.8
    assert result.matched == 2
    assert result.matches[2].candidates == ()
    # Times: the second entry starts when the first (400 s long) ends; then unknown.
    assert [(e.start_s, e.estimated) for e in entries] == [
        (0.0, False),
        (400.0, True),
        (700.0, True),
        (None, False),
    ]


def test_estimates_fit_before_the_next_known_start() -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    tracklist = Tracklist(
        (
            TrackEntry("A", "A", 0.0, recording_id=ids[0]),
            TrackEntry("B", "B", recording_id=ids[1]),
            TrackEntry("C", "C", recording_id=ids[2]),
            TrackEntry("D", "D", 600.0),
        )
    )
    durations = {ids[0]: 400.0, ids[1]: 400.0, ids[2]: 400.0}
    estimated = estimate_start_times(tracklist, durations).entries
    # Raw estimates 400 and 800 overshoot 600 s: scaled into the gap, order kept.
    assert [e.start_s for e in estimated] == [0.0, 200.0, 400.0, 600.0]
    assert [e.estimated for e in estimated] == [False, True, True, False]


def test_entries_played_together_share_the_estimate() -> None:
    first = uuid.uuid4()
    tracklist = Tracklist(
        (
            TrackEntry("A", "A", recording_id=first),
            TrackEntry("B", "B", recording_id=uuid.uuid4()),
            TrackEntry("C", "C", played_with_previous=True),
        )
    )
    entries = estimate_start_times(tracklist, {first: 300.0}).entries
    assert [(e.start_s, e.estimated) for e in entries] == [
        (0.0, True),
        (300.0, True),
        (300.0, True),
    ]


def test_bad_options_are_refused() -> None:
    with pytest.raises(TracklistError, match="threshold"):
        match_tracklist(Tracklist(()), [], threshold=1.5)
