"""Key detection on synthetic signals with known keys (see tests/audio/harmony.py)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soxr

from tests.audio.harmony import (
    MAJOR_PROGRESSIONS,
    MINOR_PROGRESSIONS,
    SR,
    percussion,
    render_key,
)
from tracktion.audio import key as key_module
from tracktion.audio.key import KeyAnalyzer, estimate_key
from tracktion.audio.notation import KEY_NAMES, parse_key
from tracktion.audio.results import KeyResult


def _assert_consistent(result: KeyResult) -> None:
    assert result.key is not None
    assert result.camelot == parse_key(result.key).camelot
    assert result.open_key == parse_key(result.key).open_key
    assert 0.0 <= result.confidence <= 1.0
    assert result.runner_up is not None
    assert result.runner_up.name != result.key
    assert 0.0 <= result.runner_up.score <= 1.0
    assert -50.0 <= result.tuning_cents < 50.0


@pytest.mark.parametrize("name", KEY_NAMES)
def test_cadence_in_each_of_the_24_keys(name: str) -> None:
    # I-IV-V-I or i-iv-V-i, with the scale as a melody.
    result = estimate_key(render_key(name, duration_s=10.0, seed=KEY_NAMES.index(name)), SR)
    assert result.key == name
    _assert_consistent(result)
    assert abs(result.tuning_cents) < 2.0


@pytest.mark.parametrize("tonic", ["C", "E", "G#", "A#"])
@pytest.mark.parametrize(
    ("mode", "numerals"),
    [("major", p) for p in MAJOR_PROGRESSIONS] + [("minor", p) for p in MINOR_PROGRESSIONS],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else value,
)
def test_progressions_that_establish_the_tonic_avoid_the_relative_key(
    tonic: str, mode: str, numerals: tuple[str, ...]
) -> None:
    # Relative keys share their notes (A minor and C major): only the emphasis on the
    # tonic chord tells them apart. No melody: the chords alone must do it.
    name = f"{tonic} {mode}"
    result = estimate_key(render_key(name, numerals=numerals, duration_s=10.0, melody=False), SR)
    assert result.key == name


@pytest.mark.parametrize("cents", [30.0, -30.0, 45.0, -45.0])
@pytest.mark.parametrize("name", ["C major", "A minor", "F# major", "D# minor"])
def test_detuned_masters_keep_their_key_and_report_the_tuning(name: str, cents: float) -> None:
    result = estimate_key(render_key(name, duration_s=10.0, detune_cents=cents), SR)
    assert result.key == name
    assert result.tuning_cents == pytest.approx(cents, abs=8.0)


@pytest.mark.parametrize("name", ["D minor", "B major", "F minor"])
def test_drums_and_white_noise_at_10_db_snr(name: str) -> None:
    y = render_key(name, duration_s=12.0, drums=True, snr_db=10.0, seed=3)
    result = estimate_key(y, SR)
    assert result.key == name
    _assert_consistent(result)


@pytest.mark.parametrize("name", ["E minor", "G# major"])
def test_a_16_beat_drum_intro_does_not_mislead(name: str) -> None:
    # 8 s of drums alone at 120 BPM, then the harmony over the drums.
    y = render_key(name, duration_s=18.0, intro_beats=16, seed=5)
    assert estimate_key(y, SR).key == name


def test_silence_has_no_key() -> None:
    result = estimate_key(np.zeros(5 * SR, np.float32), SR)
    assert result == KeyResult(None, None, None, 0.0, None, 0.0)


@pytest.mark.parametrize("bpm", [90.0, 128.0, 174.0])
def test_drums_alone_have_no_key(bpm: float) -> None:
    y = percussion(10.0, bpm=bpm, rng=np.random.default_rng(int(bpm)))
    result = estimate_key(y, SR)
    assert result.key is None
    assert result.confidence == 0.0


def test_noise_alone_has_no_key() -> None:
    y = 0.1 * np.random.default_rng(7).standard_normal(10 * SR).astype(np.float32)
    assert estimate_key(y, SR).key is None


def test_empty_signal_has_no_key() -> None:
    assert estimate_key(np.zeros(0, np.float32), SR).key is None


def test_harmony_gives_more_confidence_than_harmony_in_noise() -> None:
    clean = estimate_key(render_key("G major", duration_s=10.0, seed=2), SR)
    noisy = estimate_key(render_key("G major", duration_s=10.0, seed=2, snr_db=0.0), SR)
    assert noisy.key == "G major"
    assert clean.confidence > noisy.confidence > 0.0


def test_one_block_or_many_give_the_same_result() -> None:
    y = render_key("C# minor", duration_s=12.0, drums=True, intro_beats=4, seed=9)
    whole = KeyAnalyzer(SR)
    whole.update(y)
    pieces = KeyAnalyzer(SR)
    rng = np.random.default_rng(1)
    start = 0
    while start < y.size:
        size = int(rng.choice([0, 1, 37, 511, 4096, 30_000]))
        pieces.update(y[start : start + size])
        start += size
    a, b = whole.result(), pieces.result()
    assert a.key == b.key == "C# minor"
    assert b.tuning_cents == pytest.approx(a.tuning_cents, abs=0.01)
    assert b.confidence == pytest.approx(a.confidence, abs=1e-3)
    assert a.runner_up is not None
    assert b.runner_up is not None
    assert b.runner_up.name == a.runner_up.name
    assert b.runner_up.score == pytest.approx(a.runner_up.score, abs=1e-3)
    assert pieces.duration_s == whole.duration_s == pytest.approx(12.0)


def test_result_can_be_read_mid_stream_without_ending_it() -> None:
    y = render_key("F major", duration_s=12.0, seed=4)
    reference = estimate_key(y, SR)
    analyzer = KeyAnalyzer(SR)
    analyzer.update(y[: 5 * SR])
    assert analyzer.result().key == "F major"
    analyzer.update(y[5 * SR :])
    result = analyzer.result()
    assert result.key == reference.key
    assert result.confidence == pytest.approx(reference.confidence, abs=1e-9)
    assert result.tuning_cents == pytest.approx(reference.tuning_cents, abs=1e-9)


@pytest.mark.parametrize("sr", [44100, 48000, 16000])
def test_other_sample_rates(sr: int) -> None:
    y = soxr.resample(render_key("B minor", duration_s=10.0, seed=6), SR, sr)
    result = estimate_key(y.astype(np.float32), sr)
    assert result.key == "B minor"
    assert abs(result.tuning_cents) < 2.0


def test_memory_does_not_grow_with_the_length_of_the_audio() -> None:
    block = render_key("A minor", duration_s=30.0, drums=True, seed=8)

    def peak_bytes(blocks: int) -> int:
        analyzer = KeyAnalyzer(SR)
        tracemalloc.start()
        for _ in range(blocks):
            analyzer.update(block)
        analyzer.result()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    # 1 minute against 10 minutes: the summary has a fixed size.
    short, long = peak_bytes(2), peak_bytes(20)
    assert long < 1.1 * short + 100_000


def test_estimate_key_blocks_do_not_change_the_result() -> None:
    y = render_key("D major", duration_s=12.0, drums=True, seed=10)
    a, b = estimate_key(y, SR), estimate_key(y, SR, block_s=0.7)
    assert a.key == b.key == "D major"
    assert b.confidence == pytest.approx(a.confidence, abs=1e-3)


def test_invalid_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="sample rate"):
        KeyAnalyzer(0)
    analyzer = KeyAnalyzer(SR)
    with pytest.raises(ValueError, match=r"shape \(n,\)"):
        analyzer.update(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        analyzer.update(np.full(100, np.nan, np.float32))
    with pytest.raises(ValueError, match="block_s"):
        estimate_key(np.zeros(100, np.float32), SR, block_s=0.0)
    with pytest.raises(ValueError, match=r"shape \(n,\)"):
        estimate_key(np.zeros((100, 2), np.float32), SR)


def test_public_names_resolve() -> None:
    assert len(key_module.__all__) == len(set(key_module.__all__))
    for name in key_module.__all__:
        assert hasattr(key_module, name), name
