"""Tempo, beat grid and downbeat on synthetic signals with known answers (tests/audio/synth.py)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray

import tracktion.audio.tempo as tempo_module
from tracktion.audio.errors import AudioError, ErrorCode
from tracktion.audio.results import TempoResult
from tracktion.audio.tempo import MIN_DURATION_S, TempoAnalyzer, estimate_tempo

from .meter_synth import chorale
from .synth import GENRES, TYPICAL_BPM, click_track, drum_loop, melody, tempo_ramp

SR = 22050


def grid_error_s(beats_s: NDArray[np.float64], bpm: float, offset_s: float) -> NDArray[np.float64]:
    """Signed distance of each beat to the nearest beat of the true grid, in seconds."""
    period = 60.0 / bpm
    return (np.asarray(beats_s) - offset_s + period / 2) % period - period / 2


def genre_cases(genre: str) -> Iterator[tuple[float, int, float, float, float | None]]:
    """Eight seeded variants of ``genre`` across its typical range, some swung, detuned or noisy.

    Yields:
        ``(bpm, seed, swing, detune_cents, noise_db)``.
    """
    lo, hi = TYPICAL_BPM[genre]
    swings = {"hip_hop": (0.55, 0.7), "downtempo": (0.0, 0.35), "house": (0.0, 0.2)}
    for k, bpm in enumerate(np.linspace(lo + 0.37, hi - 0.41, 4)):
        for j, swing in enumerate(swings.get(genre, (0.0, 0.0))):
            noise_db = -15.0 if (k + j) % 3 == 0 else None
            yield round(float(bpm), 2), 11 * k + j, swing, (-30.0, 0.0, 25.0, 0.0)[k], noise_db


def test_public_api_is_complete() -> None:
    assert set(tempo_module.__all__) == {
        "MIN_DURATION_S",
        "TempoAnalyzer",
        "analyze_envelope",
        "estimate_tempo",
    }
    for name in tempo_module.__all__:
        assert hasattr(tempo_module, name)


@pytest.mark.parametrize(
    "bpm",
    [70.0, 75.5, 84.0, 90.0, 99.9, 110.0, 120.0, 127.35, 133.0, 140.0, 150.0, 160.0, 172.4, 180.0],
)
def test_click_track_tempo_and_beats(bpm: float) -> None:
    offset = 0.25
    result = estimate_tempo(click_track(bpm, 20.0, SR, offset_s=offset), SR)

    assert result.bpm is not None
    assert result.bpm == pytest.approx(bpm, abs=0.05)
    assert result.stable
    assert result.confidence > 0.5
    assert result.first_beat_s == pytest.approx(offset, abs=0.01)
    assert np.max(np.abs(grid_error_s(result.beats_s, bpm, offset))) < 0.010
    expected_beats = int((20.0 - offset) * bpm / 60.0) + 1
    assert abs(result.beats_s.size - expected_beats) <= 1


@pytest.mark.parametrize("genre", GENRES)
def test_genre_at_the_dj_metrical_level(genre: str) -> None:
    outcomes = []
    for bpm, seed, swing, detune, noise_db in genre_cases(genre):
        y = drum_loop(
            genre, bpm, 20.0, SR, seed=seed, swing=swing, detune_cents=detune, noise_db=noise_db
        )
        outcomes.append((bpm, seed, estimate_tempo(y, SR).bpm))
    at_level = [got is not None and abs(got / bpm - 1.0) < 0.04 for bpm, _, got in outcomes]
    assert np.mean(at_level) >= 0.95, outcomes
    # Steady loops at the right level are exact to a hundredth, give or take 0.1.
    errors = [
        abs(got - bpm)
        for bpm, _, got in outcomes
        if got is not None and abs(got / bpm - 1.0) < 0.04
    ]
    assert max(errors) <= 0.1, outcomes


@pytest.mark.parametrize(
    ("genre", "bpm"),
    [("house", 127.35), ("techno", 131.17), ("drum_and_bass", 174.63), ("hip_hop", 89.17)],
)
def test_non_integer_tempo_to_a_hundredth(genre: str, bpm: float) -> None:
    y = drum_loop(genre, bpm, 25.0, SR, seed=5, swing=0.6 * (genre == "hip_hop"))
    result = estimate_tempo(y, SR)
    assert result.bpm is not None
    assert result.bpm == pytest.approx(bpm, abs=0.03)
    assert result.bpm == round(result.bpm, 2)


@pytest.mark.parametrize(
    ("genre", "bpm", "offset"),
    [
        ("house", 124.0, 0.37),
        ("techno", 130.0, 1.234),
        ("trance", 138.0, 0.6),
        ("drum_and_bass", 174.0, 0.85),
        ("dubstep", 140.0, 2.0),
        ("hip_hop", 90.0, 0.5),
        ("downtempo", 80.0, 1.1),
    ],
)
def test_first_beat_and_downbeat_after_silence(genre: str, bpm: float, offset: float) -> None:
    loop = drum_loop(genre, bpm, 20.0, SR, seed=3, swing=0.6 * (genre == "hip_hop"), intro_beats=8)
    y = np.concatenate((np.zeros(round(offset * SR), dtype=np.float32), loop))
    result = estimate_tempo(y, SR)

    assert result.first_beat_s == pytest.approx(offset, abs=0.02)
    assert result.first_downbeat_s == pytest.approx(offset, abs=0.02)
    assert np.median(np.abs(grid_error_s(result.beats_s, bpm, offset))) < 0.010


@pytest.mark.parametrize(
    ("genre", "bpm"), [("drum_and_bass", 174.0), ("dubstep", 140.0), ("hip_hop", 90.0)]
)
def test_downbeat_found_when_the_loop_starts_mid_bar(genre: str, bpm: float) -> None:
    period = 60.0 / bpm
    loop = drum_loop(genre, bpm, 22.0, SR, seed=8, swing=0.6 * (genre == "hip_hop"))
    y = loop[round(2 * period * SR) :]  # starts on beat 3: the first downbeat is 2 beats in
    result = estimate_tempo(y, SR)

    assert result.first_beat_s == pytest.approx(0.0, abs=0.02)
    assert result.first_downbeat_s == pytest.approx(2 * period, abs=0.02)


@pytest.mark.parametrize(
    ("genre", "bpm", "bpm_range", "expected"),
    [
        ("drum_and_bass", 172.0, (60.0, 120.0), 86.0),
        ("dubstep", 140.0, (60.0, 120.0), 70.0),
        ("house", 124.0, (60.0, 120.0), 62.0),
        ("downtempo", 75.0, (90.0, 180.0), 150.0),
        ("hip_hop", 90.0, (90.0, 180.0), 90.0),
        ("drum_and_bass", 172.0, (70.0, 180.0), 172.0),
    ],
)
def test_bpm_range_folds_the_tempo(
    genre: str, bpm: float, bpm_range: tuple[float, float], expected: float
) -> None:
    y = drum_loop(genre, bpm, 20.0, SR, seed=2, swing=0.6 * (genre == "hip_hop"))
    result = estimate_tempo(y, SR, bpm_range=bpm_range)
    assert result.bpm == pytest.approx(expected, abs=0.05)
    beat_period = 60.0 / expected
    assert np.median(np.diff(result.beats_s)) == pytest.approx(beat_period, rel=0.001)


@pytest.mark.parametrize("bpm_range", [(100.0, 150.0), (0.0, 120.0), (120.0, 60.0), (100.0, 400.0)])
def test_invalid_range_is_rejected(bpm_range: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="bpm_range"):
        TempoAnalyzer(SR, bpm_range=bpm_range)


def test_variable_tempo_has_a_curve_from_120_to_128() -> None:
    seconds = 60.0
    result = estimate_tempo(tempo_ramp(120.0, 128.0, seconds, SR, seed=3), SR)

    assert not result.stable
    assert result.bpm == pytest.approx(124.0, abs=1.0)
    curve = result.curve_bpm
    assert curve.shape == result.curve_times_s.shape
    assert curve.size >= 10
    assert 119.5 < curve[0] < 122.0
    assert 126.0 < curve[-1] < 128.5
    assert np.all(np.diff(curve) > -0.3)  # rising, give or take the estimation noise
    # Each curve point is the tempo of the ramp at its time.
    truth = 120.0 + 8.0 * result.curve_times_s / seconds
    assert np.max(np.abs(curve - truth)) < 0.8
    # Beats follow the ramp: beat x falls where the integrated tempo reaches x.
    a, b = 8.0 / (120.0 * seconds), 2.0
    true_beats = (-b + np.sqrt(b * b + 4 * a * np.arange(130))) / (2 * a)
    nearest = np.abs(result.beats_s[:, None] - true_beats[None, :]).min(axis=1)
    assert np.median(nearest) < 0.010
    assert np.mean(nearest < 0.020) > 0.95


def test_stable_loop_has_a_flat_curve() -> None:
    result = estimate_tempo(drum_loop("techno", 128.0, 40.0, SR, seed=4), SR)
    assert result.stable
    assert result.curve_bpm.size >= 5
    assert np.allclose(result.curve_bpm, 128.0, rtol=0.01)
    assert np.all(np.diff(result.curve_times_s) > 0)


def test_silence_has_no_tempo() -> None:
    result = estimate_tempo(np.zeros(20 * SR, dtype=np.float32), SR)
    assert result == TempoResult(
        bpm=None,
        confidence=0.0,
        stable=False,
        first_beat_s=None,
        first_downbeat_s=None,
        beats_s=result.beats_s,
        curve_times_s=result.curve_times_s,
        curve_bpm=result.curve_bpm,
    )
    assert result.beats_s.size == 0


@pytest.mark.parametrize("kind", ["white", "pink", "sine", "drone"])
def test_beatless_audio_has_low_confidence_and_no_tempo(kind: str) -> None:
    rng = np.random.default_rng(7)
    t = np.arange(20 * SR) / SR
    signals = {
        "white": 0.1 * rng.standard_normal(t.size),
        "pink": 0.002 * np.cumsum(rng.standard_normal(t.size)),
        "sine": 0.3 * np.sin(2 * np.pi * 440.0 * t),
        "drone": 0.3 * np.sin(2 * np.pi * 55.0 * t) + 0.1 * np.sin(2 * np.pi * 110.5 * t),
    }
    result = estimate_tempo(signals[kind].astype(np.float32), SR)
    assert result.bpm is None
    assert result.confidence < 0.12
    assert result.beats_s.size == 0
    assert result.first_beat_s is None


@pytest.mark.parametrize(("bpm", "seed"), [(84.0, 1), (96.0, 2), (108.0, 1), (120.0, 2)])
def test_melody_without_drums_has_a_tempo(bpm: float, seed: int) -> None:
    # Pitched note onsets have little flux on average but stand out as bursts.
    result = estimate_tempo(melody(bpm, 30.0, SR, seed=seed), SR)
    assert result.bpm is not None
    assert result.bpm == pytest.approx(bpm, rel=0.04)


def test_noise_confidence_is_far_below_a_loop() -> None:
    noise = 0.1 * np.random.default_rng(1).standard_normal(20 * SR)
    noise_result = estimate_tempo(noise.astype(np.float32), SR)
    loop_result = estimate_tempo(drum_loop("house", 124.0, 20.0, SR, seed=1), SR)
    assert noise_result.confidence < 0.12
    assert 0.5 < loop_result.confidence <= 1.0


def test_a_two_second_clip_is_too_short() -> None:
    y = drum_loop("house", 124.0, 2.0, SR, seed=1)
    with pytest.raises(AudioError) as raised:
        estimate_tempo(y, SR)
    assert raised.value.code is ErrorCode.TOO_SHORT
    assert "2.00 s" in str(raised.value)


def test_just_long_enough_clip_gives_a_tempo() -> None:
    result = estimate_tempo(drum_loop("house", 124.0, MIN_DURATION_S + 0.5, SR, seed=1), SR)
    assert result.bpm == pytest.approx(124.0, abs=0.5)


def test_short_range_minimum_follows_the_slowest_tempo() -> None:
    y = drum_loop("downtempo", 70.0, 4.5, SR, seed=1)  # 5.25 beats at 70: enough
    assert estimate_tempo(y, SR).bpm is not None
    with pytest.raises(AudioError):  # four beats at 40 BPM take 6 s
        estimate_tempo(y, SR, bpm_range=(40.0, 80.0))


@pytest.mark.parametrize("noise_db", [-20.0, -10.0, -3.0])
def test_noisy_loops_keep_their_tempo(noise_db: float) -> None:
    for genre, bpm in (("house", 125.0), ("drum_and_bass", 174.0), ("hip_hop", 92.0)):
        y = drum_loop(
            genre, bpm, 20.0, SR, seed=6, swing=0.6 * (genre == "hip_hop"), noise_db=noise_db
        )
        result = estimate_tempo(y, SR)
        assert result.bpm == pytest.approx(bpm, abs=0.1), genre
        assert result.confidence > 0.2


@pytest.mark.parametrize("detune_cents", [-50.0, 35.0])
def test_detuned_loops_keep_their_tempo(detune_cents: float) -> None:
    for genre, bpm in (("trance", 138.0), ("dubstep", 140.0), ("downtempo", 76.0)):
        y = drum_loop(genre, bpm, 20.0, SR, seed=9, detune_cents=detune_cents)
        assert estimate_tempo(y, SR).bpm == pytest.approx(bpm, abs=0.1), genre


@pytest.mark.parametrize("sr", [8000, 16000, 44100, 48000])
def test_other_sample_rates(sr: int) -> None:
    for genre, bpm in (("house", 124.3), ("drum_and_bass", 173.1), ("hip_hop", 88.4)):
        y = drum_loop(genre, bpm, 20.0, sr, seed=5, swing=0.6 * (genre == "hip_hop"))
        result = estimate_tempo(y, sr)
        assert result.bpm == pytest.approx(bpm, abs=0.1), genre
        assert result.first_downbeat_s == pytest.approx(0.0, abs=0.02), genre


def test_envelope_does_not_depend_on_block_sizes() -> None:
    y = drum_loop("drum_and_bass", 172.0, 12.0, SR, seed=1)
    whole = TempoAnalyzer(SR)
    whole.update(y)
    reference = whole.envelope()
    assert reference.shape == (int(np.ceil(y.size / whole.hop)), 6)

    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, y.size), size=36, replace=False))
    splits = {
        "37 uneven blocks": np.split(y, cuts),
        "hop-sized blocks": np.array_split(y, y.size // whole.hop),
        "tiny blocks": [y[i : i + 97] for i in range(0, y.size, 97)],
        "with empty blocks": [y[:5000], y[5000:5000], y[5000:]],
    }
    for name, blocks in splits.items():
        analyzer = TempoAnalyzer(SR)
        for block in blocks:
            analyzer.update(block)
        np.testing.assert_allclose(
            analyzer.envelope(), reference, rtol=1e-4, atol=1e-3, err_msg=name
        )
        result, expected = analyzer.result(), whole.result()
        assert result.bpm == expected.bpm, name
        np.testing.assert_allclose(result.beats_s, expected.beats_s, atol=1e-4, err_msg=name)


def test_result_can_be_read_while_streaming() -> None:
    y = drum_loop("house", 126.0, 30.0, SR, seed=2)
    analyzer = TempoAnalyzer(SR)
    analyzer.update(y[: 15 * SR])
    early = analyzer.result()
    analyzer.update(y[15 * SR :])
    assert early.bpm == pytest.approx(126.0, abs=0.05)
    assert analyzer.result().bpm == pytest.approx(126.0, abs=0.02)
    assert analyzer.duration_s == pytest.approx(30.0)


def test_estimate_tempo_equals_the_streaming_analyzer() -> None:
    y = drum_loop("trance", 138.0, 20.0, SR, seed=3)
    analyzer = TempoAnalyzer(SR, bpm_range=(60.0, 120.0))
    analyzer.update(y)
    streamed = analyzer.result()
    direct = estimate_tempo(y, SR, bpm_range=(60.0, 120.0))
    assert direct.bpm == streamed.bpm == pytest.approx(69.0, abs=0.05)
    np.testing.assert_array_equal(direct.beats_s, streamed.beats_s)


def test_result_shapes_and_ranges() -> None:
    result = estimate_tempo(drum_loop("dubstep", 140.0, 20.0, SR, seed=1), SR)
    assert 0.0 <= result.confidence <= 1.0
    assert result.beats_s.dtype == np.float64
    assert np.all(np.diff(result.beats_s) > 0)
    assert result.first_beat_s == result.beats_s[0]
    assert result.first_downbeat_s in result.beats_s[:4]
    assert result.beats_s[-1] <= 20.0
    assert result.curve_times_s.shape == result.curve_bpm.shape


def test_an_hour_long_mix_stays_in_bounded_memory() -> None:
    loop = drum_loop("techno", 128.0, 30.0, SR, seed=1)  # 64 beats: tiles seamlessly
    analyzer = TempoAnalyzer(SR)
    tracemalloc.start()
    try:
        for _ in range(120):
            analyzer.update(loop)
        streaming_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        result = analyzer.result()
        analysis_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert analyzer.duration_s == pytest.approx(3600.0)
    assert analyzer.envelope().nbytes < 8e6  # 20 bytes per 11.6 ms hop
    assert streaming_peak < 40e6
    assert analysis_peak < 150e6
    assert result.bpm == pytest.approx(128.0, abs=0.01)
    assert result.beats_s.size == pytest.approx(7680, abs=2)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (np.zeros((2, 100), dtype=np.float32), "mono"),
        (np.array([0.0, np.nan], dtype=np.float32), "NaN"),
    ],
)
def test_invalid_blocks_are_rejected(block: NDArray[np.float32], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TempoAnalyzer(SR).update(block)


def test_low_sample_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="8000"):
        TempoAnalyzer(4000)


def test_synthetic_signals_are_deterministic() -> None:
    a = drum_loop("hip_hop", 90.0, 3.0, SR, seed=1, swing=0.5, noise_db=-20.0)
    b = drum_loop("hip_hop", 90.0, 3.0, SR, seed=1, swing=0.5, noise_db=-20.0)
    c = drum_loop("hip_hop", 90.0, 3.0, SR, seed=2, swing=0.5, noise_db=-20.0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32
    assert a.shape == (3 * SR,)


@pytest.mark.parametrize("kind", ["white", "brown", "clicks"])
def test_noise_is_never_pitched(kind: str) -> None:
    rng = np.random.default_rng(3)
    n = 12 * SR
    signals = {
        "white": 0.1 * rng.standard_normal(n),
        "brown": np.cumsum(rng.standard_normal(n)) * 0.002,
        "clicks": np.where(rng.random(n) < 3 / SR, 0.9, 0.0) + 0.001 * rng.standard_normal(n),
    }
    analyzer = TempoAnalyzer(SR)
    analyzer.update(signals[kind].astype(np.float32))
    flatness = analyzer.flatness()
    assert flatness is not None
    assert flatness > tempo_module.PITCHED_FLATNESS + 0.1


def test_notes_are_pitched_and_the_flatness_ignores_the_block_split() -> None:
    y = chorale(96.0, 12.0, SR, seed=1)
    whole = TempoAnalyzer(SR)
    whole.update(y)
    split = TempoAnalyzer(SR)
    for block in np.array_split(y, 13):
        split.update(block)
    assert whole.flatness() == split.flatness()
    assert (whole.flatness() or 1.0) < tempo_module.PITCHED_FLATNESS
    silent = TempoAnalyzer(SR)
    silent.update(np.zeros(5 * SR, dtype=np.float32))
    assert silent.flatness() is None


@pytest.mark.parametrize("seed", range(3))
def test_pitched_audio_trusts_a_weaker_tonal_periodicity(seed: int) -> None:
    # A beat in the tonal flux alone (100 BPM) under enough noise that its periodicity
    # scores 0.05-0.10: trusted for pitched audio (a choir), not for unpitched or unknown.
    rng = np.random.default_rng(seed)
    fps = SR / 256
    t = np.arange(int(30 * fps)) / fps
    bands = rng.exponential(1.0, (t.size, 3))
    level = np.full(t.size, 10.0)
    tonal = np.exp(-((t % 0.6) / 0.05)) + 0.6 * rng.exponential(1.0, t.size)
    unknown = tempo_module.analyze_envelope(bands, level, fps, tonal=tonal)
    noisy = tempo_module.analyze_envelope(bands, level, fps, tonal=tonal, flatness=0.6)
    pitched = tempo_module.analyze_envelope(bands, level, fps, tonal=tonal, flatness=0.3)
    assert unknown.bpm is None
    assert noisy.bpm is None
    assert pitched.bpm == pytest.approx(100.0, abs=0.5)
    assert tempo_module.MIN_PITCHED_CONFIDENCE <= pitched.confidence < tempo_module.MIN_CONFIDENCE
