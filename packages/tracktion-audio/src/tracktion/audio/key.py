"""Musical key detection: tonic and mode, with a confidence, the runner-up and the tuning.

The signal is summarized while it streams in, so memory stays bounded whatever its length
(a few hundred kilobytes per analyzer), and the summary is turned into a key at the end:

1. **Cheap spectrum.** Blocks are resampled to 5512.5 Hz (a streaming soxr resampler),
   cut into 186 ms Hann frames every 46 ms and transformed (zero-padded to 2048 points,
   2.7 Hz bins); only 55-2000 Hz is kept, where bass, chords and melody sit and cymbals
   do not. This is an order of magnitude cheaper than a constant-Q transform at 22050 Hz.
2. **Percussion suppression (HPSS-lite).** Each frequency bin is median-filtered across 7
   frames (0.3 s), as in the harmonic half of median-filtering HPSS (FitzGerald 2010):
   sustained partials pass, while drum hits and the random peaks of noise, which do not
   hold a frequency for half of that window, are removed.
3. **Tonal peaks.** Local maxima standing at least 6 dB above the mean of the surrounding
   ±65 Hz are kept (broadband noise and the remains of drums do not), their frequency
   refined by parabolic interpolation of the log magnitude. Each adds the square root of
   its amplitude (a compressed loudness) to a pitch histogram at 5-cent resolution
   (MIDI 24-96), so frames count by their harmonic energy: a drum-only intro adds almost
   nothing. The same sums, per 2 s segment, are kept for the first 4 minutes.
4. **Tuning.** The histogram folded onto one semitone peaks at the master's deviation from
   A = 440 Hz; its circular mean around the mode gives ``tuning_cents`` in [-50, 50).
   Estimating it from the whole summary at the end needs no first pass over the audio.
5. **Chroma and key.** The histogram is folded onto the 12 pitch classes of the tuned
   scale. Each of the 24 keys is scored by an ensemble of two cross-entropies (the
   chroma read as a distribution, each key profile as a smoothed one) and the opening
   chord:

   - an **audio pop/EDM profile**: the mean tonic-aligned chroma of this very front end
     over diatonic songs in all keys (triads, bass on the roots, melodies, drums in half
     of them) rendered with FluidSynth's General MIDI instruments; it plays the part of
     Faraldo's EDM profiles ("edma"), which were likewise measured on audio, so that
     partials are accounted for, and it carries the natural minor of electronic music
     (a strong minor seventh);
   - **Aarden-Essen** pitch-class distributions (Aarden 2003) of folk melodies, whose
     sharp contrast between scale and chromatic degrees resolves melodies without chords;
   - the **opening**: the first 2 s segment carrying at least 40 % of the mean harmonic
     energy is correlated with the tonic triad of each key (with the partials of the
     notes). Pieces establish the key from their first chord (the tonic opens the
     loop); with half the weight of a profile it decides between keys the profiles
     leave close, chiefly a minor key and its relative major.

   Krumhansl-Kessler (1982) and Temperley (1999) profiles, with partials folded in
   (Gómez 2006), were tried as members too and lowered the score on FluidSynth-rendered
   pieces and folk songs: they are not used.
6. **Confidence.** From the margin between the best and the second-best scores (the
   second is returned as ``runner_up``, its score a softmax share of the 24 keys),
   reduced when the harmony is faint beside noise or drums. ``key=None`` with confidence
   0 when there is no harmonic content (silence, drums, noise): the tonal peaks carry
   less than 1.5 % of the band's spectral mass, or there are none.

Known limits: a key is one per track (modulations are averaged); modes other than major
and minor (dorian, mixolydian) get the closest major or minor key; progressions that
dwell on another chord than the tonic (i-VII-VI-VII) and pieces that open on another
chord than the tonic can be heard in a neighbouring key; a master detuned by close to
50 cents is ambiguous by nature and may come out a semitone away.

>>> import numpy as np
>>> sr = 22050
>>> t = np.arange(4 * sr) / sr
>>> notes = (57, 60, 64)  # A3 C4 E4: an A minor triad
>>> y = sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in notes)
>>> estimate_key((0.2 * y).astype(np.float32), sr).key
'A minor'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.fft
import soxr
from numpy.typing import NDArray

from ._dsp import moving_mean
from .notation import MusicalKey
from .results import KeyCandidate, KeyResult

__all__ = ["KeyAnalyzer", "estimate_key"]

# Front end (see the module documentation for the reasons).
_SR = 5512.5
_WIN = 1024
_N_FFT = 2048
_HOP = 256
_FMIN_HZ = 55.0
_FMAX_HZ = 2000.0
_MEDIAN_FRAMES = 7
_PEAK_DB = 6.0
_BACKGROUND_BINS = 24
_MAX_FRAMES = 256
"""Frames transformed at once: bounds the working memory of one update."""
_SILENCE = 1e-5
"""Peaks below this magnitude (about -100 dBFS for a sine) are ignored."""

# Summary.
_BINS_PER_SEMITONE = 20
_PITCH_LO = 24
_PITCH_HI = 96
_SEGMENT_FRAMES = 43
"""About 2 s of frames per opening segment."""
_OPENING_SEGMENTS = 120
"""Segments kept for the opening (about 4 minutes): longer intros are not searched."""

# Decision.
_OPENING_ENERGY = 0.4
_OPENING_WEIGHT = 0.5
_PROFILE_FLOOR = 0.02
_MIN_TONALITY = 0.015
"""Tonal peaks' share of the band's spectral mass below which there is no key: drums and
noise stay under 0.01, harmony over 0.025 even at 0 dB SNR of pink noise."""
_CLEAR_TONALITY = 0.045
"""Tonality from which the confidence is not reduced (harmony at 10 dB SNR and better)."""
_CONFIDENCE_MARGIN = 0.75
"""Score margin (in standard deviations) that gives a confidence of tanh(1) = 0.76."""
_SCORE_TEMPERATURE = 0.5

_SEMITONES = 12

# Weights of the 12 pitch classes above the tonic (index 0 = tonic ... 11 = major 7th).
_POP_AUDIO = (
    (0.98, 0.08, 0.54, 0.09, 0.62, 0.45, 0.13, 1.00, 0.08, 0.60, 0.10, 0.42),
    (1.00, 0.06, 0.42, 0.61, 0.11, 0.57, 0.09, 0.87, 0.35, 0.15, 0.55, 0.14),
)
"""Audio pop/EDM profile (major, minor); see step 5 of the module documentation."""
_AARDEN_ESSEN = (
    (17.77, 0.15, 14.93, 0.16, 19.80, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95),
    (18.26, 0.74, 14.05, 16.86, 0.70, 14.44, 0.70, 18.62, 4.57, 1.93, 7.38, 1.76),
)
"""Aarden (2003): pitch-class frequencies of Essen folksong melodies (major, minor)."""
_PARTIALS = 6
_PARTIAL_DECAY = 0.6
"""Partials 1-6 of a note, at amplitudes 0.6 ** (k - 1), for the triad templates."""


def _key_matrix(major: NDArray[np.float64], minor: NDArray[np.float64]) -> NDArray[np.float64]:
    """(24, 12): row ``k`` is the profile of key ``k`` (C major ... B major, C minor ...)."""
    return np.array([np.roll(p, tonic) for p in (major, minor) for tonic in range(_SEMITONES)])


def _log_profiles(profile: tuple[tuple[float, ...], tuple[float, ...]]) -> NDArray[np.float64]:
    """Log-probabilities (24, 12) of a profile, floored so one stray note cannot veto."""
    matrix = _key_matrix(*(np.asarray(p, dtype=np.float64) for p in profile))
    matrix /= matrix.sum(axis=1, keepdims=True)
    return np.log((matrix + _PROFILE_FLOOR) / (1.0 + _SEMITONES * _PROFILE_FLOOR))


def _triad_templates() -> NDArray[np.float64]:
    """Zero-mean unit-norm chroma (24, 12) of each key's tonic triad, partials included."""
    partials = np.zeros(_SEMITONES)
    for k in range(1, _PARTIALS + 1):
        partials[round(_SEMITONES * math.log2(k)) % _SEMITONES] += _PARTIAL_DECAY ** (k - 1)
    triads = []
    for third in (4, 3):
        notes = np.zeros(_SEMITONES)
        notes[[0, third, 7]] = 1.0
        # Circular convolution: each note of the triad brings its partials.
        triads.append(np.real(np.fft.ifft(np.fft.fft(notes) * np.fft.fft(partials))))
    matrix = _key_matrix(*triads)
    matrix -= matrix.mean(axis=1, keepdims=True)
    result: NDArray[np.float64] = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return result


_LOG_PROFILES = (_log_profiles(_POP_AUDIO), _log_profiles(_AARDEN_ESSEN))
_TRIADS = _triad_templates()
_HIST_BINS = (_PITCH_HI - _PITCH_LO) * _BINS_PER_SEMITONE
_FOLDED_BINS = _SEMITONES * _BINS_PER_SEMITONE


@dataclass(slots=True)
class _Summary:
    """Everything kept of the signal: fixed-size arrays and counters."""

    hist: NDArray[np.float64] = field(default_factory=lambda: np.zeros(_HIST_BINS))
    """Tonal weight per 5-cent pitch bin, MIDI 24-96."""
    opening: NDArray[np.float64] = field(
        default_factory=lambda: np.zeros((_OPENING_SEGMENTS, _FOLDED_BINS))
    )
    """The same, folded onto one octave, per 2 s segment of the first ones."""
    frames: int = 0
    mass: float = 0.0
    """Sum of the square roots of the band's magnitudes: the tonality's denominator."""

    def copy(self) -> _Summary:
        return _Summary(self.hist.copy(), self.opening.copy(), self.frames, self.mass)


class KeyAnalyzer:
    """Streaming key estimator: feed consecutive mono blocks, then read :meth:`result`.

    Memory is bounded whatever the length of the audio: a summary of a few hundred
    kilobytes, plus 10-15 MB of working arrays while a block is processed (frames are
    transformed 256 at a time), and the result does not depend on how the audio is cut into
    blocks (up to floating-point rounding).

    Args:
        sr: Sample rate of the blocks, in Hz (> 0).

    Raises:
        ValueError: ``sr`` is not positive.

    >>> import numpy as np
    >>> analyzer = KeyAnalyzer(22050)
    >>> analyzer.update(np.zeros(22050, np.float32))
    >>> analyzer.result().key is None
    True
    """

    def __init__(self, sr: int) -> None:
        if sr <= 0:
            raise ValueError(f"sample rate must be positive, not {sr!r}")
        self._sr = sr
        self._samples = 0
        self._resampler = soxr.ResampleStream(sr, _SR, 1, dtype="float32")
        # Frames are centred: frame j covers [j * hop - win / 2, j * hop + win / 2).
        self._pending = np.zeros(_WIN // 2, np.float32)
        self._lo = math.floor(_FMIN_HZ * _N_FFT / _SR)
        self._hi = math.ceil(_FMAX_HZ * _N_FFT / _SR) + 1
        # Frames awaiting the median filter, starting with its zero left padding.
        self._context = np.zeros((_MEDIAN_FRAMES // 2, self._hi - self._lo), np.float32)
        self._window = np.hanning(_WIN + 1)[:-1].astype(np.float32)
        self._summary = _Summary()

    @property
    def sr(self) -> int:
        """Sample rate of the blocks, in Hz."""
        return self._sr

    @property
    def duration_s(self) -> float:
        """Audio received so far, in seconds."""
        return self._samples / self._sr

    def update(self, block: NDArray[np.float32]) -> None:
        """Add the next block of the signal.

        Args:
            block: Mono samples at :attr:`sr`, shape ``(n,)`` with any ``n`` (empty blocks
                are allowed), nominally in [-1, 1].

        Raises:
            ValueError: ``block`` is not one-dimensional or holds NaN or infinity.
        """
        x = np.asarray(block, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"a block is mono audio of shape (n,), not {x.shape}")
        if x.size == 0:
            return
        if not np.isfinite(x).all():
            raise ValueError("a block holds NaN or infinite samples")
        self._samples += x.size
        resampled = self._resampler.resample_chunk(x)
        self._pending = np.concatenate([self._pending, resampled])
        self._context = self._frame(self._pending, self._context, self._summary)
        consumed = self._frames_in(self._pending.size) * _HOP
        self._pending = self._pending[consumed:]

    def result(self) -> KeyResult:
        """The key of the audio received so far (this does not end the stream).

        Returns:
            The key in three notations, with ``confidence`` in [0, 1], the runner-up and
            ``tuning_cents`` in [-50, 50); ``key=None`` and ``confidence=0`` when the
            audio has no harmonic content.
        """
        summary = self._summary.copy()
        # The frames that the end of the stream completes: zeros to the right.
        tail = np.concatenate([self._pending, np.zeros(_WIN // 2, np.float32)])
        context = self._frame(tail, self._context, summary)
        padding = np.zeros((_MEDIAN_FRAMES // 2, context.shape[1]), np.float32)
        self._filter(np.concatenate([context, padding]), summary)
        return _decide(summary)

    @staticmethod
    def _frames_in(n_samples: int) -> int:
        return max(0, (n_samples - _WIN) // _HOP + 1)

    def _frame(
        self, samples: NDArray[np.float32], context: NDArray[np.float32], summary: _Summary
    ) -> NDArray[np.float32]:
        """Transform every complete frame of ``samples``; returns the new median context."""
        total = self._frames_in(samples.size)
        for first in range(0, total, _MAX_FRAMES):
            count = min(_MAX_FRAMES, total - first)
            start = first * _HOP
            span = samples[start : start + (count - 1) * _HOP + _WIN]
            frames = np.lib.stride_tricks.sliding_window_view(span, _WIN)[::_HOP]
            # scipy's FFT keeps float32 (numpy's computes in float64): 5x faster.
            spectrum = scipy.fft.rfft(frames * self._window, n=_N_FFT, axis=1)
            band = np.abs(spectrum[:, self._lo : self._hi])
            context = self._filter(np.concatenate([context, band]), summary)
        return context

    def _filter(self, mags: NDArray[np.float32], summary: _Summary) -> NDArray[np.float32]:
        """Median-filter ``mags`` across time where the window fits; returns what remains
        to be filtered (the last ``_MEDIAN_FRAMES - 1`` frames)."""
        keep = _MEDIAN_FRAMES - 1
        n = mags.shape[0] - keep
        if n <= 0:
            return mags
        harmonic = _median7([mags[i : i + n] for i in range(_MEDIAN_FRAMES)])
        _add_peaks(harmonic, mags[_MEDIAN_FRAMES // 2 : _MEDIAN_FRAMES // 2 + n], self._lo, summary)
        return mags[n:]


# Compare-exchange pairs of a sorting network for 7 values (Knuth, TAOCP 5.3.4) with the
# comparators that cannot change the middle value removed: the median of 7 frames in 14
# elementwise min/max pairs, about 8 times faster than numpy's median over a window axis.
_MEDIAN7_NETWORK = (
    (0, 6), (2, 3), (4, 5), (0, 2), (1, 4), (3, 6), (0, 1),
    (2, 5), (3, 4), (1, 2), (4, 6), (2, 3), (4, 5), (3, 4),
)  # fmt: skip


def _median7(rows: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    """Elementwise median of seven arrays of one shape (which it leaves as they are)."""
    values = list(rows)
    owned = [False] * 7  # the inputs are only read; an array of our own is written over
    for a, b in _MEDIAN7_NETWORK:
        low = np.minimum(values[a], values[b])
        if owned[b]:
            np.maximum(values[a], values[b], out=values[b])
        else:
            values[b], owned[b] = np.maximum(values[a], values[b]), True
        values[a], owned[a] = low, True
    return values[3]


def _add_peaks(
    harmonic: NDArray[np.float32], raw: NDArray[np.float32], lo: int, summary: _Summary
) -> None:
    """Add the tonal peaks of ``harmonic`` (frames, bins from ``lo``) to ``summary``."""
    s = harmonic.astype(np.float64)
    n_frames = s.shape[0]
    first_frame = summary.frames
    summary.frames += n_frames
    summary.mass += float(np.sqrt(raw, dtype=np.float64).sum())
    background = moving_mean(s, _BACKGROUND_BINS)
    mid = s[:, 1:-1]
    threshold = np.maximum(background[:, 1:-1] * 10.0 ** (_PEAK_DB / 20.0), _SILENCE)
    is_peak = (mid > s[:, :-2]) & (mid >= s[:, 2:]) & (mid > threshold)
    t, b = np.nonzero(is_peak)
    b += 1
    left, centre, right = (np.log(s[t, b + d]) for d in (-1, 0, 1))
    curvature = left - 2.0 * centre + right
    safe = np.where(curvature < 0.0, curvature, -1.0)
    delta = np.clip(np.where(curvature < 0.0, 0.5 * (left - right) / safe, 0.0), -0.5, 0.5)
    log_amplitude = centre - 0.25 * (left - right) * delta
    freq = (b + lo + delta) * (_SR / _N_FFT)
    inside = (freq >= _FMIN_HZ) & (freq <= _FMAX_HZ)
    t, freq = t[inside], freq[inside]
    weight = np.exp(0.5 * log_amplitude[inside])
    position = (69.0 + 12.0 * np.log2(freq / 440.0) - _PITCH_LO) * _BINS_PER_SEMITONE
    below = np.floor(position).astype(np.int64)
    above_share = position - below
    segment = (first_frame + t) // _SEGMENT_FRAMES
    for index, share in ((below, 1.0 - above_share), (below + 1, above_share)):
        valid = (index >= 0) & (index < _HIST_BINS)
        summary.hist += np.bincount(
            index[valid], weights=weight[valid] * share[valid], minlength=_HIST_BINS
        )
        early = valid & (segment < _OPENING_SEGMENTS)
        flat = segment[early] * _FOLDED_BINS + index[early] % _FOLDED_BINS
        summary.opening += np.bincount(
            flat, weights=weight[early] * share[early], minlength=summary.opening.size
        ).reshape(summary.opening.shape)


def _tuning_semitones(folded: NDArray[np.float64]) -> float:
    """Deviation from A = 440 Hz, in semitones in [-0.5, 0.5), of a histogram folded onto
    one semitone (``_BINS_PER_SEMITONE`` bins from 0): the circular mean of the bins within
    a quarter semitone of the smoothed mode. The mode keeps the off-tune upper partials
    (the 5th is 14 cents flat of the tempered third, the 7th 31 cents) from pulling."""
    n = folded.size
    smooth = sum(np.roll(folded, shift) * w for shift, w in ((-1, 0.5), (0, 1.0), (1, 0.5)))
    mode = int(np.argmax(smooth))
    distance = (np.arange(n) - mode + n // 2) % n - n // 2
    near = np.abs(distance) <= n // 4
    phase = np.exp(2j * np.pi * np.arange(n) / n)
    return float(np.angle(np.sum(folded[near] * phase[near])) / (2.0 * np.pi))


def _chroma(folded_octave: NDArray[np.float64], tuning: float) -> NDArray[np.float64]:
    """Fold a one-octave histogram (``_FOLDED_BINS`` bins from C) onto 12 pitch classes
    centred on the tuned semitones."""
    pitch = np.arange(_FOLDED_BINS) / _BINS_PER_SEMITONE - tuning
    pitch_class = np.round(pitch).astype(np.int64) % _SEMITONES
    chroma: NDArray[np.float64] = np.bincount(
        pitch_class, weights=folded_octave, minlength=_SEMITONES
    ).astype(np.float64)
    return chroma


def _standardize(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)


def _opening_chroma(summary: _Summary, tuning: float) -> NDArray[np.float64] | None:
    """Chroma of the first segment with at least ``_OPENING_ENERGY`` of the mean segment
    energy, or ``None`` when no stored segment has."""
    n_segments = math.ceil(summary.frames / _SEGMENT_FRAMES)
    mean_energy = float(summary.hist.sum()) / max(1, n_segments)
    energy = summary.opening.sum(axis=1)
    loud = np.nonzero(energy >= _OPENING_ENERGY * mean_energy)[0]
    if loud.size == 0 or mean_energy <= 0:
        return None
    return _chroma(summary.opening[loud[0]], tuning)


def _key_scores(summary: _Summary, tuning: float) -> NDArray[np.float64]:
    """Scores of the 24 keys (C major ... B major, C minor ... B minor): the sum of the
    standardized ensemble members."""
    octave = summary.hist.reshape(-1, _FOLDED_BINS).sum(axis=0)
    chroma = _chroma(octave, tuning)
    distribution = chroma / chroma.sum()
    scores = sum(_standardize(log_profile @ distribution) for log_profile in _LOG_PROFILES)
    opening = _opening_chroma(summary, tuning)
    if opening is not None and opening.std() > 0:
        centred = (opening - opening.mean()) / np.linalg.norm(opening - opening.mean())
        scores = scores + _OPENING_WEIGHT * _standardize(_TRIADS @ centred)
    return np.asarray(scores, dtype=np.float64)


def _decide(summary: _Summary) -> KeyResult:
    tonal = float(summary.hist.sum())
    tonality = tonal / summary.mass if summary.mass > 0.0 else 0.0
    if tonal <= 0.0 or tonality < _MIN_TONALITY:
        return KeyResult(None, None, None, 0.0, None, 0.0)
    octave = summary.hist.reshape(-1, _FOLDED_BINS).sum(axis=0)
    tuning = _tuning_semitones(octave.reshape(_SEMITONES, _BINS_PER_SEMITONE).sum(axis=0))
    scores = _key_scores(summary, tuning)
    order = np.argsort(scores)[::-1]
    probability = np.exp((scores - scores[order[0]]) / _SCORE_TEMPERATURE)
    probability /= probability.sum()
    best, second = (MusicalKey.from_index(int(i)) for i in order[:2])
    margin = float(scores[order[0]] - scores[order[1]])
    return KeyResult(
        key=best.name,
        camelot=best.camelot,
        open_key=best.open_key,
        # Harmony barely above the noise or the drums makes any margin less trustworthy.
        confidence=float(
            np.tanh(margin / _CONFIDENCE_MARGIN) * min(1.0, tonality / _CLEAR_TONALITY)
        ),
        runner_up=KeyCandidate(second.tonic_name, second.mode, float(probability[order[1]])),
        tuning_cents=100.0 * tuning,
    )


def estimate_key(y: NDArray[np.float32], sr: int, *, block_s: float = 30.0) -> KeyResult:
    """Key of a whole mono signal: :class:`KeyAnalyzer` fed in ``block_s`` blocks.

    Args:
        y: Mono samples, shape ``(n,)``, nominally in [-1, 1].
        sr: Sample rate of ``y``, in Hz (> 0).
        block_s: Block length in seconds (> 0): bounds the working memory; the result
            does not depend on it beyond rounding.

    Returns:
        See :meth:`KeyAnalyzer.result`.

    Raises:
        ValueError: ``y`` is not one-dimensional or not finite, ``sr`` or ``block_s`` is
            not positive.

    >>> import numpy as np
    >>> estimate_key(np.zeros(22050, np.float32), 22050).key is None
    True
    """
    if block_s <= 0:
        raise ValueError(f"block_s must be positive, not {block_s!r}")
    samples = np.asarray(y)
    if samples.ndim != 1:
        raise ValueError(f"y is mono audio of shape (n,), not {samples.shape}")
    analyzer = KeyAnalyzer(sr)
    step = max(1, round(block_s * sr))
    for start in range(0, samples.size, step):
        analyzer.update(samples[start : start + step])
    return analyzer.result()
