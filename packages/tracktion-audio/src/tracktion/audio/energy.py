"""How energetic a track feels, on the DJ's 1-10 scale.

This is a **perceptual heuristic**, a documented formula over a few signal descriptors;
it is not trained on listener ratings and makes no claim beyond ordering tracks the way
the descriptors do. Each descriptor is mapped to [0, 1] by a clipped linear ramp between
two anchor values, and ``value`` is their weighted mean:

==============  ======  ===============================================  ================
descriptor      weight  measure                                          0 -> 1
==============  ======  ===============================================  ================
loudness        0.30    mean over time of the short-term (3 s) loudness  -30 -> -6 LUFS
onset density   0.20    spectral-flux peaks per second of sound          0 -> 8 per s
percussiveness  0.20    mean positive spectral flux per band and frame   0.5 -> 4 dB
brightness      0.15    median spectral centroid and 85 % roll-off       see below
low-end weight  0.15    share of the power below 150 Hz                  0.1 -> 0.7
==============  ======  ===============================================  ================

Why these: loudness is the strongest cue to intensity, and averaging the short-term
loudness over time also counts how much of the track is at full level (a long breakdown
pulls it down); onset density and flux measure how busy and how hard the rhythm hits (a
four-on-the-floor kick with sixteenth hats against a sustained pad); brightness (centroid
200 -> 3200 Hz and roll-off 500 -> 8000 Hz, each on a log scale, averaged) follows
distortion, open hats and noise risers; the low-end share follows the kick and bass
drive of club music. The anchors were set by hand at values typical of each end (an
ambient pad, a peak-time techno master), not fitted to ratings, and are checked only on
synthetic signals: treat ``value`` as an ordering with DJ-sized steps, not a measurement.
``level = min(10, 1 + floor(10 * value))``; silence is level 1.

An onset is a peak of the flux of at least 1 dB, 70 ms or more after the previous one.
Spectral descriptors use Hann frames of ~93 ms every ~23 ms (2048 / 512 samples at
22050 Hz) and 40 mel bands from 30 Hz; frames below -60 dBFS RMS count as silence.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from tracktion.audio.loudness import LoudnessMeter
from tracktion.audio.results import EnergyResult, LoudnessResult

__all__ = ["WEIGHTS", "EnergyAnalyzer", "energy_level", "estimate_energy"]

WEIGHTS: Final = {
    "loudness": 0.30,
    "onset_density": 0.20,
    "percussiveness": 0.20,
    "brightness": 0.15,
    "low_end": 0.15,
}
"""Weight of each descriptor in ``value`` (they sum to 1)."""

_LOUDNESS_LUFS: Final = (-30.0, -6.0)
_ONSETS_PER_S: Final = (0.0, 8.0)
_FLUX_DB: Final = (0.5, 4.0)
_CENTROID_HZ: Final = (200.0, 3200.0)
_ROLLOFF_HZ: Final = (500.0, 8000.0)
_LOW_SHARE: Final = (0.1, 0.7)

_LOW_END_HZ: Final = 150.0
_ROLLOFF_SHARE: Final = 0.85
_N_MELS: Final = 40
_MEL_FMIN_HZ: Final = 30.0
_FRAME_S: Final = 2048 / 22050
_SILENT_FRAME_DBFS: Final = -60.0
_FLOOR_DB: Final = -80.0
_ONSET_MIN_FLUX_DB: Final = 1.0
_ONSET_MIN_GAP_S: Final = 0.07
# A mono mix-down of a stereo track measured as one channel reads ~3 LU low; counting it
# twice (dual mono, as ffmpeg's ebur128 `dualmono` does) brings it back in line.
_DUAL_MONO: Final = 2.0


def energy_level(value: float) -> int:
    """The 1-10 level of an energy ``value`` in [0, 1]: ``min(10, 1 + floor(10 value))``."""
    if not math.isfinite(value):
        return 1
    return min(10, 1 + math.floor(10 * min(max(value, 0.0), 1.0)))


class EnergyAnalyzer:
    """Incremental energy estimation: feed consecutive mono blocks, then :meth:`result`.

    Memory grows by a few floats per ~23 ms frame; the result does not depend on how the
    signal is cut into blocks.

    Args:
        sr: Sample rate of the blocks in Hz (22050 is what the analyzer uses; any rate
            above 8 kHz works, frames scale with it).
    """

    def __init__(self, sr: int = 22050) -> None:
        if sr < 8000:
            raise ValueError(f"sample rate must be at least 8000 Hz, not {sr}")
        self.sr = sr
        self.n_fft = 2 ** round(math.log2(_FRAME_S * sr))
        self.hop = self.n_fft // 4
        window = signal.get_window("hann", self.n_fft)
        self._window = window.astype(np.float32)
        # Power spectra are scaled so that a full-scale sine peaks at 1 (0 dB).
        self._scale = np.float32(1.0 / (np.sum(window) / 2) ** 2)
        self._freqs = np.fft.rfftfreq(self.n_fft, 1.0 / sr).astype(np.float32)
        self._mel = _mel_filters(self._freqs, _N_MELS, _MEL_FMIN_HZ, min(16000.0, sr / 2))
        self._low = self._freqs < _LOW_END_HZ
        self._meter = LoudnessMeter(sr, 1, weights=[_DUAL_MONO], true_peak=False)
        self._buffer = np.zeros(0, np.float32)
        self._previous: NDArray[np.float32] | None = None
        self._flux: list[NDArray[np.float64]] = []
        self._active: list[NDArray[np.bool_]] = []
        self._centroid: list[NDArray[np.float64]] = []
        self._rolloff: list[NDArray[np.float64]] = []
        self._power_low = 0.0
        self._power_all = 0.0

    def update(self, block: ArrayLike) -> None:
        """Add the next samples: mono, shape ``(n,)`` (or ``(1, n)``), float, full scale
        1.0."""
        y = np.asarray(block, dtype=np.float64)
        if y.ndim == 2 and y.shape[0] == 1:
            y = y[0]
        if y.ndim != 1:
            raise ValueError(f"expected a mono block of shape (n,), not {y.shape}")
        if not len(y):
            return
        if not np.isfinite(y).all():
            y = np.where(np.isfinite(y), y, 0.0)
        self._meter.update(y)
        self._buffer = np.concatenate([self._buffer, y.astype(np.float32)])
        if len(self._buffer) < self.n_fft:
            return
        count = 1 + (len(self._buffer) - self.n_fft) // self.hop
        frames = np.lib.stride_tricks.sliding_window_view(self._buffer, self.n_fft)[:: self.hop][
            :count
        ]
        # Each frame's mean square from running sums: frames overlap four-fold, so
        # squaring them one by one would square every sample four times.
        used = self._buffer[: (count - 1) * self.hop + self.n_fft].astype(np.float64)
        sums = np.concatenate(([0.0], np.cumsum(np.square(used))))
        starts = np.arange(count) * self.hop
        mean_square = (sums[starts + self.n_fft] - sums[starts]) / self.n_fft
        self._frames(frames, np.maximum(mean_square, 0.0))
        self._buffer = self._buffer[count * self.hop :]

    def result(self, loudness: LoudnessResult | None = None) -> EnergyResult:
        """The energy of everything fed so far.

        Args:
            loudness: The track's own :class:`LoudnessResult` (from all its channels); the
                short-term loudness is then calibrated to its integrated loudness. Without
                it, the mono signal is measured as dual mono.

        Returns:
            ``value`` in [0, 1] and ``level`` 1-10; silence (or under 0.1 s of sound) is
            ``EnergyResult(0.0, 1)``.
        """
        descriptors = self.descriptors(loudness)
        if descriptors is None:
            return EnergyResult(value=0.0, level=1)
        value = sum(WEIGHTS[name] * descriptors[name] for name in WEIGHTS)
        value = min(max(value, 0.0), 1.0)
        return EnergyResult(value=value, level=energy_level(value))

    def descriptors(self, loudness: LoudnessResult | None = None) -> dict[str, float] | None:
        """Each descriptor mapped to [0, 1] (the keys of :data:`WEIGHTS`), or ``None`` for
        silence. For inspection and tuning; :meth:`result` combines them."""
        active = np.concatenate(self._active) if self._active else np.zeros(0, bool)
        own = self._meter.result()
        integrated = own.integrated_lufs
        if loudness is not None:
            integrated = loudness.integrated_lufs
        if (
            not active.any()
            or not math.isfinite(integrated)
            or not math.isfinite(own.integrated_lufs)
        ):
            return None
        short_term = self._meter.short_term_lufs()
        if not len(short_term):
            short_term = self._meter.momentary_lufs()
        short_term = short_term + (integrated - own.integrated_lufs)
        flux = np.concatenate(self._flux)
        seconds_active = np.count_nonzero(active) * self.hop / self.sr
        onsets, _ = signal.find_peaks(
            np.where(active, flux, 0.0),
            height=_ONSET_MIN_FLUX_DB,
            distance=max(1, round(_ONSET_MIN_GAP_S * self.sr / self.hop)),
        )
        centroid = float(np.median(np.concatenate(self._centroid)[active]))
        rolloff = float(np.median(np.concatenate(self._rolloff)[active]))
        return {
            "loudness": float(np.mean(_ramp(short_term, *_LOUDNESS_LUFS))),
            "onset_density": float(_ramp(len(onsets) / seconds_active, *_ONSETS_PER_S)),
            "percussiveness": float(_ramp(float(np.mean(flux[active])), *_FLUX_DB)),
            "brightness": float(
                (_log_ramp(centroid, *_CENTROID_HZ) + _log_ramp(rolloff, *_ROLLOFF_HZ)) / 2
            ),
            "low_end": float(_ramp(self._power_low / max(self._power_all, 1e-30), *_LOW_SHARE)),
        }

    def _frames(self, frames: NDArray[np.float32], mean_square: NDArray[np.float64]) -> None:
        """Descriptors of frames of shape ``(count, n_fft)`` (float32 is plenty here),
        whose mean squares are ``mean_square``."""
        magnitude = np.abs(scipy.fft.rfft(frames * self._window, axis=1))
        power = np.square(magnitude) * self._scale
        rms_db = 10 * np.log10(mean_square + 1e-30)
        active = rms_db > _SILENT_FRAME_DBFS
        mel_db = 10 * np.log10(np.maximum(power @ self._mel.T, 10 ** (_FLOOR_DB / 10)))
        previous = mel_db[:1] if self._previous is None else self._previous[np.newaxis]
        rise = np.diff(np.concatenate([previous, mel_db]), axis=0)
        self._flux.append(np.mean(np.maximum(rise, 0.0), axis=1, dtype=np.float64))
        self._previous = mel_db[-1]
        total = np.asarray(np.sum(magnitude, axis=1, dtype=np.float64)) + 1e-30
        self._centroid.append((magnitude @ self._freqs) / total)
        # float32 sums: the roll-off bin is a median's input, and a bin either way of a
        # threshold met within 1e-6 changes nothing.
        cumulative = np.cumsum(magnitude, axis=1)
        index = np.argmax(cumulative >= _ROLLOFF_SHARE * cumulative[:, -1:], axis=1)
        self._rolloff.append(self._freqs[index].astype(np.float64))
        self._active.append(active)
        loud = power[active]
        self._power_low += float(np.sum(loud[:, self._low], dtype=np.float64))
        self._power_all += float(np.sum(loud, dtype=np.float64))


def estimate_energy(
    y: ArrayLike, sr: int, *, loudness: LoudnessResult | None = None
) -> EnergyResult:
    """Energy of a whole signal.

    Args:
        y: Mono samples, shape ``(n,)`` (a ``(channels, n)`` array is mixed down), full
            scale 1.0.
        sr: Sample rate in Hz (>= 8000; 22050 is typical).
        loudness: The track's :class:`LoudnessResult`, if measured already (more exact
            than measuring the mono mix-down).

    Returns:
        :class:`EnergyResult` with ``value`` in [0, 1] and ``level`` 1-10 (see the module
        documentation for the formula).

    Example:
        >>> import numpy as np
        >>> estimate_energy(np.zeros(22050 * 5), 22050)
        EnergyResult(value=0.0, level=1)
    """
    x: NDArray[Any] = np.asarray(y, dtype=np.float64)
    if x.ndim == 2:
        x = np.mean(x, axis=0)
    if x.ndim != 1:
        raise ValueError(f"expected shape (n,) or (channels, n), not {x.shape}")
    analyzer = EnergyAnalyzer(sr)
    step = 30 * sr
    for start in range(0, len(x), step):
        analyzer.update(x[start : start + step])
    return analyzer.result(loudness)


def _mel_filters(
    freqs: NDArray[np.float32], bands: int, low_hz: float, high_hz: float
) -> NDArray[np.float32]:
    """Triangular filters evenly spaced on the mel scale (peak 1, not area-normalized),
    shape ``(bands, len(freqs))``."""
    mel = 2595.0 * np.log10(1.0 + np.array([low_hz, high_hz]) / 700.0)
    edges = 700.0 * (10 ** (np.linspace(mel[0], mel[1], bands + 2) / 2595.0) - 1.0)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def _ramp(x: Any, low: float, high: float) -> Any:
    """0 at ``low``, 1 at ``high``, linear between, clipped; ``-inf`` -> 0."""
    return np.clip((np.asarray(x, np.float64) - low) / (high - low), 0.0, 1.0)


def _log_ramp(x: float, low: float, high: float) -> float:
    if not x > 0:
        return 0.0
    return float(_ramp(math.log2(x), math.log2(low), math.log2(high)))
