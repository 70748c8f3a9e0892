"""Loudness per ITU-R BS.1770-4 and EBU R 128: integrated loudness, loudness range (EBU
Tech 3342), true peak (BS.1770-4 Annex 2), sample peak and ReplayGain 2.0 track gain.

The measurement, step by step:

1. **K-weighting** of every channel: a high shelf (+4 dB above ~1.5 kHz, the head's
   acoustic effect) followed by the RLB high-pass (~38 Hz), two biquads (:func:`k_weighting`).
2. **Mean square per 100 ms** of each filtered channel, weighted by its channel weight
   (:func:`channel_weights`) and summed over channels. Only these 100 ms energies are
   kept, so memory grows by one float per 100 ms whatever the block sizes.
3. **Integrated loudness**: 400 ms blocks overlapping by 75 % (four 100 ms energies each),
   loudness ``L = -0.691 + 10 log10(z)``; blocks at or below -70 LUFS are dropped (absolute
   gate), then those 10 LU or more below the loudness of the remaining blocks' mean
   energy (relative gate); the integrated loudness is that of the mean energy of the rest.
4. **Loudness range**: 3 s short-term loudness every 100 ms, absolute gate -70 LUFS,
   relative gate -20 LU, then the spread between the 10th and 95th percentiles.
5. **True peak**: every channel oversampled 4x below 96 kHz, 2x from 96 kHz and not at all
   from 192 kHz (so the peak is sought at >= 176.4 kHz), with a polyphase windowed-sinc
   interpolator run block by block with its history, and the largest magnitude in dBTP.

Channel order (for the weights) is the WAVE / SMPTE order that libsndfile and ffmpeg
deliver: L, R, C, LFE, then surrounds (Ls, Rs, and for 7.1 the back pair). The LFE (the
4th of 6 or more channels) weighs 0, surrounds 1.41 (+1.5 dB); pass ``weights`` when the
file's layout differs (Vorbis 5.1 is L, C, R, Ls, Rs, LFE when not reordered).

>>> import numpy as np
>>> sr = 48000
>>> t = np.arange(10 * sr) / sr
>>> tone = (10 ** (-23 / 20) * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
>>> round(measure_loudness(np.stack([tone, tone]), sr).integrated_lufs, 1)
-23.0
"""

from __future__ import annotations

import functools
import math
from typing import Any, Final

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from tracktion.audio.results import LoudnessResult

__all__ = [
    "ABSOLUTE_GATE_LUFS",
    "LRA_RELATIVE_GATE_LU",
    "RELATIVE_GATE_LU",
    "REPLAYGAIN_REFERENCE_LUFS",
    "LoudnessMeter",
    "channel_weights",
    "k_weighting",
    "measure_loudness",
    "true_peak_factor",
]

ABSOLUTE_GATE_LUFS: Final = -70.0
"""Blocks at or below this loudness are silence to every measurement (BS.1770-4, Tech 3342)."""
RELATIVE_GATE_LU: Final = -10.0
"""Integrated loudness ignores 400 ms blocks this many LU below the loudness of those
that pass the absolute gate."""
LRA_RELATIVE_GATE_LU: Final = -20.0
"""Loudness range ignores short-term values this far below their mean (Tech 3342)."""
REPLAYGAIN_REFERENCE_LUFS: Final = -18.0
"""ReplayGain 2.0 reference level: track gain = -18 LUFS - integrated loudness."""

_SURROUND_WEIGHT: Final = 1.41
_DENORMAL_GUARD: Final = 1e-15
_SEGMENTS_PER_BLOCK: Final = 4  # 400 ms gating blocks of 100 ms energies
_SEGMENTS_PER_SHORT_TERM: Final = 30  # 3 s short-term windows
_LRA_LOW_PERCENTILE: Final = 0.10
_LRA_HIGH_PERCENTILE: Final = 0.95
# True-peak interpolator: 32 taps per phase, Kaiser beta 9 (the length and window of
# ffmpeg's default resampler; BS.1770-4's example has 12): flat within 0.005 dB to 20 kHz
# at 44.1 kHz. It runs as FFT convolutions (one transform of each block for all phases),
# so the length costs little.
_TAPS_PER_PHASE: Final = 32
_KAISER_BETA: Final = 9.0

# Analog prototypes of the two K-weighting stages. BS.1770 tabulates the filters only as
# 48 kHz coefficients; these centre frequencies, gain and Q give back exactly those
# coefficients through the bilinear transform with pre-warping (the derivation libebur128
# uses), and so give the same filters at any other rate.
_SHELF_F0_HZ: Final = 1681.974450955533
_SHELF_GAIN_DB: Final = 3.999843853973347
_SHELF_Q: Final = 0.7071752369554196
_SHELF_BAND_EXPONENT: Final = 0.4996667741545416
_HIGHPASS_F0_HZ: Final = 38.13547087602444
_HIGHPASS_Q: Final = 0.5003270373238773


def k_weighting(sr: int) -> NDArray[np.float64]:
    """The K-weighting filter at ``sr`` as second-order sections for
    :func:`scipy.signal.sosfilt`: shape ``(2, 6)``, the high shelf then the RLB high-pass.

    At 48 kHz these are BS.1770-4's coefficients (Tables 1 and 2) to better than 1e-8.

    Raises:
        ValueError: When ``sr`` is not positive or the shelf (1.68 kHz) is above Nyquist.
    """
    if sr <= 2 * _SHELF_F0_HZ:
        raise ValueError(f"sample rate must exceed {2 * _SHELF_F0_HZ:.0f} Hz, not {sr}")
    k = math.tan(math.pi * _SHELF_F0_HZ / sr)
    vh = 10 ** (_SHELF_GAIN_DB / 20)
    vb = vh**_SHELF_BAND_EXPONENT
    a0 = 1 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / _SHELF_Q + k * k) / a0,
    ]
    k = math.tan(math.pi * _HIGHPASS_F0_HZ / sr)
    a0 = 1 + k / _HIGHPASS_Q + k * k
    # BS.1770 keeps the high-pass numerator at (1, -2, 1): its gain is normalised by the
    # -0.691 dB in the loudness formula, not in the filter.
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def channel_weights(channels: int) -> NDArray[np.float64]:
    """BS.1770-4 channel weights for ``channels`` in WAVE / SMPTE order, shape
    ``(channels,)``.

    1-3 channels (mono, L R, L R C): 1.0 each. 4 (quad L R Ls Rs): 1, 1, 1.41, 1.41.
    5 (L R C Ls Rs): 1, 1, 1, 1.41, 1.41. 6 or more (L R C LFE Ls Rs [Lb Rb ...]): 1, 1, 1,
    0 for the LFE, 1.41 for every further (surround) channel.
    """
    if channels < 1:
        raise ValueError(f"channels must be >= 1, not {channels}")
    if channels <= 3:
        return np.ones(channels)
    if channels == 4:
        return np.array([1.0, 1.0, _SURROUND_WEIGHT, _SURROUND_WEIGHT])
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, _SURROUND_WEIGHT, _SURROUND_WEIGHT])
    return np.array([1.0, 1.0, 1.0, 0.0] + [_SURROUND_WEIGHT] * (channels - 4))


def true_peak_factor(sr: int) -> int:
    """Oversampling for the true peak at ``sr``: 4 below 96 kHz, 2 below 192 kHz, else 1."""
    if sr < 96_000:
        return 4
    if sr < 192_000:
        return 2
    return 1


class LoudnessMeter:
    """Streaming loudness meter: feed consecutive blocks, then read :meth:`result`.

    The result does not depend on how the signal is cut into blocks (filter states and the
    partial 100 ms energy carry over), and memory grows by one float per 100 ms.

    Args:
        sr: Sample rate in Hz (> 3.4 kHz).
        channels: Number of channels of every block.
        weights: Per-channel weights, shape ``(channels,)``; default
            :func:`channel_weights`. ``[2.0]`` measures mono as dual-mono (+3.01 LU).
        true_peak: Measure the true peak (the costliest part, ~60 % of the time);
            without it ``true_peak_dbtp`` is NaN.

    Example:
        >>> meter = LoudnessMeter(44100, 2)
        >>> for block in blocks:  # doctest: +SKIP
        ...     meter.update(block.samples)
        >>> meter.result().integrated_lufs  # doctest: +SKIP
    """

    def __init__(
        self,
        sr: int,
        channels: int,
        *,
        weights: ArrayLike | None = None,
        true_peak: bool = True,
    ) -> None:
        if channels < 1:
            raise ValueError(f"channels must be >= 1, not {channels}")
        self.sr = sr
        self.channels = channels
        # The filters run in float32: four times faster than float64, and the loudness
        # differs by under 1e-5 dB (the energies are summed in float64).
        self._sos = k_weighting(sr).astype(np.float32)
        self._zi = np.zeros((self._sos.shape[0], channels, 2), np.float32)
        w = channel_weights(channels) if weights is None else np.asarray(weights, np.float64)
        if w.shape != (channels,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"weights must be {channels} finite values >= 0, not {w}")
        self._weights = w
        self._hop = max(1, round(sr / 10))
        self._partial_sum = 0.0
        self._partial_count = 0
        self._segments: list[NDArray[np.float64]] = []
        self._sample_peak = 0.0
        self._true_peak = _TruePeakMeter(sr, channels) if true_peak else None

    def update(self, block: ArrayLike) -> None:
        """Add the next samples: shape ``(channels, n)`` (or ``(n,)`` for one channel),
        float, full scale 1.0. Non-finite samples count as 0.

        Raises:
            ValueError: When the shape does not match ``channels``.
        """
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1 and self.channels == 1:
            x = x[np.newaxis]
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ValueError(f"expected shape ({self.channels}, n), not {x.shape}")
        if not x.shape[1]:
            return
        if not np.isfinite(x).all():
            x = np.where(np.isfinite(x), x, np.float32(0.0))
        self._sample_peak = max(self._sample_peak, float(np.max(np.abs(x))))
        if self._true_peak is not None:
            self._true_peak.update(x)
        # The offset keeps the filter states out of subnormal numbers in digital silence
        # (which slow the recursion 20-fold); the high-pass removes it, so it adds
        # nothing above -300 LUFS.
        guarded = x + np.float32(_DENORMAL_GUARD)
        filtered, self._zi = signal.sosfilt(self._sos, guarded, axis=-1, zi=self._zi)
        self._add_energy(self._weights @ np.square(filtered, dtype=np.float64))

    def short_term_lufs(self) -> NDArray[np.float64]:
        """Short-term loudness (3 s windows) every 100 ms so far, in LUFS, shape ``(m,)``;
        below -200 (or ``-inf``) for digital silence, empty before 3 s."""
        return _loudness(_sliding_mean(self._energies(), _SEGMENTS_PER_SHORT_TERM))

    def momentary_lufs(self) -> NDArray[np.float64]:
        """Momentary loudness (400 ms windows) every 100 ms so far, in LUFS, shape ``(m,)``."""
        return _loudness(_sliding_mean(self._energies(), _SEGMENTS_PER_BLOCK))

    def result(self) -> LoudnessResult:
        """The measurement of everything fed so far (the meter can go on after).

        A signal with no 400 ms block above -70 LUFS (silence, or shorter than 0.4 s) has
        ``integrated_lufs = -inf`` and ``replaygain_db = 0.0``: there is no level to
        normalise, and an infinite gain must never reach a tag. Peaks of digital silence
        are ``-inf``. Under 3 s of signal the loudness range is 0.0.
        """
        energies = self._energies()
        integrated = _gated_loudness(_sliding_mean(energies, _SEGMENTS_PER_BLOCK))
        lra = _loudness_range(_sliding_mean(energies, _SEGMENTS_PER_SHORT_TERM))
        replaygain = REPLAYGAIN_REFERENCE_LUFS - integrated if math.isfinite(integrated) else 0.0
        true_peak = math.nan
        if self._true_peak is not None:
            true_peak = _db(max(self._true_peak.peak(), self._sample_peak))
        return LoudnessResult(
            integrated_lufs=integrated,
            range_lu=lra,
            true_peak_dbtp=true_peak,
            sample_peak_dbfs=_db(self._sample_peak),
            replaygain_db=replaygain,
        )

    def _add_energy(self, power: NDArray[np.float64]) -> None:
        """Cut the weighted per-sample power into 100 ms means, carrying the remainder."""
        hop, n = self._hop, len(power)
        need = hop - self._partial_count
        if n < need:
            self._partial_sum += float(np.sum(power))
            self._partial_count += n
            return
        first = (self._partial_sum + float(np.sum(power[:need]))) / hop
        rest = power[need:]
        whole = len(rest) // hop
        means = np.mean(rest[: whole * hop].reshape(whole, hop), axis=1)
        self._segments.append(np.concatenate([[first], means]))
        tail = rest[whole * hop :]
        self._partial_sum = float(np.sum(tail))
        self._partial_count = len(tail)

    def _energies(self) -> NDArray[np.float64]:
        if len(self._segments) > 1:
            self._segments = [np.concatenate(self._segments)]
        return self._segments[0] if self._segments else np.zeros(0)


def measure_loudness(
    x: ArrayLike, sr: int, *, weights: ArrayLike | None = None, true_peak: bool = True
) -> LoudnessResult:
    """Measure a whole signal: shape ``(channels, n)``, or ``(n,)`` for mono; float, full
    scale 1.0; ``sr`` in Hz.

    See :class:`LoudnessMeter` for ``weights`` and ``true_peak``, and
    :meth:`LoudnessMeter.result` for silence and short signals.
    """
    y = np.asarray(x)
    if y.ndim == 1:
        y = y[np.newaxis]
    if y.ndim != 2:
        raise ValueError(f"expected shape (channels, n) or (n,), not {y.shape}")
    meter = LoudnessMeter(sr, y.shape[0], weights=weights, true_peak=true_peak)
    # Blocks of ~10 s bound the float64 temporaries for long files.
    step = 10 * sr
    for start in range(0, y.shape[1], step):
        meter.update(y[:, start : start + step])
    return meter.result()


@functools.cache
def _interpolator_phases(factor: int) -> NDArray[np.float32]:
    """The phases 1..factor-1 of the true-peak interpolator, shape ``(factor - 1, taps)``:
    a windowed sinc with its cutoff at the input's Nyquist frequency. Read-only."""
    if factor == 1:
        return np.zeros((0, 1), np.float32)
    taps = _TAPS_PER_PHASE * factor + 1
    h = signal.firwin(taps, 1.0 / factor, window=("kaiser", _KAISER_BETA))
    padded = np.zeros(-(-taps // factor) * factor)
    padded[:taps] = np.asarray(h, np.float64) * factor
    phases = np.stack([padded[p::factor] for p in range(1, factor)]).astype(np.float32)
    phases.flags.writeable = False
    return phases


@functools.lru_cache(maxsize=16)
def _phase_spectra(factor: int, n: int) -> NDArray[np.complex64]:
    """The transforms of the interpolator's phases at length ``n``, shared by every meter
    (a file's blocks come in a few lengths, and so do the next file's). Read-only."""
    spectra: NDArray[np.complex64] = scipy.fft.rfft(_interpolator_phases(factor), n, axis=-1)
    spectra.flags.writeable = False
    return spectra


class _TruePeakMeter:
    """Polyphase interpolation, block by block.

    Phase ``p`` of the interpolator is the FIR ``h[p::factor]`` at the input rate; phase 0
    returns the input samples themselves (the sample peak covers it), the others are the
    in-between values. Each block is prefixed with the previous block's last samples, so
    the interpolated values equal those of the whole signal at once."""

    def __init__(self, sr: int, channels: int) -> None:
        self.factor = true_peak_factor(sr)
        self._peak = 0.0
        self._phases = _interpolator_phases(self.factor)
        self._history = np.zeros((channels, self._phases.shape[1] - 1), np.float32)

    def update(self, x: NDArray[np.floating[Any]]) -> None:
        if self.factor == 1 or not x.shape[1]:
            return
        held = self._history.shape[1]
        extended = np.concatenate([self._history, x.astype(np.float32)], axis=1)
        # One transform of the block serves every phase (a convolution per phase would
        # transform it again each time): circular convolutions of length n >= the block
        # wrap only into the first ``held`` outputs, which "valid" leaves out anyway.
        n = scipy.fft.next_fast_len(extended.shape[1], real=True)
        spectrum = scipy.fft.rfft(extended, n, axis=-1)
        for phase_spectrum in _phase_spectra(self.factor, n):
            y = scipy.fft.irfft(spectrum * phase_spectrum, n, axis=-1)[:, held : extended.shape[1]]
            self._peak = max(self._peak, float(np.max(y)), -float(np.min(y)))
        self._history = extended[:, extended.shape[1] - held :]

    def peak(self) -> float:
        """The largest interpolated magnitude so far, including the ringing after the
        last sample (the signal's end, as a converter would play it)."""
        if self.factor == 1:
            return self._peak
        saved_history, saved_peak = self._history, self._peak
        self.update(np.zeros_like(self._history))
        peak = self._peak
        self._history, self._peak = saved_history, saved_peak
        return peak


def _sliding_mean(energies: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    if len(energies) < width:
        return np.zeros(0)
    sums = np.cumsum(np.concatenate([[0.0], energies]))
    means: NDArray[np.float64] = (sums[width:] - sums[:-width]) / width
    # Cumulative sums can leave tiny negative residues where the signal is silent.
    return np.maximum(means, 0.0)


def _loudness(energy: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        result: NDArray[np.float64] = -0.691 + 10 * np.log10(energy)
    return result


def _energy_of(lufs: float) -> float:
    return float(10 ** ((lufs + 0.691) / 10))


def _gated_loudness(blocks: NDArray[np.float64]) -> float:
    """BS.1770-4 integrated loudness of 400 ms block energies: -70 LUFS then -10 LU gate."""
    kept = blocks[blocks > _energy_of(ABSOLUTE_GATE_LUFS)]
    if not kept.size:
        return -math.inf
    relative = _energy_of(float(_loudness(np.mean(kept, keepdims=True))[0]) + RELATIVE_GATE_LU)
    kept = kept[kept > relative]
    return float(_loudness(np.mean(kept, keepdims=True))[0])


def _loudness_range(short_term: NDArray[np.float64]) -> float:
    """EBU Tech 3342 loudness range of short-term energies: -70 LUFS and -20 LU gates,
    then L95 - L10 (nearest rank)."""
    kept = short_term[short_term > _energy_of(ABSOLUTE_GATE_LUFS)]
    if not kept.size:
        return 0.0
    relative = _energy_of(float(_loudness(np.mean(kept, keepdims=True))[0]) + LRA_RELATIVE_GATE_LU)
    values = np.sort(_loudness(kept[kept > relative]))
    if len(values) < 2:
        return 0.0
    last = len(values) - 1
    low = values[round(last * _LRA_LOW_PERCENTILE)]
    high = values[round(last * _LRA_HIGH_PERCENTILE)]
    return float(high - low)


def _db(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf
