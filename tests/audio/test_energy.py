"""Energy: the heuristic orders synthetic tracks as a DJ would, stays in range, and treats
silence as the lowest level."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.audio.signals import groove, pad, techno
from tracktion.audio.decode import resample
from tracktion.audio.energy import WEIGHTS, EnergyAnalyzer, energy_level, estimate_energy
from tracktion.audio.loudness import measure_loudness
from tracktion.audio.results import EnergyResult

SR = 22050
SECONDS = 20.0


@pytest.fixture(scope="module")
def tracks() -> dict[str, np.ndarray]:
    """Stereo at 44.1 kHz, as decoded files would be."""
    return {
        "pad": pad(SECONDS, 44100),
        "groove": groove(SECONDS, 44100),
        "techno": techno(SECONDS, 44100),
    }


def analysis_mono(y: np.ndarray) -> np.ndarray:
    return resample(y.mean(axis=0), 44100, SR)


@pytest.fixture(scope="module")
def energies(tracks: dict[str, np.ndarray]) -> dict[str, EnergyResult]:
    return {
        name: estimate_energy(
            analysis_mono(y), SR, loudness=measure_loudness(y, 44100, true_peak=False)
        )
        for name, y in tracks.items()
    }


def test_quiet_pad_below_groove_below_hard_techno(energies: dict[str, EnergyResult]) -> None:
    assert energies["pad"].value < energies["groove"].value < energies["techno"].value
    assert energies["pad"].level < energies["groove"].level < energies["techno"].level


def test_levels_fall_where_a_dj_would_put_them(energies: dict[str, EnergyResult]) -> None:
    assert energies["pad"].level <= 3
    assert 3 <= energies["groove"].level <= 7
    assert energies["techno"].level >= 8


def test_without_loudness_the_order_holds(tracks: dict[str, np.ndarray]) -> None:
    values = [
        estimate_energy(analysis_mono(tracks[n]), SR).value for n in ("pad", "groove", "techno")
    ]
    assert values == sorted(values)
    assert values[0] < values[1] < values[2]


def test_dual_mono_measure_is_close_to_the_stereo_loudness(tracks: dict[str, np.ndarray]) -> None:
    y = tracks["groove"]
    with_loudness = estimate_energy(analysis_mono(y), SR, loudness=measure_loudness(y, 44100))
    without = estimate_energy(analysis_mono(y), SR)
    assert without.value == pytest.approx(with_loudness.value, abs=0.03)


def test_louder_master_of_the_same_music_is_more_energetic(tracks: dict[str, np.ndarray]) -> None:
    quiet = tracks["groove"] * 10 ** (-12 / 20)
    assert (
        estimate_energy(analysis_mono(quiet), SR).value
        < estimate_energy(analysis_mono(tracks["groove"]), SR).value
    )


def test_faster_denser_rhythm_is_more_energetic() -> None:
    slow = estimate_energy(groove(SECONDS, SR, bpm=80.0)[0], SR)
    fast = estimate_energy(groove(SECONDS, SR, bpm=130.0)[0], SR)
    assert slow.value < fast.value


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.random.default_rng(0).standard_normal(SR * 5) * 0.3,
        lambda: np.sign(np.sin(2 * np.pi * 60 * np.arange(SR * 5) / SR)),  # full-scale square
        lambda: np.clip(np.random.default_rng(1).standard_normal(SR * 5) * 10, -1, 1),
        lambda: np.full(SR * 5, 1e-7),
        lambda: 1e-4 * np.sin(2 * np.pi * 440 * np.arange(SR * 5) / SR),
        lambda: np.random.default_rng(2).standard_normal(SR // 5) * 0.5,  # 0.2 s
    ],
)
def test_value_and_level_stay_in_range(make: object) -> None:
    assert callable(make)
    result = estimate_energy(make(), SR)
    assert 0.0 <= result.value <= 1.0
    assert 1 <= result.level <= 10
    assert result.level == energy_level(result.value)


def test_silence_is_level_one() -> None:
    assert estimate_energy(np.zeros(SR * 10), SR) == EnergyResult(value=0.0, level=1)
    assert estimate_energy(np.zeros(0), SR) == EnergyResult(value=0.0, level=1)
    silent_loudness = measure_loudness(np.zeros((2, SR)), SR)
    assert estimate_energy(np.zeros(SR), SR, loudness=silent_loudness).level == 1


def test_analyzer_does_not_depend_on_block_sizes() -> None:
    y = groove(8.0, SR)[0]
    whole = estimate_energy(y, SR)
    analyzer = EnergyAnalyzer(SR)
    rng = np.random.default_rng(5)
    start = 0
    while start < len(y):
        size = int(rng.choice([1, 100, 511, 2048, 30000]))
        analyzer.update(y[start : start + size])
        start += size
    assert analyzer.result().value == pytest.approx(whole.value, abs=1e-6)


def test_other_sample_rates_agree_within_a_level() -> None:
    y44 = techno(10.0, 44100).mean(axis=0)
    at_44k = estimate_energy(y44, 44100)
    at_22k = estimate_energy(resample(y44, 44100, SR), SR)
    assert abs(at_44k.level - at_22k.level) <= 1
    assert at_44k.value == pytest.approx(at_22k.value, abs=0.05)


def test_stereo_input_is_mixed_down() -> None:
    y = groove(5.0, SR)
    assert estimate_energy(y, SR).value == pytest.approx(
        estimate_energy(y.mean(axis=0), SR).value, abs=1e-9
    )


def test_descriptors_are_documented_and_weighted() -> None:
    assert math.isclose(sum(WEIGHTS.values()), 1.0)
    analyzer = EnergyAnalyzer(SR)
    analyzer.update(techno(5.0, SR)[0])
    descriptors = analyzer.descriptors()
    assert descriptors is not None
    assert set(descriptors) == set(WEIGHTS)
    assert all(0.0 <= v <= 1.0 for v in descriptors.values())
    assert EnergyAnalyzer(SR).descriptors() is None


@pytest.mark.parametrize(
    ("value", "level"),
    [(0.0, 1), (0.05, 1), (0.1, 2), (0.55, 6), (0.95, 10), (1.0, 10), (-1.0, 1), (math.nan, 1)],
)
def test_level_scale(value: float, level: int) -> None:
    assert energy_level(value) == level


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="shape"):
        EnergyAnalyzer(SR).update(np.zeros((2, 100)))
    with pytest.raises(ValueError, match="8000"):
        EnergyAnalyzer(4000)
