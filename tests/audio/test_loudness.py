"""Loudness against the known answers of BS.1770-4 / EBU Tech 3341 and 3342, and against
ffmpeg's ebur128 filter on music-like signals."""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.audio.signals import (
    FFMPEG,
    NO_FFMPEG,
    db_to_amplitude,
    fade,
    groove,
    level_steps,
    pad,
    techno,
    tone,
    write_wav,
)
from tracktion.audio.loudness import (
    LoudnessMeter,
    channel_weights,
    k_weighting,
    measure_loudness,
    true_peak_factor,
)

RATES = [44100, 48000, 96000]


def test_k_weighting_at_48k_is_the_bs1770_table() -> None:
    # ITU-R BS.1770-4, Annex 1, Tables 1 and 2.
    shelf = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    highpass_a = [1.0, -1.99004745483398, 0.99007225036621]
    sos = k_weighting(48000)
    np.testing.assert_allclose(sos[0], shelf + shelf_a, atol=1e-8)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, *highpass_a], atol=1e-8)


@pytest.mark.parametrize("sr", [22050, 32000, 44100, 48000, 88200, 96000, 192000])
def test_k_weighting_has_the_same_response_at_every_rate(sr: int) -> None:
    from scipy import signal

    freqs = np.array([20.0, 38.0, 100.0, 1000.0, 1500.0, 4000.0, 10000.0])
    _, reference = signal.sosfreqz(k_weighting(48000), worN=freqs, fs=48000)
    _, response = signal.sosfreqz(k_weighting(sr), worN=freqs, fs=sr)
    gain = 20 * np.log10(np.abs(response))
    expected = 20 * np.log10(np.abs(reference))
    # The bilinear transform warps frequencies towards each rate's Nyquist frequency: at
    # 22.05 kHz the shelf (1.7 kHz) moves by up to 0.07 dB, from 32 kHz by < 0.05 dB.
    tolerance = 0.1 if sr < 32000 else 0.05
    below = freqs < sr / 5
    np.testing.assert_allclose(gain[below], expected[below], atol=tolerance)


@pytest.mark.parametrize("sr", [*RATES, 192000])
def test_sine_at_minus_23_dbfs_stereo_reads_minus_23_lufs(sr: int) -> None:
    # EBU Tech 3341 test 1: 1 kHz stereo at -23 dBFS -> -23.0 LUFS.
    result = measure_loudness(tone(1000.0, 20.0, sr, peak_dbfs=-23.0).astype(np.float32), sr)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.range_lu == pytest.approx(0.0, abs=0.1)
    assert result.sample_peak_dbfs == pytest.approx(-23.0, abs=0.01)
    assert result.replaygain_db == pytest.approx(5.0, abs=0.1)


def test_tech_3341_level_change_case() -> None:
    # Test 2: -33 dBFS stereo -> -33.0 LUFS.
    result = measure_loudness(tone(1000.0, 20.0, 48000, peak_dbfs=-33.0), 48000)
    assert result.integrated_lufs == pytest.approx(-33.0, abs=0.1)


def test_mono_reads_3_lu_below_the_same_signal_on_two_channels() -> None:
    sr = 48000
    stereo = tone(1000.0, 10.0, sr, peak_dbfs=-23.0)
    mono = measure_loudness(stereo[0], sr)
    both = measure_loudness(stereo, sr)
    assert both.integrated_lufs - mono.integrated_lufs == pytest.approx(
        10 * math.log10(2), abs=0.01
    )
    dual_mono = measure_loudness(stereo[0], sr, weights=[2.0])
    assert dual_mono.integrated_lufs == pytest.approx(both.integrated_lufs, abs=1e-9)


@pytest.mark.parametrize(
    ("levels", "expected_lra"),
    [
        # EBU Tech 3342 tests 1-3: 20 s at one level, then 20 s at another.
        ([-20.0, -30.0], 10.0),
        ([-20.0, -15.0], 5.0),
        ([-40.0, -20.0], 20.0),
    ],
)
def test_loudness_range_of_level_steps(levels: list[float], expected_lra: float) -> None:
    sr = 48000
    result = measure_loudness(level_steps(levels, 20.0, sr), sr, true_peak=False)
    assert result.range_lu == pytest.approx(expected_lra, abs=0.1)
    assert math.isnan(result.true_peak_dbtp)


def test_tech_3342_five_steps() -> None:
    # Test 4: -50, -35, -20, -35, -50 dBFS (the -50 parts fall to the relative gate).
    sr = 48000
    steps = level_steps([-50.0, -35.0, -20.0, -35.0, -50.0], 20.0, sr)
    result = measure_loudness(steps, sr, true_peak=False)
    assert result.range_lu == pytest.approx(15.0, abs=0.1)


def test_relative_gate_ignores_the_quiet_part() -> None:
    sr = 48000
    result = measure_loudness(level_steps([-20.0, -40.0], 10.0, sr), sr, true_peak=False)
    # The -40 LUFS blocks are >10 LU under the ungated mean: only the loud half counts.
    assert result.integrated_lufs == pytest.approx(-20.0, abs=0.1)


def test_absolute_gate_ignores_silence() -> None:
    sr = 48000
    signal = np.concatenate([tone(1000.0, 20.0, sr, peak_dbfs=-23.0), np.zeros((2, 20 * sr))], 1)
    # Only the three 400 ms blocks straddling the end of the tone differ from -23.
    result = measure_loudness(signal, sr, true_peak=False)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=0.05)


@pytest.mark.parametrize("sr", RATES)
def test_true_peak_of_a_quarter_rate_sine_at_45_degrees(sr: int) -> None:
    # Samples land at +-sin(45 deg): the sample peak is 3.01 dB under the true peak.
    y = fade(tone(sr / 4, 5.0, sr, peak_dbfs=-6.0, phase=math.pi / 4), sr)
    result = measure_loudness(y, sr)
    assert result.sample_peak_dbfs == pytest.approx(-6.0 - 3.01, abs=0.01)
    assert result.true_peak_dbtp == pytest.approx(-6.0, abs=0.1)
    assert result.true_peak_dbtp - result.sample_peak_dbfs == pytest.approx(3.01, abs=0.1)


def test_no_oversampling_at_192k() -> None:
    assert [true_peak_factor(sr) for sr in (44100, 48000, 88200, 96000, 176400, 192000)] == [
        4,
        4,
        4,
        2,
        2,
        1,
    ]
    result = measure_loudness(tone(1000.0, 2.0, 192000, peak_dbfs=-1.0), 192000)
    assert result.true_peak_dbtp == result.sample_peak_dbfs


def test_true_peak_of_a_low_sine_equals_its_peak() -> None:
    result = measure_loudness(fade(tone(997.0, 5.0, 44100, peak_dbfs=-0.5), 44100), 44100)
    assert result.true_peak_dbtp == pytest.approx(-0.5, abs=0.01)


def test_silence_is_minus_infinity_not_an_error() -> None:
    result = measure_loudness(np.zeros((2, 48000 * 5), np.float32), 48000)
    assert result.integrated_lufs == -math.inf
    assert result.sample_peak_dbfs == -math.inf
    assert result.true_peak_dbtp == -math.inf
    assert result.range_lu == 0.0
    assert result.replaygain_db == 0.0


def test_shorter_than_one_gating_block() -> None:
    result = measure_loudness(tone(1000.0, 0.3, 48000), 48000)
    assert result.integrated_lufs == -math.inf
    assert result.sample_peak_dbfs == pytest.approx(-20.0, abs=0.01)
    assert measure_loudness(np.zeros((2, 0)), 48000).integrated_lufs == -math.inf


def test_replaygain_is_minus_18_minus_integrated() -> None:
    result = measure_loudness(groove(10.0, 44100), 44100)
    assert result.replaygain_db == pytest.approx(-18.0 - result.integrated_lufs, abs=1e-12)


def test_non_finite_samples_count_as_silence() -> None:
    y = tone(1000.0, 5.0, 48000, peak_dbfs=-23.0)
    clean = measure_loudness(y, 48000)
    y[0, 1000] = np.nan
    y[1, 2000] = np.inf
    dirty = measure_loudness(y, 48000)
    assert dirty.integrated_lufs == pytest.approx(clean.integrated_lufs, abs=0.01)
    assert math.isfinite(dirty.true_peak_dbtp)


def test_meter_result_does_not_depend_on_block_sizes() -> None:
    sr = 44100
    y = groove(12.0, sr).astype(np.float32)
    whole = measure_loudness(y, sr)
    rng = np.random.default_rng(7)
    meter = LoudnessMeter(sr, 2)
    start = 0
    while start < y.shape[1]:
        size = int(rng.choice([1, 7, 512, 4410, 10000, 100000]))
        meter.update(y[:, start : start + size])
        start += size
    streamed = meter.result()
    assert streamed.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=1e-9)
    assert streamed.range_lu == pytest.approx(whole.range_lu, abs=1e-9)
    assert streamed.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=1e-6)
    assert streamed.sample_peak_dbfs == whole.sample_peak_dbfs


def test_meter_keeps_only_100_ms_energies() -> None:
    meter = LoudnessMeter(48000, 2)
    meter.update(tone(1000.0, 10.0, 48000))
    assert meter.momentary_lufs().shape == (100 - 3,)
    assert meter.short_term_lufs().shape == (100 - 29,)
    np.testing.assert_allclose(meter.short_term_lufs(), -20.0, atol=0.1)


def test_meter_rejects_wrong_shapes() -> None:
    meter = LoudnessMeter(48000, 2)
    with pytest.raises(ValueError, match="shape"):
        meter.update(np.zeros((3, 100)))
    with pytest.raises(ValueError, match="weights"):
        LoudnessMeter(48000, 2, weights=[1.0])


def test_channel_weights_for_surround() -> None:
    np.testing.assert_array_equal(channel_weights(2), [1.0, 1.0])
    np.testing.assert_array_equal(channel_weights(6), [1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    np.testing.assert_array_equal(channel_weights(8), [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 1.41, 1.41])
    sr = 48000
    lfe_only = np.zeros((6, 5 * sr))
    lfe_only[3] = tone(60.0, 5.0, sr, peak_dbfs=-10.0, channels=1)[0]
    assert measure_loudness(lfe_only, sr).integrated_lufs == -math.inf
    front, surround = np.zeros((6, 5 * sr)), np.zeros((6, 5 * sr))
    front[0] = surround[4] = tone(1000.0, 5.0, sr, peak_dbfs=-23.0, channels=1)[0]
    gain = (
        measure_loudness(surround, sr).integrated_lufs - measure_loudness(front, sr).integrated_lufs
    )
    assert gain == pytest.approx(10 * math.log10(1.41), abs=0.01)


# --- against ffmpeg ---------------------------------------------------------------------


def ffmpeg_ebur128(path: Path) -> tuple[float, float, float]:
    """Integrated loudness, loudness range and true peak from ffmpeg's summary."""
    assert FFMPEG is not None
    command = [FFMPEG, "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true"]
    output = subprocess.run(
        [*command, "-f", "null", "-"], capture_output=True, text=True, check=True, timeout=60
    ).stderr
    summary = output[output.rindex("Summary:") :]

    def number(pattern: str) -> float:
        match = re.search(pattern + r"\s*(-?inf|-?\d+(?:\.\d+)?)", summary)
        assert match, f"{pattern} not in ffmpeg's summary:\n{summary}"
        return float(match.group(1))

    return number(r"I:"), number(r"LRA:"), number(r"True peak:\s*Peak:")


def with_breakdown(make: Callable[[float, int], np.ndarray], sr: int) -> np.ndarray:
    return np.concatenate([make(8.0, sr), db_to_amplitude(-14.0) * make(6.0, sr), make(8.0, sr)], 1)


MUSIC: dict[str, Callable[[int], np.ndarray]] = {
    "pad": lambda sr: pad(20.0, sr),
    "groove_with_breakdown": lambda sr: with_breakdown(groove, sr),
    "techno": lambda sr: techno(16.0, sr),
}


@pytest.mark.skipif(FFMPEG is None, reason=NO_FFMPEG)
@pytest.mark.parametrize("sr", [44100, 48000])
@pytest.mark.parametrize("name", sorted(MUSIC))
def test_agrees_with_ffmpeg_ebur128(tmp_path: Path, name: str, sr: int) -> None:
    y = MUSIC[name](sr).astype(np.float32)
    path = write_wav(tmp_path / f"{name}.wav", y, sr, subtype="FLOAT")
    integrated, lra, true_peak = ffmpeg_ebur128(path)
    ours = measure_loudness(y, sr)
    # ffmpeg prints one decimal: 0.05 of the tolerance is its rounding.
    assert ours.integrated_lufs == pytest.approx(integrated, abs=0.2)
    assert ours.range_lu == pytest.approx(lra, abs=0.2)
    assert ours.true_peak_dbtp == pytest.approx(true_peak, abs=0.3)
