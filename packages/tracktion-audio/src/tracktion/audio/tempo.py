"""Tempo (BPM at 0.01 resolution), confidence, tempo curve, beat grid and first downbeat.

Entry points:

* :class:`TempoAnalyzer` reads consecutive mono blocks of any length (the whole-file
  analyzer feeds it 22050 Hz blocks while decoding) and keeps only the onset envelope:
  six float32 values per hop of 11.6 ms, 7.5 MB per hour of audio.
* :func:`estimate_tempo` runs it over an in-memory mono signal.
* :func:`analyze_envelope` is the analysis both end with, on an envelope (kept, say,
  from an earlier pass); its steps live in :mod:`._beats`.

The onset envelope is a spectral flux in three bands, computed block by block: Hann
frames of about 46 ms (1024 samples at 22050 Hz) every quarter frame, the magnitude
(square root of the mean power) of each frame in 14 half-octave bands from 30 Hz to
10.5 kHz, and its positive frame-to-frame increase averaged into a low band (< 220 Hz:
kick, bass), a mid band (snare body, chords, voice) and a high band (> 2.6 kHz: hats,
snare noise). Why these choices:

* Separate bands let the tempo analysis tell kicks from snares and hats
  (:mod:`._beats`), which is what places drum and bass at 170 and hip-hop at 90.
* 46 ms resolves the partials of bass notes and chords (21.5 Hz bins), whose beating
  in shorter frames makes steady tones look like onsets; at a quarter-frame hop the
  frame rate (86 Hz) is above the window's modulation bandwidth, so nothing aliases.
* Magnitudes rather than decibels: a log jumps as soon as an onset enters the frame's
  edge, whatever its position, while a magnitude rises smoothly with the window, so the
  envelope keeps where within a hop each onset falls. Folding many beats then places
  the beat grid to about a millisecond and the tempo to a few thousandths of a BPM.
  The track's gain cancels in the analysis, which normalizes each band by its mean.

Beside the bands, a **tonal flux** per frame hears the notes of melodies without drums,
whose onsets are soft and often stay within one band (a violin moving by a tone):
SuperFlux (Boeck & Widmer, "Maximum filter vibrato suppression for onset detection",
DAFx 2013) on the bins from 150 Hz to 5 kHz: log-compressed magnitudes
(``log1p(magnitude / -60 dB)``), each compared with the largest of its bin and the two
neighbouring bins one frame earlier, the rises averaged. The maximum filter keeps vibrato
and glides, which move a partial by a bin, from counting as onsets. Here a log is right:
it makes a quiet note's rise count as much as a loud one's. The periodicity is measured
on the mean of the three unit-mean bands and the unit-mean tonal flux, and the metrical
level weighs each note by its duration (:mod:`._meter`). When that mixed envelope's
periodicity is too weak to trust (under :data:`MIN_CONFIDENCE`), the tonal flux alone
is tried: in sustained music without drums (organ, choir, strings) the bands only
flicker with the held notes and drown the note changes that carry the beat. Its cut-off
is lower for pitched audio (:meth:`TempoAnalyzer.flatness`: a spectrum whose partials
stand out, which no noise has), as choirs' slow, wavering attacks give it least; and for
pitched audio whose mixed periodicity is trusted but weak (under
:data:`TONAL_ALONE_CONFIDENCE`), the more confident of the two envelopes is kept. When
the mixed periodicity was not even trusted, the metrical level's cues (:mod:`._meter`)
are read off the tonal flux too, the bands being the flicker of held notes.

A last envelope, the **harmonic change** (after Harte & Sandler, "Detecting harmonic
change in musical audio", 2006), hears choirs whose notes start too slowly, and under too
much breath, for any onset to stand out: the bins from 150 Hz to 2 kHz are folded onto
the 12 pitch classes (quartic roots of the power, so that quiet voices count), and at
every frame the mean chroma of the 139 ms before it is compared with that of the 139 ms
after it (cosine distance): Foote's novelty ("Automatic audio segmentation using a
measure of audio novelty", 2000) with a checkerboard kernel on the chroma's cosine
similarity. Chords change on the beat however slowly they are sung; averaging over
windows keeps vibrato, breath and passing notes from looking like changes, where two
single frames 93 ms apart (the measure before) did not. It is the last resort for pitched
audio where nothing else is trusted: from :data:`MIN_HARMONY_CONFIDENCE` it shows the
music rhythmic, and the more confident of it and the mixed envelope gives the tempo.

Frames are centred on ``i * hop`` as with ``librosa.stft(center=True)``: the stream is
preceded by half a frame of zeros, and :meth:`TempoAnalyzer.result` finishes the last
frames against half a frame of zeros without consuming them. The pending samples and
the previous frame's band and bin magnitudes carry across blocks, so any block split
gives the same envelope. The whole estimate takes about 25 ms per 30 s of
audio on one (shared) core, half the time of ``librosa.beat.beat_track``
(``benchmarks/tempo_quick.py``); the tonal flux and the metrical cues of
:mod:`._meter` cost about a quarter of it.

Known limit: a beatless piece whose chords or notes change at random times (an ambient
pad moving every second or two) can show a chance periodicity, with a confidence of
0.05-0.3, and get a tempo; the confidence is then as low as a choir's. Silence, noise,
drones and steady tones get none.

Example:
    >>> import numpy as np
    >>> sr = 22050
    >>> clicks = np.zeros(30 * sr, dtype=np.float32)
    >>> clicks[:: sr // 2] = 1.0  # 120 BPM
    >>> result = estimate_tempo(clicks, sr)
    >>> result.bpm, result.stable
    (120.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from ._beats import (
    DEFAULT_BPM_RANGE,
    GRID_STEP_OCT,
    HARMONICS_ACF,
    HIGH,
    LOW,
    MID,
    RANGE_SLACK,
    autocorrelation,
    downbeat_index,
    grid_beats,
    parabolic_peak,
    refine_bpm,
    tempo_curve,
    tempo_salience,
    track_beats,
)
from ._dsp import moving_mean
from ._meter import choose_level, durational_accent, percussiveness
from .errors import AudioError, ErrorCode
from .results import TempoResult

__all__ = ["MIN_DURATION_S", "TempoAnalyzer", "analyze_envelope", "estimate_tempo"]

MIN_DURATION_S = 4.0
"""Shortest signal analyzed, in seconds; longer when the range's slowest tempo needs it
(four beats at ``bpm_range[0]``). Shorter input raises ``AudioError(TOO_SHORT)``: a
couple of beats cannot tell 120 from 121, nor 85 from 170."""

MIN_SR = 8000
FRAME_S = 0.0464
"""Frame length aimed at, in seconds: the nearest power of two of samples is used (1024
at 22050 Hz, 2048 at 44100 and 48000 Hz); the hop is a quarter of it."""
BAND_EDGES_HZ = (
    *(30.0, 90.0, 150.0, 220.0, 320.0, 460.0, 650.0, 920.0),
    *(1300.0, 1850.0, 2600.0, 3700.0, 5200.0, 7400.0, 10500.0),
)
"""Edges of the 14 bands, in Hz: about half an octave wide, clipped at 0.45 * sr."""
LOW_MAX_HZ = 220.0
MID_MAX_HZ = 2600.0
REFERENCE_POWER = 1e-9
"""Unit of the band powers: -90 dB of mean power per bin (white noise of variance 1 has
1), so a band magnitude of 1 is the silence threshold of :mod:`._beats`."""
BLOCK_S = 30.0
ACTIVE_RATIO = 100.0
"""Frames whose level is within 40 dB (a magnitude ratio of 100) of the loud level, its
99th percentile, are music: leading and trailing silence is left out."""

MIN_ACTIVITY = 0.04
"""Mean flux over mean level below which nothing really starts: no beat. Drum loops score
about 0.2 (0.19 under white noise at 0 dB SNR); steady tones and drones under 0.03, their
flux being the ripple of partials leaking into each other's bands."""

MIN_ONSET_HEIGHT = 0.1
"""Height of the onsets, over the mean level, from which music with little flux on
average still has beats: the 99th percentile of a band's flux minus its median. Melodies
without drums (plucked, bowed, blown notes) reach 0.18 and more in the mid band; the
ripple of steady tones and drones stays under 0.05 (a sine 0.001)."""

MIN_CONFIDENCE = 0.10
"""Below this confidence no periodicity is trusted: ``bpm`` is ``None``. White, pink and
brown noise score 0.02-0.06, clicks at random times up to 0.09, drum loops under noise at
0 dB SNR still above 0.3; drumless folk melodies can score as low as 0.11 and still have
a clear tempo. Sustained four-voice chorales (the tests' synthetic ones) score 0.07-0.10
on the mixed envelope and 0.13-0.40 on the tonal flux alone, where noise stays under 0.05."""

PITCHED_FLATNESS = 0.45
"""Median whitened spectral flatness (see :meth:`TempoAnalyzer.flatness`) under which audio
is pitched: noise of any colour, crowds and random clicks measure 0.58-0.62, drum tracks
0.28-0.40, choir 0.22-0.32, strings and piano 0.09-0.15, organ 0.05."""
MIN_PITCHED_CONFIDENCE = 0.05
"""The cut-off of the tonal flux alone for pitched audio: choirs (slow attacks, vibrato)
score 0.05-0.13 there, noise never counts as pitched."""
TONAL_ALONE_CONFIDENCE = 0.3
"""Confidence of the mixed envelope's periodicity under which, for pitched audio, the
tonal flux alone is tried too, and kept when it is more confident: choirs and slow
strings, whose mixed envelope hears the flicker of held notes beside the note changes.
Drum tracks score 0.4 and more."""
FLATNESS_EVERY = 8
"""Every this many frames enter the flatness, which is a property of the whole track."""
FLATNESS_HALF_WIDTH = 8
"""Bins each side of the moving average that whitens a frame's power spectrum."""

TONAL_LOW_HZ = 150.0
TONAL_HIGH_HZ = 5000.0
"""Bins of the tonal flux, in Hz: the fundamentals and first partials of melodies."""
MIN_HARMONY_CONFIDENCE = 0.025
"""Cut-off of the harmonic change, the last resort for pitched audio whose other
envelopes hear no trusted periodicity: rendered choirs singing florid four-part harmony
(ties, suspensions, passing notes), whose mixed envelope scores 0.03-0.10, score 0.05-0.39
there, mostly at the right tempo (the benchmark's florid hymns: 200 pieces of five seeds,
one with two chords on a fifth of the beats).
Above it the music counts as rhythmic and the more confident of the two envelopes gives
the tempo: a piece whose harmonic change scored 0.050 had its tempo in the mixed
envelope, at 0.052. Held chords changing at random times score 0-0.10 (see the module's
known limit)."""
CHORD_HIGH_HZ = 2000.0
"""Highest frequency of the chroma whose changes make the harmonic-change envelope."""
CHORD_WINDOW = 12
"""Frames in each of the two windows whose mean chroma the harmonic change compares: 139
ms at 22050 Hz, longer than a choir's or a string section's attack is slow, and shorter
than a sung eighth note at 100 BPM. On the benchmark's florid hymns (160 pieces, four
seeds) windows of 8 to 20 frames find every tempo, 6 frames miss 1 and 4 frames 2; the
former measure, two single chroma 8 frames apart, missed 7."""
TONAL_WEIGHT = 1.0
"""Weight of the tonal flux beside each of the three bands in the periodicity envelope."""
TONAL_FLOOR = 30.0
"""Magnitude, in the band unit (1 is -90 dB), from which the tonal flux compresses
logarithmically: -60 dB, so that rises of quiet partials count in proportion to their
ratio while the noise floor's flicker stays small."""

STABLE_TOLERANCE = 0.01
"""The tempo curve staying within ±1 % of its median makes a track stable."""
MAX_FRAMES_PER_STEP = 1024
"""Frames transformed at once: about 4 MB of float32, which stays in cache."""


class TempoAnalyzer:
    """Streaming tempo and beat-grid estimator.

    Feed consecutive mono blocks with :meth:`update`, then call :meth:`result` (as often
    as wanted: it does not consume the state). Memory is the onset envelope, 24 bytes
    per hop, and the flatness of every eighth frame, 8 bytes (7.7 MB per hour at 22050
    Hz), plus one frame of samples; :meth:`result` needs about 65 MB more for an
    hour-long mix.

    Args:
        sr: Sample rate of the blocks, in Hz, >= 8000 (22050 is the design point).
        bpm_range: ``(lo, hi)`` in BPM: the metrical level reported lies in this range.
            It must span nearly an octave (``hi >= 1.9 * lo``) so that every tempo has a
            representative; the DJ default (70, 180) keeps 170 for drum and bass and 75
            for downtempo, (60, 120) folds them to 85 and 75, (90, 180) to 170 and 150.

    Raises:
        ValueError: ``sr`` below 8000, or an invalid range (not within 30-300 BPM,
            ``lo >= hi``, or narrower than ``hi >= 1.9 * lo``).

    Example:
        >>> import numpy as np
        >>> sr = 22050
        >>> analyzer = TempoAnalyzer(sr)
        >>> clicks = np.zeros(30 * sr, dtype=np.float32)
        >>> clicks[:: round(sr * 60 / 128)] = 1.0
        >>> for block in np.array_split(clicks, 7):
        ...     analyzer.update(block)
        >>> analyzer.result().bpm
        128.0
    """

    def __init__(self, sr: int, *, bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE) -> None:
        if sr < MIN_SR:
            raise ValueError(f"sample rate must be at least {MIN_SR} Hz, got {sr}")
        lo, hi = (float(v) for v in bpm_range)
        if not (30.0 <= lo < hi <= 300.0 and hi >= 1.9 * lo):
            raise ValueError(
                f"bpm_range {lo:g}-{hi:g} must lie within 30-300 BPM and span nearly an "
                "octave (hi >= 1.9 * lo)"
            )
        self.sr = sr
        self.bpm_range = (lo, hi)
        self.n_fft = int(2 ** round(math.log2(sr * FRAME_S)))
        self.hop = self.n_fft // 4
        self.fps = sr / self.hop
        n = np.arange(self.n_fft)
        self._window = (0.5 - 0.5 * np.cos(2 * np.pi * n / self.n_fft)).astype(np.float32)
        resolution = sr / self.n_fft
        top = min(BAND_EDGES_HZ[-1], 0.45 * sr)
        edges = [edge for edge in BAND_EDGES_HZ if edge < top] + [top]
        bins = np.unique(np.ceil(np.asarray(edges) / resolution).astype(np.int64))
        self._first_bin, self._stop_bin = int(bins[0]), int(bins[-1])
        self._band_starts = bins[:-1] - self._first_bin
        window_energy = float(np.sum(self._window.astype(np.float64) ** 2))
        self._band_scale = (1.0 / (np.diff(bins) * window_energy * REFERENCE_POWER)).astype(
            np.float32
        )
        centres = np.sqrt(bins[:-1] * bins[1:]) * resolution
        # Bands ascend in frequency, so each group is a contiguous run of columns.
        group = np.where(centres < LOW_MAX_HZ, 0, np.where(centres < MID_MAX_HZ, 1, 2))
        sizes = np.bincount(group, minlength=3)
        if np.any(sizes == 0):
            raise ValueError(f"sample rate {sr} Hz leaves a band group empty")
        self._group_starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        self._group_scale = (1.0 / sizes).astype(np.float32)
        # The tonal flux: bins from TONAL_LOW_HZ to TONAL_HIGH_HZ (or 0.45 * sr), with
        # the magnitude unit of the bands (1 is -90 dB) scaled by TONAL_FLOOR.
        # Within the bins of the bands, whose squared parts it reuses.
        self._tonal_first = max(self._first_bin, math.ceil(TONAL_LOW_HZ / resolution))
        self._tonal_stop = min(self._stop_bin, math.floor(TONAL_HIGH_HZ / resolution))
        self._tonal_scale = np.float32(
            1.0 / math.sqrt(window_energy * REFERENCE_POWER) / TONAL_FLOOR
        )
        # The harmonic change: the tonal bins up to CHORD_HIGH_HZ folded onto 12 pitch
        # classes (nearest equal-tempered semitone).
        chord_stop = max(1, min(self._tonal_stop, math.floor(CHORD_HIGH_HZ / resolution) + 1))
        chord_hz = np.arange(self._tonal_first, chord_stop) * resolution
        pitch_class = np.round(12.0 * np.log2(chord_hz / 440.0)).astype(np.int64) % 12
        self._chroma_map = np.zeros((chord_hz.size, 12), np.float32)
        self._chroma_map[np.arange(chord_hz.size), pitch_class] = 1.0
        self._n_bands = centres.size
        self._n_tonal = self._tonal_stop - self._tonal_first
        self._tail = np.zeros(self.n_fft // 2, dtype=np.float32)
        # State carried from frame to frame: the last band levels, the last compressed
        # tonal bins, and the last 2 * CHORD_WINDOW - 1 chroma.
        self._previous = np.zeros(
            self._n_bands + self._n_tonal + 12 * (2 * CHORD_WINDOW - 1), dtype=np.float32
        )
        self._chunks: list[NDArray[np.float32]] = []
        self._flatness: list[NDArray[np.float32]] = []
        self._flatness_level: list[NDArray[np.float32]] = []
        self._frames = 0
        self.n_samples = 0

    @property
    def duration_s(self) -> float:
        """Audio received so far, in seconds."""
        return self.n_samples / self.sr

    def update(self, block: NDArray[np.floating]) -> None:
        """Append the next block of the signal.

        Args:
            block: Mono samples at ``sr``, shape ``(n,)``, any length (0 included),
                nominally in [-1, 1]; converted to float32.

        Raises:
            ValueError: ``block`` is not one-dimensional or holds NaN or infinity.
        """
        samples = np.asarray(block, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected a mono block of shape (n,), got shape {samples.shape}")
        if not np.all(np.isfinite(samples)):
            raise ValueError("the block holds NaN or infinite samples")
        self.n_samples += samples.size
        tail, hop = self._tail, self.hop
        count = self._frame_count(tail.size + samples.size)
        # Frames starting in the tail read it joined to the block's head; the others read
        # the block in place (no copy of a 30 s block).
        joined = min(count, -(-tail.size // hop))
        if joined:
            head = samples[: (joined - 1) * hop + self.n_fft - tail.size]
            self._append(np.concatenate((tail, head)), joined)
        if count > joined:
            self._append(samples[joined * hop - tail.size :], count - joined)
        consumed = count * hop - tail.size
        if consumed >= 0:
            self._tail = samples[consumed:].copy()
        else:
            self._tail = np.concatenate((tail[count * hop :], samples))

    def envelope(self) -> NDArray[np.float32]:
        """The onset envelope so far, finished with the frames of the pending samples.

        Returns:
            Shape ``(frames, 6)``, float32, frame ``i`` centred on sample ``i * hop``
            (at ``i / fps`` seconds): the flux of the low, mid and high bands, the mean
            band magnitude, all >= 0 and in one unit (1.0 is -90 dB, the silence
            threshold), then the tonal flux (log-compressed, unitless, >= 0), then the
            harmonic change (the cosine distance between the mean chroma of the
            :data:`CHORD_WINDOW` frames from ``i`` on and that of the ones before, in
            [0, 1]; 0 for the last ``CHORD_WINDOW - 1`` frames, which have no window
            after them yet).
        """
        padded = np.concatenate((self._tail, np.zeros(self.n_fft // 2, dtype=np.float32)))
        last = self._frame_count(padded.size)
        # Only frames centred on a received sample: the rest would be padding.
        last = min(last, max(0, -(-self.n_samples // self.hop) - self._frames))
        parts = list(self._chunks)
        if last > 0:
            span = padded[: (last - 1) * self.hop + self.n_fft]
            parts.append(self._envelope(span, last, self._previous)[0])
        if not parts:
            return np.zeros((0, 6), dtype=np.float32)
        envelope = np.concatenate(parts)
        # The harmonic change is measured at the end of its second window: centre it on
        # the first frame of that window, where the new chord starts.
        lag = CHORD_WINDOW - 1
        envelope[:, 5] = np.concatenate((envelope[lag:, 5], np.zeros(min(lag, len(envelope)))))
        return envelope

    def result(self) -> TempoResult:
        """Tempo and beat grid of everything received so far.

        Returns:
            The :class:`~tracktion.audio.results.TempoResult`. Silence, and audio
            without a clear periodicity (noise, drones, steady pads), give ``bpm=None``,
            a low confidence and no beats.

        Raises:
            AudioError: ``TOO_SHORT`` when less than :data:`MIN_DURATION_S` seconds (or
                four beats at the range's slowest tempo) were received.
        """
        needed = max(MIN_DURATION_S, 4 * 60.0 / self.bpm_range[0])
        if self.duration_s < needed:
            raise AudioError(
                ErrorCode.TOO_SHORT,
                f"tempo needs at least {needed:.1f} s of audio, got {self.duration_s:.2f} s",
            )
        envelope = self.envelope()
        return analyze_envelope(
            envelope[:, :3],
            envelope[:, 3],
            self.fps,
            bpm_range=self.bpm_range,
            tonal=envelope[:, 4],
            flatness=self.flatness(),
            harmony=envelope[:, 5],
        )

    def flatness(self) -> float | None:
        """Median whitened spectral flatness of the music so far, or ``None`` for silence.

        Every :data:`FLATNESS_EVERY`-th frame's power spectrum from 150 Hz to 5 kHz is
        divided by its own moving average over 17 bins (which removes the spectral tilt:
        pink and brown noise are as flat as white), and its flatness (geometric over
        arithmetic mean) taken; the median over the frames within 40 dB of the loud level
        is returned. Noise measures 0.6 (the flatness of a Rayleigh-distributed power),
        pitched sounds far less: their partials stand out of the gaps between them.
        """
        if not self._flatness:
            return None
        values = np.concatenate(self._flatness)
        levels = np.concatenate(self._flatness_level)
        loud = float(np.percentile(levels, 99))
        if loud <= 1.0:
            return None
        return float(np.median(values[levels > loud / ACTIVE_RATIO]))

    def _frame_count(self, samples: int) -> int:
        return 0 if samples < self.n_fft else (samples - self.n_fft) // self.hop + 1

    def _append(self, span: NDArray[np.float32], count: int) -> None:
        """Append the envelope of the first ``count`` frames of ``span``, a step at a time."""
        for first in range(0, count, MAX_FRAMES_PER_STEP):
            frames = min(MAX_FRAMES_PER_STEP, count - first)
            start = first * self.hop
            part = span[start : start + (frames - 1) * self.hop + self.n_fft]
            # The flatness samples frames whose index in the whole stream is a multiple
            # of FLATNESS_EVERY, so that any block split samples the same ones.
            sampled = np.arange(-self._frames % FLATNESS_EVERY, frames, FLATNESS_EVERY)
            rows, self._previous, flatness = self._envelope(part, frames, self._previous, sampled)
            self._chunks.append(rows)
            self._flatness.append(flatness)
            self._flatness_level.append(rows[sampled, 3])
            self._frames += frames
            # Merge equal runs, like a binary counter: few chunks, each row copied a
            # logarithmic number of times however small the blocks.
            while len(self._chunks) > 1 and len(self._chunks[-1]) >= len(self._chunks[-2]):
                last = self._chunks.pop()
                self._chunks[-1] = np.concatenate((self._chunks[-1], last))

    def _envelope(
        self,
        span: NDArray[np.float32],
        count: int,
        previous: NDArray[np.float32],
        sampled: NDArray[np.intp] | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
        """Envelope rows of the ``count`` frames of ``span``, the state the next frame
        needs (the last frame's band levels, then its compressed bin magnitudes), and the
        whitened flatness (see :meth:`flatness`) of the frames ``sampled``."""
        frames = np.lib.stride_tricks.sliding_window_view(span, self.n_fft)[:: self.hop][:count]
        spectrum = scipy.fft.rfft(frames * self._window, axis=1)
        # Real and imaginary parts side by side: one square and one sum give band powers.
        parts = spectrum[:, self._first_bin : self._stop_bin].view(np.float32)
        squares = parts * parts
        bands = np.add.reduceat(squares, 2 * self._band_starts, axis=1) * self._band_scale
        levels = np.sqrt(bands)  # band magnitudes: see the module docstring
        flux = np.diff(levels, axis=0, prepend=previous[None, : self._n_bands])
        np.maximum(flux, 0.0, out=flux)
        out = np.empty((count, 6), dtype=np.float32)
        out[:, :3] = np.add.reduceat(flux, self._group_starts, axis=1) * self._group_scale
        out[:, 3] = levels.mean(axis=1)
        # SuperFlux (Boeck & Widmer 2013): log-compressed bin magnitudes, each compared
        # with the largest of its neighbours one frame earlier, so that a vibrato or a
        # glide (a partial moving by a bin) is no onset while a new note is.
        tonal = squares[
            :, 2 * (self._tonal_first - self._first_bin) : 2 * (self._tonal_stop - self._first_bin)
        ]
        power = tonal[:, 0::2] + tonal[:, 1::2]
        flatness = (
            np.zeros(0, np.float32) if sampled is None else _whitened_flatness(power[sampled])
        )
        compressed = np.sqrt(power)
        compressed *= self._tonal_scale
        np.log1p(compressed, out=compressed)
        tonal_end = self._n_bands + self._n_tonal
        before = np.concatenate((previous[None, self._n_bands : tonal_end], compressed[:-1]))
        widened = before.copy()
        np.maximum(widened[:, 1:], before[:, :-1], out=widened[:, 1:])
        np.maximum(widened[:, :-1], before[:, 1:], out=widened[:, :-1])
        rise = compressed - widened
        np.maximum(rise, 0.0, out=rise)
        out[:, 4] = rise.mean(axis=1)
        chords, out[:, 5] = self._harmonic_change(power, previous[tonal_end:])
        state = np.concatenate(
            (levels[-1], compressed[-1], chords[-(2 * CHORD_WINDOW - 1) :].ravel())
        )
        return out, state, flatness

    def _harmonic_change(
        self, power: NDArray[np.float32], previous: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Unit chroma of every frame, after the ``2 * CHORD_WINDOW - 1`` ones
        ``previous`` holds, and each frame's harmonic change: the cosine distance between
        the mean chroma of the :data:`CHORD_WINDOW` frames ending there and that of the
        ones before them (Foote's novelty with a checkerboard kernel on the chroma's
        cosine similarity). It peaks :data:`CHORD_WINDOW` - 1 frames after a chord
        changes, however slowly its notes start; :meth:`TempoAnalyzer.envelope` moves it
        back."""
        chroma = np.sqrt(np.sqrt(power[:, : self._chroma_map.shape[0]])) @ self._chroma_map
        norms = np.linalg.norm(chroma, axis=1, keepdims=True)
        chroma /= np.where(norms > 0, norms, 1.0)
        width = CHORD_WINDOW
        chords = np.concatenate((previous.reshape(2 * width - 1, 12), chroma))
        # Window sums from a running sum in float64, restarted at every step: any block
        # split gives the same to 1e-6.
        running = np.cumsum(chords, axis=0, dtype=np.float64)
        sums = running[width - 1 :] - np.concatenate((np.zeros((1, 12)), running[:-width]))
        before, after = sums[:-width], sums[width:]
        dot = np.einsum("ij,ij->i", before, after)
        size = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
        # Against a silent (zero) window there is no change to measure.
        distance = np.where(size > 0, 1.0 - dot / np.where(size > 0, size, 1.0), 0.0)
        return chords, np.clip(distance, 0.0, 1.0).astype(np.float32)


def _whitened_flatness(power: NDArray[np.float32]) -> NDArray[np.float32]:
    """Spectral flatness (geometric over arithmetic mean) of each row of ``power`` divided
    by its moving average over ``2 * FLATNESS_HALF_WIDTH + 1`` bins."""
    padded = power.astype(np.float64) + 1e-20
    smooth = moving_mean(padded, FLATNESS_HALF_WIDTH)
    white = padded / np.maximum(smooth, 1e-20)
    flatness: NDArray[np.float32] = (
        np.exp(np.mean(np.log(white), axis=1)) / np.mean(white, axis=1)
    ).astype(np.float32)
    return flatness


def estimate_tempo(
    y: NDArray[np.floating], sr: int, *, bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE
) -> TempoResult:
    """Tempo and beat grid of an in-memory mono signal (:class:`TempoAnalyzer` in 30 s blocks).

    Args:
        y: Mono signal, shape ``(n,)``, nominally in [-1, 1].
        sr: Its sample rate, in Hz, >= 8000.
        bpm_range: ``(lo, hi)`` in BPM; see :class:`TempoAnalyzer`.

    Returns:
        The :class:`~tracktion.audio.results.TempoResult`.

    Raises:
        AudioError: ``TOO_SHORT`` for less than :data:`MIN_DURATION_S` seconds.
        ValueError: ``y`` is not one-dimensional or not finite, or ``sr`` or
            ``bpm_range`` is invalid.

    Example:
        >>> import numpy as np
        >>> sr = 22050
        >>> t = np.arange(25 * sr) / sr
        >>> y = (np.sin(2 * np.pi * 60 * t) * (np.mod(t, 60 / 174) < 0.05)).astype(np.float32)
        >>> estimate_tempo(y, sr).bpm
        174.0
    """
    signal = np.asarray(y)
    if signal.ndim != 1:
        raise ValueError(f"expected a mono signal of shape (n,), got shape {signal.shape}")
    analyzer = TempoAnalyzer(sr, bpm_range=bpm_range)
    block = int(BLOCK_S * sr)
    for start in range(0, signal.size, block):
        analyzer.update(signal[start : start + block])
    return analyzer.result()


def _onset_strength(
    x: NDArray[np.float64], tonal: NDArray[np.floating] | None
) -> NDArray[np.float64]:
    """The envelope the periodicity is measured on: the mean of the unit-mean bands and,
    weighted by :data:`TONAL_WEIGHT`, the unit-mean tonal flux."""
    total: NDArray[np.float64] = x.sum(axis=1)
    notes = np.zeros(0) if tonal is None else np.asarray(tonal, dtype=np.float64)
    mean = float(notes.mean()) if notes.size else 0.0
    if mean <= 0.0:
        total /= x.shape[1]
    else:
        total += TONAL_WEIGHT * notes / mean
        total /= x.shape[1] + TONAL_WEIGHT
    return total


@dataclass(frozen=True)
class _Periodicity:
    """The periodicity of one onset envelope: its tempo salience on the BPM grid and its
    local tempo curve (``times``, ``local`` BPM), with the confidence they give."""

    salience: NDArray[np.float64]
    times: NDArray[np.float64]
    local: NDArray[np.float64]
    confidence: float


def _periodicity(
    envelope: NDArray[np.float64], fps: float, grid: NDArray[np.float64]
) -> _Periodicity:
    n = envelope.size
    max_lag = int(np.ceil(HARMONICS_ACF * 60.0 * fps / grid[0])) + 2
    salience = tempo_salience(autocorrelation(envelope, min(max_lag, n // 2)), fps, grid)
    i = int(np.argmax(salience))
    peak_bpm = float(grid[i] * 2.0 ** (GRID_STEP_OCT * parabolic_peak(salience, i)))
    floor = max(float(np.median(salience)), 0.0)
    prominence = float(np.clip((salience[i] - floor) / max(1.0 - floor, 1e-9), 0.0, 1.0))
    times, local, strength = tempo_curve(envelope, fps, peak_bpm)
    # A drifting tempo smears the global comb: its windows then tell the periodicity.
    confidence = max(prominence, float(np.median(strength)))
    return _Periodicity(salience, times, local, confidence)


def _sustained(
    mixed_env: NDArray[np.float64],
    mixed: _Periodicity,
    notes: NDArray[np.float64] | None,
    chords: NDArray[np.floating] | None,
    fps: float,
    grid: NDArray[np.float64],
    flatness: float | None,
) -> tuple[NDArray[np.float64], _Periodicity] | None:
    """An envelope and its periodicity to use instead of the mixed envelope ``mixed_env``
    and its untrusted or weak periodicity ``mixed``, for sustained music without drums
    (organ, choir, strings); else ``None``.

    1. The tonal flux alone (``notes``): the bands' flux is the flicker of held notes and
       hides the note changes, which the tonal flux still hears. It is tried when the
       mixed periodicity is untrusted, and for pitched audio when it is trusted but weak
       (under :data:`TONAL_ALONE_CONFIDENCE`), where the more confident of the two is
       kept. Noise stays under 0.05 there too; drum tracks clear the cut-off with every
       envelope. Choirs (slow attacks, vibrato) are weaker still: for pitched audio a
       lower cut-off holds.
    2. The harmonic change alone (``chords``), when the mixed periodicity is untrusted,
       the audio pitched and the tonal flux no better: choirs singing four-part harmony,
       whose notes start too slowly and under too much breath for any onset to stand out,
       but whose chords change on the beat. From :data:`MIN_HARMONY_CONFIDENCE` it makes
       the music count as rhythmic, and the more confident of it and the mixed envelope
       (returned as it is) is kept.
    """
    trusted = mixed.confidence >= MIN_CONFIDENCE
    pitched = flatness is not None and flatness < PITCHED_FLATNESS
    weak = not trusted or (pitched and mixed.confidence < TONAL_ALONE_CONFIDENCE)
    if weak and notes is not None and notes.mean() > 0.0:
        alone = notes / notes.mean()
        found = _periodicity(alone, fps, grid)
        cutoff = MIN_PITCHED_CONFIDENCE if pitched else MIN_CONFIDENCE
        if (found.confidence > mixed.confidence or not trusted) and found.confidence >= cutoff:
            return alone, found
    if trusted or not pitched or chords is None or chords.mean() <= 0.0:
        return None
    unit = np.asarray(chords, dtype=np.float64) / float(chords.mean())
    found = _periodicity(unit, fps, grid)
    if found.confidence < MIN_HARMONY_CONFIDENCE:
        return None
    # Chords that change on the beat make the music rhythmic: the more confident of the
    # harmonic change and the mixed envelope (whose cut-off it fell under) is kept.
    return (mixed_env, mixed) if mixed.confidence > found.confidence else (unit, found)


def _empty(confidence: float) -> TempoResult:
    empty = np.zeros(0)
    return TempoResult(
        bpm=None,
        confidence=round(confidence, 3),
        stable=False,
        first_beat_s=None,
        first_downbeat_s=None,
        beats_s=empty,
        curve_times_s=empty,
        curve_bpm=empty,
    )


def analyze_envelope(
    bands: NDArray[np.floating],
    level: NDArray[np.floating],
    fps: float,
    *,
    bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE,
    tonal: NDArray[np.floating] | None = None,
    flatness: float | None = None,
    harmony: NDArray[np.floating] | None = None,
) -> TempoResult:
    """Tempo, confidence, stability, tempo curve, beats and first downbeat of a track.

    Args:
        bands: Onset envelope, shape ``(n, 3)``: spectral flux of the low (kick, bass),
            mid and high (hats, snare noise) bands per frame, >= 0. Frame ``i`` is
            centred at ``i / fps`` seconds.
        level: Mean band magnitude of every frame, shape ``(n,)``, in the unit of the
            flux, where 1.0 is the silence threshold (-90 dB).
        fps: Frame rate, in Hz.
        bpm_range: ``(lo, hi)``: the metrical level reported lies in this range
            (within 1 %).
        tonal: Tonal flux of every frame, shape ``(n,)``, >= 0 (the last column of
            :meth:`TempoAnalyzer.envelope`): the onsets of notes, soft ones included,
            which the periodicity then hears beside the bands. ``None`` leaves it out.
        flatness: The track's whitened spectral flatness (:meth:`TempoAnalyzer.flatness`);
            under :data:`PITCHED_FLATNESS` the audio is pitched: the tonal flux alone
            is trusted from :data:`MIN_PITCHED_CONFIDENCE`, and preferred when more
            confident than a mixed periodicity under :data:`TONAL_ALONE_CONFIDENCE`.
            ``None``: not known.
        harmony: The harmonic change of every frame, shape ``(n,)`` (the last column of
            :meth:`TempoAnalyzer.envelope`), the last resort for pitched audio whose
            other envelopes hear no periodicity (from :data:`MIN_HARMONY_CONFIDENCE`).
            ``None`` leaves it out.

    Returns:
        The :class:`~tracktion.audio.results.TempoResult`: ``bpm`` is ``None`` for
        silence, steady tones, and audio without a trustworthy periodicity. Beat times
        are in seconds from the envelope's first frame; a grid may start up to a
        quarter beat before the first audible frame (a few milliseconds before 0 when
        the music starts at once).

    Example:
        >>> import numpy as np
        >>> analyzer = TempoAnalyzer(22050)
        >>> clicks = np.zeros(30 * 22050, dtype=np.float32)
        >>> clicks[::7600] = 1.0  # 22050 * 60 / 7600 = 174.08 BPM
        >>> analyzer.update(clicks)
        >>> bands, level = analyzer.envelope()[:, :3], analyzer.envelope()[:, 3]
        >>> analyze_envelope(bands, level, analyzer.fps).bpm
        174.08
        >>> analyze_envelope(bands, level, analyzer.fps, bpm_range=(60.0, 120.0)).bpm
        87.04
    """
    lo = bpm_range[0]
    levels = np.asarray(level, dtype=np.float64)
    loud = float(np.percentile(levels, 99)) if levels.size else 0.0
    if loud < 1.0:
        return _empty(0.0)
    active = np.flatnonzero(levels > loud / ACTIVE_RATIO)
    start, stop = int(active[0]), int(active[-1]) + 1
    n = stop - start
    raw = np.asarray(bands, dtype=np.float64)[start:stop]
    mean_level = levels[start:stop].mean()
    # Something starts when the flux is high on average (drums), or when, in some band,
    # its loudest frames rise well above its steady ripple (pitched notes: a melody's
    # onsets are sparse and soft, but they are bursts, which a tone's ripple is not).
    heights = (np.percentile(raw, 99, axis=0) - np.median(raw, axis=0)) / max(mean_level, 1e-12)
    if n < 4 * 60.0 * fps / lo or (
        raw.mean() < MIN_ACTIVITY * mean_level and heights.max() < MIN_ONSET_HEIGHT
    ):
        return _empty(0.0)  # under four beats of music, or nothing ever starts

    means = raw.mean(axis=0)
    x = raw / np.where(means > 0, means, 1.0)
    notes = None if tonal is None else np.asarray(tonal, dtype=np.float64)[start:stop]
    full = _onset_strength(x, notes)
    grid_lo, grid_hi = lo * (1 - 2 * RANGE_SLACK), bpm_range[1] * (1 + 2 * RANGE_SLACK)
    grid = grid_lo * 2.0 ** np.arange(0.0, np.log2(grid_hi / grid_lo), GRID_STEP_OCT)
    found = _periodicity(full, fps, grid)
    accent = x[:, LOW] + x[:, MID] + 0.25 * x[:, HIGH]
    trusted = found.confidence >= MIN_CONFIDENCE
    alone = _sustained(
        full,
        found,
        notes,
        None if harmony is None else np.asarray(harmony)[start:stop],
        fps,
        grid,
        flatness,
    )
    cues = x  # what the metrical level's cues are read off
    if alone is not None:
        if not trusted and alone[0] is not full:
            # The bands only flicker with held notes: the level is read off the notes.
            cues = np.repeat(alone[0][:, None], 3, axis=1)
        full, found, accent, trusted = alone[0], alone[1], alone[0], True
    confidence = found.confidence
    if not trusted:
        return _empty(confidence)
    salience, times, local = found.salience, found.times, found.local

    centre = float(np.median(local))
    stable = bool(np.all(np.abs(local / centre - 1.0) <= STABLE_TOLERANCE))
    if stable:
        bpm = refine_bpm(full, fps, centre)
        frame_bpm = np.full(n, bpm)
    else:
        bpm = centre
        frame_bpm = np.interp(np.arange(n) / fps, times, local)
    phase_beats = np.concatenate(([0.0], np.cumsum(frame_bpm[:-1]))) / (60.0 * fps)
    candidates = choose_level(
        cues,
        fps,
        phase_beats,
        bpm,
        salience_at=(grid, salience),
        bpm_range=bpm_range,
        full=full,
        durations=None if notes is None else durational_accent(notes, fps),
        percussive=percussiveness(float(raw[:, LOW].mean()) / max(float(mean_level), 1e-12)),
        confidence=confidence,
    )
    ratio = candidates[0].ratio if candidates else 1.0
    bpm *= ratio
    period = 60.0 * fps / bpm
    if stable:
        beats = grid_beats(accent, period)
    else:
        beats = track_beats(accent, 60.0 * fps / (frame_bpm * ratio))
    if beats.size == 0:
        return _empty(confidence)
    downbeat = min(downbeat_index(x, beats, period), beats.size - 1)
    beats_s = (beats + start) / fps
    return TempoResult(
        bpm=round(bpm, 2),
        confidence=round(confidence, 3),
        stable=stable,
        first_beat_s=float(beats_s[0]),
        first_downbeat_s=float(beats_s[downbeat]),
        beats_s=beats_s,
        curve_times_s=times + start / fps,
        curve_bpm=local * ratio,
    )
