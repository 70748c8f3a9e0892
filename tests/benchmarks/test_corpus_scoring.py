"""The audio benchmark's scoring, manifest and composition (no rendering, no essentia)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.audio.compose import (
    DRUM_CHANNEL,
    GENRES,
    MAJOR_SCALE,
    MINOR_SCALE,
    Composition,
    compose,
)
from benchmarks.audio.corpus import ENCODERS, FORMAT_CYCLE
from benchmarks.audio.evaluate import Outcome, _select, aggregate
from benchmarks.audio.hymns import compose_hymn
from benchmarks.audio.manifest import Manifest, Mix, Track
from benchmarks.audio.scoring import (
    Key,
    mirex_key_score,
    parse_key,
    tempo_acc1,
    tempo_acc2,
)
from tracktion.core.formats import AUDIO_FORMATS

# --------------------------------------------------------------------------- key score


@pytest.mark.parametrize(
    ("reference", "estimate", "score"),
    [
        ("A minor", "A minor", 1.0),
        ("C# major", "Db major", 1.0),  # enharmonic spellings are one key
        ("Bb minor", "A# minor", 1.0),
        ("F# major", "Gb major", 1.0),
        ("C major", "G major", 0.5),  # the fifth above (the dominant)
        ("A minor", "E minor", 0.5),
        ("Eb major", "Bb major", 0.5),
        ("C major", "F major", 0.0),  # the fifth below: not credited by MIREX
        ("A minor", "D minor", 0.0),
        ("C major", "G minor", 0.0),  # a fifth away but in the other mode
        ("C major", "A minor", 0.3),  # relative minor
        ("A minor", "C major", 0.3),  # relative major
        ("F# minor", "A major", 0.3),
        ("Eb major", "C minor", 0.3),
        ("C major", "E minor", 0.0),  # E minor is G major's relative, not C major's
        ("C major", "C minor", 0.2),  # parallel
        ("A minor", "A major", 0.2),
        ("C# minor", "Db major", 0.2),  # parallel, spelled differently
        ("C major", "D major", 0.0),
        ("C major", "F# major", 0.0),
    ],
)
def test_mirex_weighted_score(reference: str, estimate: str, score: float) -> None:
    assert mirex_key_score(reference, estimate) == score


def test_descending_fifth_is_credited_only_on_request() -> None:
    assert mirex_key_score("C major", "F major", allow_descending_fifths=True) == 0.5
    assert mirex_key_score("A minor", "D minor", allow_descending_fifths=True) == 0.5
    assert mirex_key_score("C major", "G major", allow_descending_fifths=True) == 0.5


@pytest.mark.parametrize("estimate", [None, "", "unknown", "X", "C dorian", "H major"])
def test_no_usable_estimate_scores_zero(estimate: str | None) -> None:
    assert mirex_key_score("C major", estimate) == 0.0


def test_an_invalid_reference_is_an_error() -> None:
    with pytest.raises(ValueError, match="reference key"):
        mirex_key_score("C dorian", "C major")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("A minor", Key(9, "minor")),
        ("a minor", Key(9, "minor")),
        ("A:min", Key(9, "minor")),
        ("Am", Key(9, "minor")),
        ("Bbm", Key(10, "minor")),
        ("F♯ major", Key(6, "major")),
        ("Cb major", Key(11, "major")),
        ("E# minor", Key(5, "minor")),
        ("Eb", Key(3, "major")),  # a tonic alone is major, as in chord symbols
        ("G maj", Key(7, "major")),
    ],
)
def test_parse_key_spellings(text: str, key: Key) -> None:
    assert parse_key(text) == key


def test_key_names_use_sharps() -> None:
    assert Key(1, "major").name == "C# major"
    assert Key(10, "minor").name == "A# minor"


# --------------------------------------------------------------------------- tempo


@pytest.mark.parametrize(
    ("reference", "estimate", "acc1", "acc2"),
    [
        (120.0, 120.0, True, True),
        (100.0, 104.0, True, True),  # 4 % exactly is within
        (100.0, 96.0, True, True),
        (100.0, 104.1, False, False),
        (100.0, 95.9, False, False),
        (174.0, 87.0, False, True),  # half: an octave error
        (87.0, 174.0, False, True),  # double
        (120.0, 40.0, False, True),  # a third
        (60.0, 180.0, False, True),  # triple
        (120.0, 180.0, False, False),  # 3/2 is not an octave error
        (120.0, 80.0, False, False),
        (140.0, 71.0, False, True),  # half within 4 % of 70
        (120.0, None, False, False),
        (120.0, 0.0, False, False),
    ],
)
def test_tempo_accuracy(reference: float, estimate: float | None, acc1: bool, acc2: bool) -> None:
    assert tempo_acc1(reference, estimate) is acc1
    assert tempo_acc2(reference, estimate) is acc2


def test_aggregate_scores_a_group_and_counts_errors() -> None:
    tracks = [_track("a", bpm=120.0, key="A minor"), _track("b", bpm=174.0, key="C major")]
    outcomes = {
        "a": Outcome("x", "a", 120.5, "A minor", wall_s=1.0, cpu_s=1.0),
        "b": Outcome("x", "b", None, None, wall_s=1.0, cpu_s=2.0, error="AudioError: bad"),
    }
    cell = aggregate(tracks, outcomes, tempo=True, key=True)
    assert (cell.n, cell.acc1, cell.acc2, cell.mirex, cell.errors) == (2, 0.5, 0.5, 0.5, 1)
    assert cell.realtime == pytest.approx(100.0 / 2.0)  # 2 x 50 s of audio in 2 s
    assert aggregate(tracks, outcomes, tempo=False, key=False).acc1 is None


# --------------------------------------------------------------------------- manifest


BASE_TRACK = Track(
    id="base",
    set="synthetic",
    genre="drum and bass",
    path="audio/base.flac",
    format="flac",
    bpm=60_000_000 / 344_828,
    key="F# minor",
    duration_s=50.0,
    variants=("intro", "noise"),
    intro_bars=16,
    snr_db=18.5,
    seed=7,
    source="compose.py",
)


def _track(track_id: str, **changes: Any) -> Track:
    return replace(BASE_TRACK, id=track_id, path=f"audio/{track_id}.flac", **changes)


def test_manifest_round_trip(tmp_path: Path) -> None:
    manifest = Manifest(
        tracks=[
            _track("drum-and-bass-000"),
            _track(
                "folk-000",
                set="folk",
                genre="folk",
                variants=(),
                intro_bars=0,
                snr_db=None,
                detune_cents=None,
                key_source="tonic+third",
                source="essenFolksong/erk10.abc#X:51",
            ),
        ],
        mixes=[Mix("mix-60min.flac", "flac", 3600.0, ("drum-and-bass-000",), 8.0)],
        generator={"seed": 0, "tracks_per_genre": 3},
    )
    path = tmp_path / "corpus.json"
    manifest.write(path)
    loaded = Manifest.load(path)
    assert loaded == manifest
    assert loaded.tracks[0].bpm == manifest.tracks[0].bpm  # floats survive exactly
    assert not list(tmp_path.glob("*.partial"))


def test_the_held_out_set_is_scored_only_when_asked() -> None:
    tracks = [
        _track("house-000"),
        _track("folk-000", set="folk", genre="folk"),
        _track("chorale-000", set="chorales", genre="chorale"),
    ]

    def ids(chosen: list[Track]) -> list[str]:
        return [track.id for track in chosen]

    assert ids(_select(tracks, "", "", 0)) == ["house-000", "folk-000"]
    assert ids(_select(tracks, "", "", 0, held_out=True)) == [t.id for t in tracks]
    assert ids(_select(tracks, "chorales", "", 0)) == ["chorale-000"]
    assert ids(_select(tracks, "folk", "", 0, held_out=True)) == ["folk-000"]


def test_manifest_rejects_unknown_fields_and_versions() -> None:
    data = Manifest(tracks=[_track("a")]).to_json()
    data["tracks"][0]["tempo"] = 120
    with pytest.raises(ValueError, match="unknown track fields"):
        Manifest.from_json(data)
    with pytest.raises(ValueError, match="manifest version"):
        Manifest.from_json({**Manifest().to_json(), "version": 99})


def test_manifest_is_plain_json() -> None:
    text = json.dumps(Manifest(tracks=[_track("a")]).to_json())
    assert json.loads(text)["tracks"][0]["variants"] == ["intro", "noise"]


# --------------------------------------------------------------------------- formats


def test_every_supported_format_has_an_encoder_and_a_turn() -> None:
    supported = {fmt.file_type for fmt in AUDIO_FORMATS}
    assert supported <= set(ENCODERS)
    assert supported <= set(FORMAT_CYCLE)


# --------------------------------------------------------------------------- composition


def _pitched_weights(composition: Composition) -> list[float]:
    """Duration per pitch class relative to the tonic (0 = tonic), drums left out."""
    weights = [0.0] * 12
    for note in composition.notes:
        if note.channel != DRUM_CHANNEL:
            weights[(note.pitch - composition.tonic) % 12] += note.duration
    return weights


@pytest.mark.parametrize("genre", list(GENRES))
def test_same_seed_same_notes(genre: str) -> None:
    first = compose(genre, 11, intro=True, detune=True)
    assert compose(genre, 11, intro=True, detune=True) == first
    assert compose(genre, 12, intro=True, detune=True).notes != first.notes


@pytest.mark.parametrize("genre", list(GENRES))
@pytest.mark.parametrize("seed", range(4))
def test_the_composed_key_dominates_the_notes(genre: str, seed: int) -> None:
    composition = compose(genre, seed, intro=False, detune=False)
    weights = _pitched_weights(composition)
    total = sum(weights)
    # The key's scale (with the leading tone of the harmonic minor) holds every note...
    scale = set(MINOR_SCALE) | {11} if composition.mode == "minor" else set(MAJOR_SCALE)
    assert sum(weights[pc] for pc in scale) == pytest.approx(total)
    # ...and its tonic triad takes a large share of the sounding time.
    third = 3 if composition.mode == "minor" else 4
    assert (weights[0] + weights[third] + weights[7]) / total > 0.4


@pytest.mark.parametrize("genre", list(GENRES))
def test_tempo_length_intro_and_detune_follow_the_request(genre: str) -> None:
    low, high = GENRES[genre].bpm_range
    plain = compose(genre, 3, intro=False, detune=False)
    assert low - 0.01 <= plain.bpm <= high + 0.01
    assert plain.intro_bars == 0
    assert plain.detune_cents == 0.0
    assert 45.0 <= plain.duration_s <= 70.0

    varied = compose(genre, 3, intro=True, detune=True)
    assert varied.intro_bars in (8, 16)
    assert 20.0 <= abs(varied.detune_cents) <= 40.0
    intro_end = varied.intro_bars * 4.0
    pitched = [n for n in varied.notes if n.channel != DRUM_CHANNEL]
    assert min(n.start for n in pitched) >= intro_end  # no harmony in the intro
    assert any(n.start < intro_end for n in varied.notes)  # but drums
    # However long the intro, the harmony still plays at least 30 s.
    assert (varied.length_beats - intro_end) * varied.tempo_us / 1e6 >= 30.0


@pytest.mark.parametrize("seed", range(6))
def test_a_hymn_is_four_voices_in_its_key_at_its_tempo(seed: int) -> None:
    hymn = compose_hymn(seed)
    assert compose_hymn(seed) == hymn
    assert {note.channel for note in hymn.notes} == {0, 1, 2, 3}
    assert 84.0 - 0.01 <= hymn.bpm <= 132.0 + 0.01
    assert hymn.duration_s >= 30.0
    weights = _pitched_weights(hymn)
    scale = set(MINOR_SCALE) | {11} if hymn.mode == "minor" else set(MAJOR_SCALE)
    assert sum(weights[pc] for pc in scale) == pytest.approx(sum(weights))
    # Every note starts on a beat or on the eighth after it (passing notes).
    assert all(note.start * 2 == int(note.start * 2) for note in hymn.notes)


@pytest.mark.parametrize("seed", range(4))
def test_a_florid_hymn_ties_suspends_and_passes_in_every_voice(seed: int) -> None:
    plain, florid = compose_hymn(seed), compose_hymn(seed, florid=True)
    assert compose_hymn(seed, florid=True) == florid
    assert (florid.bpm, florid.tonic, florid.mode) == (plain.bpm, plain.tonic, plain.mode)
    assert florid.genre == "florid hymn"
    # Passing eighths in the bass too, which the plain texture never has.
    assert any(n.channel == 0 and n.duration == 0.5 for n in florid.notes)
    assert not any(n.channel == 0 and n.duration == 0.5 for n in plain.notes)
    # Ties: more notes held for two beats and more than the plain texture's cadences.
    assert sum(n.duration >= 2 for n in florid.notes) > sum(n.duration >= 2 for n in plain.notes)
    # Suspended notes end on a half-beat: held into the beat, resolving after it.
    assert any((n.start + n.duration) % 1.0 == 0.5 and n.duration > 0.5 for n in florid.notes)
    weights = _pitched_weights(florid)
    scale = set(MINOR_SCALE) | {11} if florid.mode == "minor" else set(MAJOR_SCALE)
    assert sum(weights[pc] for pc in scale) == pytest.approx(sum(weights))
