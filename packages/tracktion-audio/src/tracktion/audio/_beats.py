"""Tempo, metrical level, beat grid and downbeat from a three-band onset envelope.

Private helper of :mod:`tracktion.audio.tempo`, which computes the envelope (spectral
flux of a low, a mid and a high band, one row per hop of about 11.6 ms) and runs these
steps on it. Everything here works on whole arrays of frames: ``fps`` is the envelope's
frame rate in Hz, periods are in frames (floats), tempi in BPM.

The steps, and why:

1. **Periodicity** (:func:`tempo_salience`): the autocorrelation of the band-normalized
   envelope, averaged over the first four multiples of each candidate period (a comb
   over lags), on a 0.5 % grid across the requested range. Averaging multiples favours
   the period that explains the whole pattern over a single sub-pulse.
2. **Tempo curve** (:func:`tempo_curve`): the same salience in 12 s windows, searched
   within ±15 % of the global peak, gives the local tempo every 3 s; the track is
   *stable* when the curve stays within ±1 % of its median.
3. **0.01 BPM** (:func:`refine_bpm`): for a stable track, the frequency that maximizes
   the summed power of the envelope's Fourier transform at the beat frequency and its
   harmonics, a phase-coherent comb over the whole track. Its peak narrows with the
   harmonic number and the track length: a 30 s loop locates 127.35 BPM to a few
   thousandths of a BPM, where one autocorrelation lag is worth 1.5 BPM.
4. **Metrical level** (:mod:`._meter`): which multiple of that periodicity (1/3 ... 3)
   is the beat a DJ counts, from the accents, the eighth- and sixteenth-note layers and
   the meter, within the requested range.
5. **Beat grid** (:func:`grid_beats`, :func:`track_beats`): a stable track gets a rigid
   grid at the refined tempo, phased by folding the kick/snare envelope at sub-frame
   resolution; a variable one gets dynamic-programming beat tracking along the curve.
6. **Downbeat** (:func:`downbeat_index`): the bar phase (of four) whose beats carry the
   most low-band (kick) and the least high-band (snare, clap) onset; when no phase
   stands out, as with four-on-the-floor and nothing else, the first beat of the music,
   where tracks start a bar.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_BPM_RANGE",
    "GRID_STEP_OCT",
    "HARMONICS_ACF",
    "HIGH",
    "LOW",
    "MID",
    "RANGE_SLACK",
    "autocorrelation",
    "downbeat_index",
    "fold_phase",
    "grid_beats",
    "parabolic_peak",
    "refine_bpm",
    "tempo_curve",
    "tempo_salience",
    "track_beats",
]

F64 = NDArray[np.float64]

DEFAULT_BPM_RANGE = (70.0, 180.0)

LOW, MID, HIGH = 0, 1, 2
"""Columns of the band envelope: kick and bass; snare body, chords, voice; hats, snare."""

GRID_STEP_OCT = 0.005 / np.log(2.0)
"""Spacing of the global tempo grid, in octaves: 0.5 %."""
HARMONICS_ACF = 4
CURVE_WINDOW_S = 12.0
CURVE_HOP_S = 3.0
CURVE_SEARCH = 0.15
"""Local tempi are searched within ±15 % of the global periodicity."""
CURVE_BATCH = 128
REFINE_EXCERPTS_S = (30.0, 240.0)
RANGE_SLACK = 0.01
"""A candidate up to 1 % outside the range still counts (69.99 for a 70-180 range)."""
DP_TIGHTNESS = 100.0
"""How strictly beat tracking keeps the local period (librosa's default ``tightness``)."""


def autocorrelation(x: F64, max_lag: int) -> F64:
    """Unbiased autocorrelation of ``x`` minus its mean, normalized to 1 at lag 0.

    Args:
        x: Signal, shape ``(n,)``.
        max_lag: Largest lag returned, in samples (clipped to ``n - 1``).

    Returns:
        Shape ``(min(max_lag, n - 1) + 1,)``; all zeros when ``x`` is constant.

    Example:
        >>> a = autocorrelation(np.tile([1.0, 0.0, 0.0, 0.0], 50), 8)
        >>> [round(float(v), 2) for v in a[[0, 2, 4]]]
        [1.0, -0.33, 1.0]
    """
    n = x.size
    max_lag = min(max_lag, n - 1)
    size = 1 << int(np.ceil(np.log2(max(2 * n, 2))))
    spectrum = np.fft.rfft(x - x.mean(), size)
    acf = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, size)[: max_lag + 1]
    acf /= n - np.arange(max_lag + 1)
    if acf[0] <= 0:
        return np.zeros(max_lag + 1)
    normalized: F64 = acf / acf[0]
    return normalized


def tempo_salience(acf: F64, fps: float, bpms: F64, *, harmonics: int = HARMONICS_ACF) -> F64:
    """Comb salience of each tempo: the mean autocorrelation at 1..``harmonics`` periods.

    Multiples beyond the autocorrelation's last lag are left out; a tempo whose first
    period already lies beyond gets 0.

    Args:
        acf: Normalized autocorrelation of an onset envelope (:func:`autocorrelation`),
            shape ``(lags,)``, or one per row, shape ``(w, lags)``.
        fps: Frame rate of the envelope, in Hz.
        bpms: Tempi to score, in BPM, shape ``(g,)``.
        harmonics: Number of period multiples averaged.

    Returns:
        Shape ``(g,)``, or ``(w, g)`` for rows of autocorrelations; in [-1, 1], 1 for a
        perfectly periodic envelope.

    Example:
        >>> acf = autocorrelation(np.tile([1.0] + [0.0] * 19, 100), 400)  # 120 BPM, 40 fps
        >>> s = tempo_salience(acf, 40.0, np.array([80.0, 120.0, 160.0]))
        >>> int(np.argmax(s))
        1
    """
    top = acf.shape[-1] - 1
    periods = 60.0 * fps / np.asarray(bpms, dtype=np.float64)
    total = np.zeros(acf.shape[:-1] + periods.shape)
    count = np.zeros(periods.shape)
    for k in range(1, harmonics + 1):
        lags = k * periods
        usable = lags <= top
        base = np.minimum(np.floor(lags).astype(np.int64), top)
        upper = np.minimum(base + 1, top)
        frac = lags - base
        values = acf[..., base] * (1.0 - frac) + acf[..., upper] * frac
        total += np.where(usable, values, 0.0)
        count += usable
    salience: F64 = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return salience


def parabolic_peak(values: F64, i: int) -> float:
    """Offset in [-0.5, 0.5] of the vertex of the parabola through ``values[i-1:i+2]``.

    0 at either end of ``values``, or where the three points do not bend down.

    Example:
        >>> round(parabolic_peak(np.array([0.0, 1.0, 0.5]), 1), 3)
        0.167
    """
    if i <= 0 or i >= values.size - 1:
        return 0.0
    a, b, c = float(values[i - 1]), float(values[i]), float(values[i + 1])
    curvature = a - 2.0 * b + c
    if curvature >= 0.0:
        return 0.0
    return float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5))


def tempo_curve(
    x: F64, fps: float, bpm: float, *, window_s: float = CURVE_WINDOW_S, hop_s: float = CURVE_HOP_S
) -> tuple[F64, F64, F64]:
    """Local tempo near ``bpm`` in overlapping windows.

    Args:
        x: Onset envelope, shape ``(n,)``, ``n >= 8``.
        fps: Its frame rate, in Hz.
        bpm: Global periodicity; each window's peak is searched within ±15 % of it.
        window_s: Window length, in seconds (shortened to the signal's length).
        hop_s: Hop between windows, in seconds.

    Returns:
        ``(times_s, bpm, strength)``, each of shape ``(w,)`` with ``w >= 1``: window
        centres in seconds from the first frame; local tempi in BPM, after a running
        median of three windows; and how clearly each window is periodic, in [0, 1]
        (the salience of its peak above its median salience an octave either side).

    Example:
        >>> x = np.tile([1.0] + [0.0] * 19, 100)  # 120 BPM at 40 fps, 50 s
        >>> times, local, strength = tempo_curve(x, 40.0, 118.0)
        >>> bool(np.allclose(local, 120.0, atol=0.2)), bool(strength.min() > 0.9)
        (True, True)
    """
    n = x.size
    width = max(8, min(n, round(window_s * fps)))
    hop = max(1, round(hop_s * fps))
    starts = list(range(0, n - width + 1, hop))
    if n - width - starts[-1] > hop // 2:  # cover the end unless the last window nearly does
        starts.append(n - width)
    near = bpm * 2.0 ** np.arange(-np.log2(1 + CURVE_SEARCH), np.log2(1 + CURVE_SEARCH), 0.001)
    wide = bpm * 2.0 ** np.arange(-1.0, 1.0, 0.01)
    max_lag = min(width - 1, int(np.ceil(HARMONICS_ACF * 60.0 * fps / wide[0])) + 1)
    size = 1 << int(np.ceil(np.log2(2 * width)))
    local = np.full(len(starts), bpm)
    strength = np.zeros(len(starts))
    windows = np.lib.stride_tricks.sliding_window_view(x, width)
    for first in range(0, len(starts), CURVE_BATCH):  # batches bound memory on long mixes
        frames = windows[starts[first : first + CURVE_BATCH]]
        spectra = np.fft.rfft(frames - frames.mean(axis=1, keepdims=True), size, axis=1)
        acfs = np.fft.irfft(spectra.real**2 + spectra.imag**2, size, axis=1)[:, : max_lag + 1]
        acfs /= width - np.arange(max_lag + 1)
        periodic = acfs[:, 0] > 0
        acfs = acfs[periodic] / acfs[periodic, :1]
        rows = first + np.flatnonzero(periodic)
        salience = tempo_salience(acfs, fps, near)
        floor = np.maximum(np.median(tempo_salience(acfs, fps, wide), axis=1), 0.0)
        for row, values, low in zip(rows, salience, floor, strict=True):
            i = int(np.argmax(values))
            local[row] = near[i] * 2.0 ** (0.001 * parabolic_peak(values, i))
            strength[row] = float(np.clip((values[i] - low) / max(1.0 - low, 1e-9), 0.0, 1.0))
    if local.size >= 3:  # a median of three removes single-window slips
        padded = np.concatenate(([local[0]], local, [local[-1]]))
        local = np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)
    times: F64 = (np.asarray(starts, dtype=np.float64) + width / 2.0) / fps
    return times, local, strength


def _comb_power(x: F64, f_start: float, f_step: float, count: int, harmonics: int) -> F64:
    """Summed power of the DTFT of ``x`` at ``h * f`` for h = 1..``harmonics``.

    ``f = f_start + k * f_step`` for k < ``count``, in cycles per frame. The complex
    exponentials are built by recurrence (two ``exp`` per frame, not one per frame and
    frequency) and summed without BLAS, whose threads stall on a busy machine.
    """
    n = np.arange(x.size, dtype=np.float64)
    steps = np.empty((count, x.size), dtype=np.complex128)
    steps[0] = np.exp(-2j * np.pi * f_start * n)
    steps[1:] = np.exp(-2j * np.pi * f_step * n)
    base = np.cumprod(steps, axis=0)
    rotor = base.copy()
    power = np.zeros(count)
    for h in range(harmonics):
        if h:
            rotor *= base
        sums = (rotor * x).sum(axis=1)
        power += sums.real**2 + sums.imag**2
    return power


def refine_bpm(x: F64, fps: float, bpm: float, *, search: float = 0.006) -> float:
    """The tempo near ``bpm`` that best explains ``x`` as a periodic pattern.

    Maximizes the summed power of the envelope's Fourier transform at the beat
    frequency and its harmonics (up to 8, below the envelope's Nyquist frequency) on a
    grid of a quarter of the narrowest peak's width, and interpolates the peak
    parabolically. Two harmonics first find the peak in the wide interval, all of them
    then sharpen it; this runs on the central 30 s, then on the central 4 minutes
    within the first peak's width, so the cost stays that of a few thousand frames.

    Args:
        x: Onset envelope, shape ``(n,)``.
        fps: Its frame rate, in Hz.
        bpm: Starting estimate, in BPM, within ``search`` of the truth.
        search: Half-width of the searched interval, relative (0.006 is ±0.6 %).

    Returns:
        The refined tempo, in BPM (to about 0.001 BPM on a clean 30 s loop).

    Example:
        >>> fps, period = 100.0, 100.0 * 60.0 / 127.35
        >>> x = np.zeros(3000)
        >>> x[np.round(np.arange(0, 2999, period)).astype(int)] = 1.0
        >>> round(refine_bpm(x, fps, 127.0), 2)
        127.35
    """
    f0 = bpm / 60.0 / fps
    top = int(max(1, min(8, np.floor(0.45 / (f0 * (1 + search))))))
    half_width = search * f0
    for seconds in REFINE_EXCERPTS_S:
        size = x.size if x.size < 1.5 * seconds * fps else int(seconds * fps)
        first = (x.size - size) // 2
        excerpt = x[first : first + size] - x[first : first + size].mean()
        for harmonics in (min(2, top), top):
            lobe = 1.0 / (harmonics * size)  # main-lobe half-width of the top harmonic
            count = max(5, int(np.ceil(2 * half_width / (lobe / 4.0))) + 1)
            f_start = f0 - half_width
            f_step = 2 * half_width / (count - 1)
            power = _comb_power(excerpt, f_start, f_step, count, harmonics)
            i = int(np.argmax(power))
            f0 = f_start + (i + parabolic_peak(np.log(power + 1e-300), i)) * f_step
            half_width = lobe / 4.0
        if size == x.size:
            break
    return float(f0 * 60.0 * fps)


def fold_phase(x: F64, phase_beats: F64, bins: int) -> F64:
    """Mean of each column of ``x`` (n, c) per beat phase: shape ``(c, bins)``.

    Bin ``i`` holds the frames nearest to phase ``i / bins`` (a fraction of a beat).
    """
    index = np.round(np.mod(phase_beats, 1.0) * bins).astype(np.int64) % bins
    counts = np.maximum(np.bincount(index, minlength=bins), 1)
    columns = x.shape[1]
    flat = (index[:, None] + bins * np.arange(columns)[None, :]).ravel()
    sums = np.bincount(flat, weights=x.ravel(), minlength=bins * columns)
    folded: F64 = sums.reshape(columns, bins) / counts
    return folded


def grid_beats(accent: F64, period: float) -> F64:
    """A rigid beat grid of ``period`` frames, phased on ``accent``, over its length.

    The phase is the peak of ``accent`` folded onto one period at a quarter-frame
    resolution (a non-integer period samples the beat at many sub-frame offsets),
    smoothed over one frame and interpolated parabolically.

    Args:
        accent: Kick/snare onset envelope, shape ``(n,)``.
        period: Beat period, in frames (> 1).

    Returns:
        Beat positions in frames (fractional), ascending, from within a quarter period
        before frame 0 to the last frame.

    Example:
        >>> accent = np.zeros(400)
        >>> accent[10::40] = 1.0
        >>> [round(float(b), 1) for b in grid_beats(accent, 40.0)[:3]]
        [10.0, 50.0, 90.0]
    """
    bins = max(24, round(4 * period))
    profile = fold_phase(accent[:, None], np.arange(accent.size) / period, bins)[0]
    half = max(1, round(bins / period / 2))  # half a frame, in bins
    kernel = np.hanning(2 * half + 3)[1:-1]
    wrapped = np.concatenate((profile[-half:], profile, profile[:half]))
    smooth = np.convolve(wrapped, kernel, "valid")
    i = int(np.argmax(smooth))
    around = np.array([smooth[i - 1], smooth[i], smooth[(i + 1) % bins]])
    phase = (i + parabolic_peak(around, 1)) / bins * period
    first = phase + np.ceil((-0.25 * period - phase) / period) * period
    beats: F64 = np.arange(first, accent.size, period)
    return beats


def track_beats(accent: F64, periods: F64) -> F64:
    """Beats by dynamic programming (Ellis 2007) following a varying beat period.

    Maximizes the onset strength at the beats minus ``100 * log(interval / period)**2``
    per interval. A frame only depends on frames at least half a period earlier, so
    blocks of half a period are computed at once with numpy. Each beat is then moved to
    the parabolic peak of ``accent`` around its frame.

    Args:
        accent: Onset envelope, shape ``(n,)``.
        periods: Local beat period at each frame, in frames (> 2), shape ``(n,)``.

    Returns:
        Beat positions in frames, ascending.

    Example:
        >>> accent = np.zeros(400)
        >>> accent[5::40] = 1.0
        >>> track_beats(accent, np.full(400, 40.0))[:3].tolist()
        [5.0, 45.0, 85.0]
    """
    n = accent.size
    strength = accent / (accent.std() + 1e-12)
    score = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    offsets = np.arange(1, int(np.ceil(2.0 * periods.max())) + 2)
    block = max(1, int(periods.min() // 2))
    for start in range(0, n, block):
        frames = np.arange(start, min(start + block, n))
        period = periods[frames][:, None]
        previous = frames[:, None] - offsets[None, :]
        allowed = (offsets >= period / 2) & (offsets <= 2 * period) & (previous >= 0)
        gain = score[np.maximum(previous, 0)] - DP_TIGHTNESS * np.log(offsets / period) ** 2
        gain = np.where(allowed, gain, -np.inf)
        best = np.argmax(gain, axis=1)
        best_gain = gain[np.arange(frames.size), best]
        chained = best_gain > 0  # a chain that only costs is worse than a fresh start
        score[frames] = strength[frames] + np.where(chained, best_gain, 0.0)
        back[frames] = np.where(chained, frames - offsets[best], -1)
    tail = max(1, round(float(periods[-1])))
    beats = [n - tail + int(np.argmax(score[n - tail :]))]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    frames = np.asarray(beats[::-1], dtype=np.int64)
    inner = (frames > 0) & (frames < n - 1)
    offsets_sub = np.zeros(frames.size)
    for j in np.flatnonzero(inner):
        offsets_sub[j] = parabolic_peak(accent, int(frames[j]))
    refined: F64 = frames + offsets_sub
    return refined


def downbeat_index(x: F64, beats: F64, period: float) -> int:
    """Index in ``beats`` (0-3) of the first downbeat, assuming four beats to a bar.

    Each bar phase is scored by the low-band (kick, bass) minus the high-band (snare,
    clap) onset at its beats, each relative to its mean over all beats. A phase other
    than the first beat's wins only when it beats it by three standard errors (and
    0.1): most tracks start on a downbeat, and four-on-the-floor kicks without other
    cues say nothing about the bar.

    Args:
        x: Band envelopes normalized to unit mean, shape ``(n, 3)``.
        beats: Beat positions in frames, shape ``(b,)``.
        period: Beat period, in frames.

    Returns:
        0, 1, 2 or 3 (0 with fewer than two bars of beats).

    Example:
        >>> x = np.ones((800, 3))
        >>> x[50::160, LOW] = 5.0  # a kick on every fourth beat, from the second
        >>> downbeat_index(x, np.arange(10.0, 800.0, 40.0), 40.0)
        1
    """
    if beats.size < 8:
        return 0
    reach = max(1, round(period / 8))
    index = np.round(beats).astype(np.int64)
    windows = np.clip(index[:, None] + np.arange(-reach, reach + 1)[None, :], 0, x.shape[0] - 1)
    low = x[windows, LOW].max(axis=1)
    high = x[windows, HIGH].max(axis=1)
    evidence = low / (low.mean() + 1e-12) - high / (high.mean() + 1e-12)
    phases = np.arange(beats.size) % 4
    counts = np.bincount(phases, minlength=4)
    means = np.bincount(phases, weights=evidence, minlength=4) / np.maximum(counts, 1)
    spread = float(np.sqrt(np.sum((evidence - means[phases]) ** 2) / max(beats.size - 4, 1)))
    best = int(np.argmax(means))
    error = spread * np.sqrt(1.0 / counts[best] + 1.0 / counts[0])
    if means[best] - means[0] <= max(3.0 * error, 0.1):
        return 0
    return best
