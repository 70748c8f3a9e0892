"""The metrical level a DJ counts, on patterns with known answers (tests/audio/meter_synth.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tracktion.audio._meter import (
    CLEAR_PERIODICITY,
    PRIOR_CENTRE_BPM,
    WEAK_PERIODICITY,
    WEIGHT_PRIOR,
    _backbeat,
    choose_level,
    durational_accent,
    percussiveness,
)
from tracktion.audio.decode import load
from tracktion.audio.tempo import TempoAnalyzer, estimate_tempo

from .meter_synth import (
    chorale,
    compound_clicks,
    dnb_break,
    legato_melody,
    song_melody,
    syncopated_downtempo,
    waltz_melody,
)
from .synth import drum_loop

SR = 22050
SECONDS = 15.0
DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("bpm", [96.0, 120.0, 138.0])
def test_six_eight_counts_the_dotted_quarter(bpm: float) -> None:
    # Eighths at 3 * bpm, in threes: the beat is the dotted quarter, not two eighths.
    result = estimate_tempo(compound_clicks(bpm, SECONDS, SR, seed=1), SR)
    assert result.bpm == pytest.approx(bpm, abs=0.1)


@pytest.mark.parametrize(("bpm", "seed"), [(85.0, 0), (85.0, 1), (92.0, 2)])
def test_syncopated_sixteenth_kicks_are_not_doubled(bpm: float, seed: int) -> None:
    result = estimate_tempo(syncopated_downtempo(bpm, SECONDS, SR, seed=seed), SR)
    assert result.bpm == pytest.approx(bpm, abs=0.1)
    assert np.median(np.diff(result.beats_s)) == pytest.approx(60.0 / bpm, rel=0.002)


@pytest.mark.parametrize(("bpm", "seed"), [(174.0, 0), (170.0, 1), (176.5, 2)])
def test_drum_and_bass_break_is_counted_fast(bpm: float, seed: int) -> None:
    result = estimate_tempo(dnb_break(bpm, SECONDS, SR, seed=seed), SR)
    assert result.bpm == pytest.approx(bpm, abs=0.1)


@pytest.mark.parametrize(("bpm", "seed"), [(84.0, 0), (90.0, 1), (88.0, 2)])
def test_song_in_running_eighths_counts_the_quarter_note(bpm: float, seed: int) -> None:
    # Eighths at 168-180 are as periodic as the quarters; the quarters carry the long notes.
    result = estimate_tempo(song_melody(bpm, SECONDS, SR, seed=seed), SR)
    assert result.bpm == pytest.approx(bpm, rel=0.01)


@pytest.mark.parametrize(("bpm", "seed"), [(92.0, 0), (126.0, 1)])
def test_waltz_counts_the_quarter_note(bpm: float, seed: int) -> None:
    result = estimate_tempo(waltz_melody(bpm, SECONDS, SR, seed=seed), SR)
    assert result.bpm == pytest.approx(bpm, rel=0.01)


@pytest.mark.parametrize(
    ("make", "bpm", "bpm_range", "expected"),
    [
        (syncopated_downtempo, 85.0, (90.0, 180.0), 170.0),
        (dnb_break, 174.0, (60.0, 120.0), 87.0),
        (syncopated_downtempo, 85.0, (60.0, 120.0), 85.0),
    ],
)
def test_the_range_still_folds_these_patterns(
    make: object, bpm: float, bpm_range: tuple[float, float], expected: float
) -> None:
    assert callable(make)
    result = estimate_tempo(make(bpm, SECONDS, SR), SR, bpm_range=bpm_range)
    assert result.bpm == pytest.approx(expected, abs=0.1)


def _bar_profile(hits: dict[int, float], bins: int = 96) -> np.ndarray:
    """A four-beat mid-band profile: a triangle of height ``gain`` at beat ``b`` for each
    ``b: gain``, over a floor of 1."""
    profile = np.ones(bins)
    for beat, gain in hits.items():
        centre = beat * bins // 4
        for offset, weight in ((-1, 0.5), (0, 1.0), (1, 0.5)):
            profile[(centre + offset) % bins] += gain * weight
    return profile


@pytest.mark.parametrize(
    ("hits", "low", "high"),
    [
        ({1: 2.0, 3: 2.0}, 0.95, 1.0),  # snare on 2 and 4
        ({0: 2.0, 2: 2.0}, 0.95, 1.0),  # the same, a beat earlier
        ({1: 2.0, 3: 1.6}, 0.75, 0.85),  # one backbeat weaker: 0.8
        ({2: 2.0}, 0.0, 0.0),  # half time: one beat of four
        ({0: 2.0, 1: 2.0, 2: 2.0, 3: 2.0}, 0.0, 0.0),  # every beat
        ({1: 2.0, 3: 2.0, 0: 1.0, 2: 1.0}, 0.45, 0.55),  # lighter hits between
        ({}, 0.0, 0.0),  # nothing at all
    ],
)
def test_backbeat_measures_two_and_four(hits: dict[int, float], low: float, high: float) -> None:
    assert low <= _backbeat(_bar_profile(hits)) <= high


@pytest.mark.parametrize(("bpm", "seed"), [(90.0, 0), (116.0, 1)])
def test_legato_melody_has_its_tempo(bpm: float, seed: int) -> None:
    # Tied notes with 60 ms attacks: only the change of pitch marks an onset, which the
    # tonal flux (per-bin log magnitudes against a widened previous frame) hears.
    result = estimate_tempo(legato_melody(bpm, SECONDS, SR, seed=seed), SR)
    assert result.bpm == pytest.approx(bpm, rel=0.04)


@pytest.mark.parametrize(("bpm", "seed"), [(80.0, 1), (96.0, 1), (104.0, 2)])
def test_sustained_chorale_without_drums_has_its_tempo(bpm: float, seed: int) -> None:
    # Held voices with slow attacks and vibrato: the bands' flux is mostly the flicker of
    # held notes (the mixed envelope's periodicity falls under the cut-off); the tonal
    # flux alone still hears the note changes on the beat.
    result = estimate_tempo(chorale(bpm, 30.0, SR, seed=seed), SR)
    assert result.bpm == pytest.approx(bpm, rel=0.04)
    assert 0.10 <= result.confidence < 0.4
    assert result.beats_s.size > 0


@pytest.mark.parametrize(
    ("bpm", "seed", "attack_s", "vibrato"),
    [(100.0, 0, 0.35, 0.012), (120.0, 0, 0.25, 0.012), (112.0, 2, 0.35, 0.0), (88.0, 1, 0.35, 0.0)],
)
def test_a_choir_keeps_the_more_confident_envelope(
    bpm: float, seed: int, attack_s: float, vibrato: float
) -> None:
    # Slow attacks (a quarter to a third of a second), with a singer's vibrato or
    # without: the mixed envelope's periodicity is trusted but weak and hears the flicker
    # of held notes at another tempo; the tonal flux alone is more confident and right.
    y = chorale(bpm, 30.0, SR, seed=seed, attack_s=attack_s, vibrato=vibrato)
    result = estimate_tempo(y, SR)
    assert result.bpm == pytest.approx(bpm, rel=0.04)


@pytest.mark.parametrize(
    ("bpm", "seed", "attack_s", "vibrato"), [(112.0, 0, 0.25, 0.0), (120.0, 1, 0.25, 0.012)]
)
def test_a_choir_is_counted_on_its_notes(
    bpm: float, seed: int, attack_s: float, vibrato: float
) -> None:
    # The mixed envelope's periodicity is too weak to trust: its bands only flicker with
    # the held notes, so the metrical level is read off the tonal flux (read off the
    # bands, these came out at 2/3 of their beat).
    y = chorale(bpm, 30.0, SR, seed=seed, attack_s=attack_s, vibrato=vibrato)
    assert estimate_tempo(y, SR).bpm == pytest.approx(bpm, rel=0.04)


@pytest.mark.parametrize(
    ("name", "bpm"),
    [
        ("florid-choir-115bpm", 115.29),
        ("florid-choir-101bpm", 100.70),
        ("florid-choir-104bpm", 104.25),
    ],
)
def test_a_rendered_choir_is_heard_by_its_chord_changes(name: str, bpm: float) -> None:
    # A rendered choir singing florid four-part harmony (tests/audio/data/README.md): no
    # onset envelope hears a periodicity to trust (all under 0.1); the harmonic change
    # does, from 0.13 to 0.30.
    audio = load(DATA / f"{name}.ogg", sr=SR, mono=True)
    result = estimate_tempo(audio.samples[0], SR)
    assert result.bpm == pytest.approx(bpm, rel=0.04)
    assert 0.1 < result.confidence < 0.4  # less sure than of drums (0.4 and more)


def test_the_harmonic_change_peaks_where_slow_chords_change() -> None:
    # Chords sung with 0.3 s attacks, one per beat at 100 BPM: the harmonic change rises
    # right after each change, and stays near 0 while a chord holds.
    beat = 0.6
    t = np.arange(int(beat * SR)) / SR
    attack = np.minimum(t / 0.3, 1.0)
    chords = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (57, 60, 64)] * 4
    y = np.concatenate(
        [
            attack * sum(np.sin(2 * np.pi * 440.0 * 2 ** ((m - 69) / 12) * t) for m in c)
            for c in chords
        ]
    )
    analyzer = TempoAnalyzer(SR)
    analyzer.update((0.2 * y).astype(np.float32))
    change = analyzer.envelope()[:, 5]
    assert np.all((change >= 0.0) & (change <= 1.0))
    changes = [round(i * beat * analyzer.fps) for i in range(1, len(chords))]
    near = [change[c : c + round(0.15 * analyzer.fps)].max() for c in changes]
    between = [
        change[c + round(0.3 * analyzer.fps) : c + round(0.5 * analyzer.fps)].max() for c in changes
    ]
    assert min(near) > 3 * max(between)  # C major after A minor keeps two notes: the least


def test_the_harmonic_change_hears_chords_through_vibrato_and_breath() -> None:
    # The same chords sung by voices with a 1.2 % vibrato at 5-6.5 Hz each, under breath
    # noise 20 dB down: averaged over windows, the chroma still changes with the chords
    # (18 times more than within them), where two single frames 93 ms apart heard the
    # vibrato about as much (1.5 times).
    rng = np.random.default_rng(0)
    beat = 0.6
    t = np.arange(int(beat * SR)) / SR
    attack = np.minimum(t / 0.3, 1.0)

    def voice(midi: int) -> np.ndarray:
        wobble = 1 + 0.012 * np.sin(2 * np.pi * rng.uniform(5.0, 6.5) * t + rng.uniform(0, 7))
        phase = 2 * np.pi * np.cumsum(440.0 * 2 ** ((midi - 69) / 12) * wobble) / SR
        partials: np.ndarray = np.sin(np.outer(np.arange(1, 5), phase)).T @ 0.6 ** np.arange(4)
        return partials

    chords = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (57, 60, 64)] * 4
    y = np.concatenate([attack * sum(voice(m) for m in c) for c in chords])
    y = 0.1 * y / np.abs(y).max() + 0.01 * rng.standard_normal(y.size)
    analyzer = TempoAnalyzer(SR)
    analyzer.update(y.astype(np.float32))
    change = analyzer.envelope()[:, 5]
    changes = [round(i * beat * analyzer.fps) for i in range(1, len(chords))]
    near = [change[c : c + round(0.15 * analyzer.fps)].max() for c in changes]
    within = [
        change[c + round(0.3 * analyzer.fps) : c + round(0.45 * analyzer.fps)].max()
        for c in changes
    ]
    assert min(near) > 5 * max(within)


def test_the_envelope_has_a_tonal_flux_column() -> None:
    analyzer = TempoAnalyzer(SR)
    analyzer.update(legato_melody(100.0, 6.0, SR))
    envelope = analyzer.envelope()
    assert envelope.shape[1] == 6
    assert np.all(envelope[:, 4] >= 0.0)
    # Note changes every half beat at the most: the tonal flux peaks at least that often.
    peaks = np.flatnonzero(durational_accent(envelope[:, 4].astype(np.float64), analyzer.fps))
    assert peaks.size >= 6 * 100.0 / 60.0 / 2


def test_a_steady_tone_has_no_tonal_flux() -> None:
    t = np.arange(5 * SR) / SR
    analyzer = TempoAnalyzer(SR)
    analyzer.update((0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32))
    tonal = analyzer.envelope()[10:-10, 4]
    assert float(tonal.max()) < 0.01


def test_durational_accent_weights_onsets_by_the_time_to_the_next() -> None:
    fps = 100.0
    x = np.zeros(400)
    x[[10, 30, 40, 80]] = 1.0
    x[[11, 31]] = 0.5  # the tail of an onset is no onset of its own
    accent = durational_accent(x, fps)
    assert np.flatnonzero(accent).tolist() == [10, 30, 40, 80]
    assert accent[[10, 30, 40, 80]] == pytest.approx([0.2, 0.1, 0.4, 1.0])
    assert not durational_accent(np.zeros(50), fps).any()


def test_percussiveness_ramps_from_melodies_to_drums() -> None:
    assert percussiveness(0.0) == 0.0
    assert percussiveness(0.08) == 0.0
    assert percussiveness(0.12) == pytest.approx(0.5)
    assert percussiveness(0.16) == 1.0
    assert percussiveness(0.9) == 1.0


def test_drums_are_percussive_and_melodies_are_not() -> None:
    def low_activity(y: np.ndarray) -> float:
        analyzer = TempoAnalyzer(SR)
        analyzer.update(y)
        envelope = analyzer.envelope().astype(np.float64)
        return float(envelope[:, 0].mean() / envelope[:, 3].mean())

    assert percussiveness(low_activity(drum_loop("house", 124.0, 6.0, SR, seed=1))) == 1.0
    assert percussiveness(low_activity(legato_melody(100.0, 6.0, SR))) == 0.0


def test_a_weak_periodicity_leaves_the_level_to_salience_and_prior() -> None:
    # A choir's slow attacks leave the folded envelope noise, whose "cues" must not move
    # the level away from the comb's peak: with a weak periodicity each level scores its
    # salience and the prior alone; with a clear one the cues count (here hits a quarter
    # beat after each beat of 120, which read as sixteenths).
    rng = np.random.default_rng(7)
    fps, bpm = 22050 / 256, 120.0
    n = int(40 * fps)
    phase = np.arange(n, dtype=np.float64) * (bpm / 60.0 / fps)
    x = rng.random((n, 3))
    x[np.abs(np.mod(phase, 1.0) - 0.25) < 0.02] += 3.0
    x /= x.mean(axis=0)
    grid = 60.0 * 2.0 ** np.arange(0.0, 1.6, 0.005)
    salience = np.exp(-(np.log2(grid / bpm) ** 2) / 2e-4) + 0.5 * np.exp(
        -(np.log2(grid / (1.5 * bpm)) ** 2) / 2e-4
    )

    def levels(confidence: float) -> dict[float, tuple[float, float]]:
        candidates = choose_level(
            x, fps, phase, bpm, salience_at=(grid, salience), bpm_range=(70.0, 180.0),
            percussive=0.0, confidence=confidence,
        )  # fmt: skip
        return {c.ratio: (c.salience, c.score) for c in candidates}

    def prior(ratio: float) -> float:
        return float(WEIGHT_PRIOR * 0.5 * np.log2(ratio * bpm / PRIOR_CENTRE_BPM) ** 2)

    weak = levels(WEAK_PERIODICITY)
    for ratio, (relative, score) in weak.items():
        assert score == pytest.approx(np.log(relative) - prior(ratio))
    assert max(weak, key=lambda ratio: weak[ratio][1]) == 1.0
    clear = levels(CLEAR_PERIODICITY)
    assert any(abs(clear[r][1] - np.log(clear[r][0]) + prior(r)) > 0.1 for r in clear)
