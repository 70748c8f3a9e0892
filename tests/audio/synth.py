"""Synthetic test signals with known answers: drum patterns, click tracks, tempo ramps.

Everything is rendered with numpy from a seeded RNG, so a signal is a pure function of its
arguments. The instruments are deliberately simple but carry the cues that matter to
tempo, beat and key estimators:

* kick: a decaying sine sweep from 150 to 50 Hz (low band);
* snare: a noise burst above 1 kHz plus a 190 Hz tone; clap: three quick noise bursts;
* closed hat: a short noise burst above 7 kHz (high band); open hat: a longer one;
* bass: a decaying sine (with its octave) on the roots of an A minor progression;
  wobble: a sawtooth bass re-attacked on every eighth note (dubstep's LFO);
* pad: a slowly attacked chord of detuned sawtooth-like partials, changing every bar
  (A minor, F, C, G).

Patterns are written on a 4/4 bar in beats (``0`` is the downbeat, ``0.5`` the off-beat
eighth, ``0.25`` a sixteenth), at the metrical level a DJ counts: drum and bass is a
two-step at 170-175 BPM (kick on 1 and the "and" of 3, snare on 2 and 4, eighth-note
hats), dubstep is half-time at 140 BPM (kick on 1, snare on 3, eighth-note hats),
hip-hop is boom-bap at 85-95 BPM (kick on 1 and the "and" of 3, snare on 2 and 4, hats
on eighths, meant to be swung). Each seed varies the mix (hat levels, off-beat accents)
and the pattern (ghost notes, extra kicks, claps, open hats).

Example:
    >>> y = drum_loop("house", 124.0, 10.0, 22050, seed=1)
    >>> y.dtype, y.shape
    (dtype('float32'), (220500,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "GENRES",
    "TYPICAL_BPM",
    "add_noise",
    "click_track",
    "drum_loop",
    "tempo_ramp",
]

F64 = NDArray[np.float64]

GENRES = ("house", "techno", "trance", "drum_and_bass", "dubstep", "hip_hop", "downtempo")
"""Genres :func:`drum_loop` renders."""

TYPICAL_BPM: dict[str, tuple[float, float]] = {
    "house": (118.0, 130.0),
    "techno": (125.0, 135.0),
    "trance": (134.0, 142.0),
    "drum_and_bass": (168.0, 176.0),
    "dubstep": (138.0, 142.0),
    "hip_hop": (85.0, 95.0),
    "downtempo": (70.0, 100.0),
}
"""Typical tempo range of each genre, in BPM, at the metrical level a DJ counts."""

_ROOTS_HZ = (55.0, 43.65, 65.41, 49.0)  # A1, F1, C2, G1: i-VI-III-VII in A minor
_CHORDS_HZ = (
    (220.0, 261.63, 329.63),  # A minor
    (174.61, 220.0, 261.63),  # F major
    (261.63, 329.63, 392.0),  # C major
    (196.0, 246.94, 293.66),  # G major
)
_EIGHTHS: F64 = np.arange(8, dtype=np.float64) * 0.5
_SIXTEENTHS: F64 = np.arange(16, dtype=np.float64) * 0.25
_OFFBEATS: F64 = _EIGHTHS[1::2]


@dataclass(frozen=True, slots=True)
class _Hit:
    instrument: str
    beat: float
    """Position in the 4-beat bar, in beats."""
    gain: float = 1.0


Pattern = list[_Hit]


def _hits(instrument: str, beats: list[float] | F64, gain: float = 1.0) -> Pattern:
    return [_Hit(instrument, float(b), gain) for b in beats]


class _Bar:
    """Builds one bar of a genre; draws the loop's mix variations from ``rng``."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.level = rng.uniform(0.6, 1.3)  # how loud the hats are mixed, and how the
        self.lift = rng.uniform(0.7, 1.3)  # off-beats are accented, vary from loop to loop

    def maybe(self) -> bool:
        return bool(self.rng.random() < 0.5)

    def hats(self, beats: F64, on: float, off: float) -> Pattern:
        """Hats on ``beats``: ``on`` gain on the beat, ``off`` (accented) between."""
        level, lift = self.level, self.lift
        return [_Hit("hat", float(b), level * (on if b % 1 == 0 else off * lift)) for b in beats]

    def sixteenth_hats(self, accent: float, other: float) -> Pattern:
        """Hats on every sixteenth, the off-beat eighths accented."""
        level, lift = self.level, self.lift
        return [
            _Hit("hat", float(b), level * (accent * lift if b % 1 == 0.5 else other))
            for b in _SIXTEENTHS
        ]


def _house(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0, 1, 2, 3]) + _hits("clap", [1, 3], 0.7)
    hits += bar.hats(_OFFBEATS, 0.0, 0.6)
    if bar.maybe():
        hits += _hits("hat", _SIXTEENTHS[1::2], 0.15 * bar.level)
    return hits + _hits("bass", _OFFBEATS, 0.6), True


def _techno(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0, 1, 2, 3]) + bar.sixteenth_hats(0.55, 0.25)
    if bar.maybe():
        hits += _hits("clap", [1, 3], 0.5)
    hits += _hits("bass", [0.25, 1.25, 2.25, 3.25], 0.5)  # rumble after each kick
    if bar.maybe():
        hits += _hits("open_hat", [2.5], 0.3)
    return hits, False


def _trance(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0, 1, 2, 3]) + _hits("clap", [1, 3], 0.6)
    hits += bar.sixteenth_hats(0.5, 0.2)
    rolling = [float(b) for b in _SIXTEENTHS if b % 1 != 0]  # the bass between the kicks
    return hits + _hits("bass", rolling, 0.45), True


def _drum_and_bass(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0, 2.5]) + _hits("snare", [1, 3]) + bar.hats(_EIGHTHS, 0.5, 0.35)
    if bar.maybe():
        hits += _hits("snare", [3.75], 0.25)  # ghost note
    return hits + _hits("bass", [0, 2.5], 0.8), bar.maybe()


def _dubstep(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0]) + _hits("snare", [2])
    if bar.maybe():
        hits += _hits("kick", [3.5], 0.7)
    hits += bar.hats(_EIGHTHS, 0.3, 0.45)
    return hits + _hits("wobble", _EIGHTHS, 0.7), False


def _hip_hop(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0, 2.5]) + _hits("snare", [1, 3])
    if bar.maybe():
        hits += _hits("kick", [1.75], 0.6)
    hits += bar.hats(_EIGHTHS, 0.5, 0.35)
    return hits + _hits("bass", [0, 2.5], 0.7), True


def _downtempo(bar: _Bar) -> tuple[Pattern, bool]:
    hits = _hits("kick", [0, 2.5]) + _hits("snare", [1, 3], 0.8)
    if bar.maybe():
        hits += _hits("kick", [0.75], 0.5)
    hits += bar.hats(_EIGHTHS, 0.4, 0.3)
    return hits + _hits("bass", [0], 0.7), True


_PATTERNS: dict[str, Callable[[_Bar], tuple[Pattern, bool]]] = {
    "house": _house,
    "techno": _techno,
    "trance": _trance,
    "drum_and_bass": _drum_and_bass,
    "dubstep": _dubstep,
    "hip_hop": _hip_hop,
    "downtempo": _downtempo,
}


class _Kit:
    """The instruments' one-shots at one sample rate, seeded."""

    def __init__(self, sr: int, rng: np.random.Generator, detune_cents: float) -> None:
        self.sr = sr
        self.rng = rng
        self.ratio = 2.0 ** (detune_cents / 1200.0)

    def _t(self, seconds: float) -> F64:
        t: F64 = np.arange(int(seconds * self.sr)) / self.sr
        return t

    def _highpass_noise(self, n: int, cutoff_hz: float) -> F64:
        spectrum = np.fft.rfft(self.rng.standard_normal(n))
        freqs = np.fft.rfftfreq(n, 1.0 / self.sr)
        spectrum[freqs < min(cutoff_hz, 0.3 * self.sr)] = 0.0
        noise: F64 = np.fft.irfft(spectrum, n)
        normalized: F64 = noise / (np.std(noise) + 1e-12)
        return normalized

    def kick(self) -> F64:
        t = self._t(0.3)
        freq = (50.0 + 100.0 * np.exp(-t / 0.03)) * self.ratio
        kick: F64 = np.sin(2.0 * np.pi * np.cumsum(freq) / self.sr) * np.exp(-t / 0.12)
        return kick

    def snare(self) -> F64:
        t = self._t(0.2)
        noise = self._highpass_noise(t.size, 1000.0) * np.exp(-t / 0.05)
        tone = np.sin(2.0 * np.pi * 190.0 * self.ratio * t) * np.exp(-t / 0.04)
        snare: F64 = 0.45 * noise + 0.5 * tone
        return snare

    def clap(self) -> F64:
        t = self._t(0.15)
        bursts = np.zeros_like(t)
        for delay in (0.0, 0.008, 0.016):
            bursts += np.exp(-np.clip(t - delay, 0.0, None) / 0.008) * (t >= delay)
        clap: F64 = 0.25 * self._highpass_noise(t.size, 800.0) * (bursts + np.exp(-t / 0.04))
        return clap

    def hat(self, seconds: float) -> F64:
        t = self._t(seconds)
        hat: F64 = 0.3 * self._highpass_noise(t.size, 7000.0) * np.exp(-t / (seconds / 4.0))
        return hat

    def bass(self, freq_hz: float, seconds: float) -> F64:
        t = self._t(seconds)
        freq = freq_hz * self.ratio
        tone = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(2 * np.pi * 2 * freq * t)
        bass: F64 = 0.5 * tone * np.minimum(t / 0.005, 1.0) * np.exp(-t / (seconds / 2.0))
        return bass

    def wobble(self, freq_hz: float, seconds: float) -> F64:
        t = self._t(seconds)
        freq = freq_hz * self.ratio
        saw = np.zeros_like(t)
        for k in range(1, 12):
            if k * freq < 0.45 * self.sr:
                saw += np.sin(2 * np.pi * k * freq * t) / k
        wobble: F64 = 0.25 * saw * np.minimum(t / 0.01, 1.0) * np.exp(-t / (seconds * 0.8))
        return wobble

    def pad(self, chord_hz: tuple[float, ...], seconds: float) -> F64:
        t = self._t(seconds)
        out = np.zeros_like(t)
        for note in chord_hz:
            for spread in (-0.07, 0.07):  # a detuned pair: slow beating, like a supersaw
                f = note * self.ratio * 2.0 ** (spread / 12.0)
                for k in range(1, 4):
                    if k * f < 0.45 * self.sr:
                        out += np.sin(2 * np.pi * k * f * t + self.rng.uniform(0, 2 * np.pi)) / k
        envelope = np.minimum(t / 0.08, 1.0) * np.minimum((seconds - t) / 0.05, 1.0)
        pad: F64 = 0.04 * out * envelope
        return pad


def _swung(beat: float, swing: float) -> float:
    """Delay off-beat eighths by ``swing / 6`` beat and off-beat sixteenths by half that."""
    frac = beat % 1.0
    if abs(frac - 0.5) < 1e-9:
        return beat + swing / 6.0
    if abs(frac - 0.25) < 1e-9 or abs(frac - 0.75) < 1e-9:
        return beat + swing / 12.0
    return beat


_INTRO_INSTRUMENTS = frozenset({"kick", "hat", "open_hat"})


def _render(
    genre: str,
    beat_time: Callable[[float], float],
    n_beats: float,
    seconds: float,
    sr: int,
    *,
    seed: int,
    swing: float,
    detune_cents: float,
    intro_beats: int,
) -> F64:
    """Render ``genre`` bars with beat ``x`` (in beats from the first) at ``beat_time(x)`` s."""
    if genre not in _PATTERNS:
        raise ValueError(f"unknown genre {genre!r}; expected one of {', '.join(GENRES)}")
    rng = np.random.default_rng(seed)
    pattern, pads = _PATTERNS[genre](_Bar(rng))
    kit = _Kit(sr, rng, detune_cents)
    n = round(seconds * sr)
    out = np.zeros(n + sr)  # a second of room for the tails, cut below
    drums = {
        "kick": [kit.kick() for _ in range(2)],
        "snare": [kit.snare() for _ in range(4)],
        "clap": [kit.clap() for _ in range(4)],
        "hat": [kit.hat(0.04) for _ in range(6)],
        "open_hat": [kit.hat(0.2) for _ in range(2)],
    }
    tones = {"bass": (kit.bass, 0.45), "wobble": (kit.wobble, 0.48)}
    cache: dict[tuple[str, float, int], F64] = {}  # pitched notes repeat bar after bar

    def add(sample: F64, at_s: float, gain: float) -> None:
        start = round(at_s * sr)
        if 0 <= start < n:
            stop = min(start + sample.size, out.size)
            out[start:stop] += gain * sample[: stop - start]

    for bar in range(int(np.ceil(n_beats / 4.0)) + 1):
        bar_start = 4.0 * bar
        if bar_start >= n_beats:
            break
        for hit in pattern:
            x = bar_start + _swung(hit.beat, swing)
            if x >= n_beats or (x < intro_beats and hit.instrument not in _INTRO_INSTRUMENTS):
                continue
            at = beat_time(x)
            gain = hit.gain * rng.uniform(0.9, 1.1)
            if hit.instrument in drums:
                variants = drums[hit.instrument]
                add(variants[int(rng.integers(len(variants)))], at, gain)
                continue
            render, length = tones[hit.instrument]
            note_s = length * (beat_time(x + 1.0) - at)
            key = (hit.instrument, float(bar % 4), int(note_s * sr) // 64)
            if key not in cache:
                cache[key] = render(_ROOTS_HZ[bar % 4], note_s)
            add(cache[key], at, gain)
        if pads and bar_start >= intro_beats:
            at = beat_time(bar_start)
            length = beat_time(min(bar_start + 4.0, n_beats)) - at
            key = ("pad", float(bar % 4), int(length * sr) // 64)
            if key not in cache:
                cache[key] = kit.pad(_CHORDS_HZ[bar % 4], length)
            add(cache[key], at, 1.0)
    return out[:n]


def _finish(y: F64, rng: np.random.Generator, noise_db: float | None) -> NDArray[np.float32]:
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 0:
        y = 0.5 * y / peak
    if noise_db is not None:
        y = add_noise(y, noise_db=noise_db, seed=int(rng.integers(2**31)))
    return y.astype(np.float32)


def drum_loop(
    genre: str,
    bpm: float,
    seconds: float,
    sr: int,
    *,
    seed: int,
    swing: float = 0.0,
    detune_cents: float = 0.0,
    noise_db: float | None = None,
    intro_beats: int = 0,
) -> NDArray[np.float32]:
    """A drum pattern of ``genre`` at a steady ``bpm``, its first downbeat at time 0.

    Args:
        genre: One of :data:`GENRES`.
        bpm: Tempo at the metrical level a DJ counts (see the module docstring), > 0.
        seconds: Duration, in seconds.
        sr: Sample rate, in Hz (any rate >= 8000).
        seed: Seeds the noise of the instruments, small velocity variations, the mix
            and the genre's pattern variations (ghost notes, extra kicks): different
            seeds give different loops of the same genre.
        swing: In [0, 1]: off-beat eighths are delayed by ``swing / 6`` beat (``1`` is a
            triplet shuffle) and off-beat sixteenths by ``swing / 12`` beat.
        detune_cents: Shifts every pitched instrument (kick, bass, pads) by this many cents.
        noise_db: Adds white noise this many dB relative to the loop's RMS (``-10`` is
            an SNR of 10 dB); ``None`` adds none.
        intro_beats: The first ``intro_beats`` beats play kick and hats only, like a DJ
            intro; the full pattern starts after them.

    Returns:
        Mono float32 signal of shape ``(round(seconds * sr),)``, peak 0.5 before noise.

    Raises:
        ValueError: An unknown ``genre``.

    Example:
        >>> y = drum_loop("drum_and_bass", 174.0, 4.0, 22050, seed=3, noise_db=-20.0)
        >>> bool(np.max(np.abs(y)) < 1.0)
        True
    """
    period = 60.0 / bpm
    y = _render(
        genre,
        lambda x: x * period,
        seconds / period,
        seconds,
        sr,
        seed=seed,
        swing=swing,
        detune_cents=detune_cents,
        intro_beats=intro_beats,
    )
    return _finish(y, np.random.default_rng(seed + 1), noise_db)


def tempo_ramp(
    bpm_start: float,
    bpm_end: float,
    seconds: float,
    sr: int,
    *,
    genre: str = "house",
    seed: int = 0,
) -> NDArray[np.float32]:
    """A ``genre`` pattern whose tempo moves linearly from ``bpm_start`` to ``bpm_end``.

    The tempo at time ``t`` is ``bpm_start + (bpm_end - bpm_start) * t / seconds``; beat
    ``x`` falls where the integrated tempo reaches ``x`` beats (beat 0 at time 0).

    Returns:
        Mono float32 signal of shape ``(round(seconds * sr),)``.

    Example:
        >>> tempo_ramp(120.0, 128.0, 5.0, 22050).shape
        (110250,)
    """
    a = (bpm_end - bpm_start) / (120.0 * seconds)  # beats(t) = b * t + a * t**2
    b = bpm_start / 60.0

    def beat_time(x: float) -> float:
        if abs(a) < 1e-12:
            return x / b
        return float((-b + np.sqrt(b * b + 4.0 * a * x)) / (2.0 * a))

    y = _render(
        genre,
        beat_time,
        b * seconds + a * seconds**2,
        seconds,
        sr,
        seed=seed,
        swing=0.0,
        detune_cents=0.0,
        intro_beats=0,
    )
    return _finish(y, np.random.default_rng(seed + 1), None)


def click_track(
    bpm: float,
    seconds: float,
    sr: int,
    *,
    offset_s: float = 0.0,
    click_hz: float = 1000.0,
) -> NDArray[np.float32]:
    """A metronome: a 20 ms decaying ``click_hz`` tone on every beat from ``offset_s``.

    Returns:
        Mono float32 signal of shape ``(round(seconds * sr),)``, peak 0.5; the click of
        beat ``k`` starts at sample ``round((offset_s + k * 60 / bpm) * sr)``.

    Example:
        >>> y = click_track(120.0, 2.0, 22050, offset_s=0.1)
        >>> starts = np.flatnonzero((y[1:] != 0) & (y[:-1] == 0))  # sin(0) is 0
        >>> [round(float(s), 2) for s in starts / 22050]
        [0.1, 0.6, 1.1, 1.6]
    """
    n = round(seconds * sr)
    t = np.arange(int(0.02 * sr)) / sr
    click = 0.5 * np.sin(2 * np.pi * click_hz * t) * np.exp(-t / 0.005)
    out = np.zeros(n + click.size)
    for start_s in np.arange(offset_s, seconds, 60.0 / bpm):
        start = round(start_s * sr)
        out[start : start + click.size] += click
    return out[:n].astype(np.float32)


def add_noise(y: NDArray[np.floating], *, noise_db: float, seed: int) -> F64:
    """``y`` plus white noise ``noise_db`` dB relative to the RMS of ``y`` (seeded).

    Example:
        >>> y = add_noise(np.ones(1000), noise_db=-20.0, seed=0)
        >>> round(float(np.std(y)), 1)
        0.1
    """
    x = np.asarray(y, dtype=np.float64)
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    noise = np.random.default_rng(seed).standard_normal(x.size)
    noisy: F64 = x + noise * rms * 10.0 ** (noise_db / 20.0)
    return noisy


def melody(bpm: float, seconds: float, sr: int, *, seed: int = 0) -> NDArray[np.float32]:
    """A drumless melody: harmonic tones (five partials) on a major scale, half, one or
    two beats long, each with a 30 ms attack and a decay, played back to back at ``bpm``."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(seconds * sr)
    y = np.zeros(n)
    start = 0.0
    while start < seconds:
        length = beat * float(rng.choice([0.5, 1.0, 1.0, 2.0]))
        freq = 220.0 * 2.0 ** (float(rng.choice([0, 2, 4, 5, 7, 9, 11, 12])) / 12.0)
        first = int(start * sr)
        count = min(int(length * sr), n - first)
        t = np.arange(count) / sr
        tone = sum(np.sin(2 * np.pi * k * freq * t) / k for k in range(1, 6))
        y[first : first + count] += 0.2 * tone * np.minimum(t / 0.03, 1.0) * np.exp(-t / length)
        start += length
    return y.astype(np.float32)
