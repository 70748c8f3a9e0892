"""Synthetic signals for the metrical-level tests: patterns whose beat a listener knows.

Each pattern is a list of ``(instrument, position, gain)`` hits in a bar measured in beats
at the tempo a DJ (or a musician) counts, rendered with numpy from a seeded RNG:

* :func:`compound_clicks`: 6/8 at a dotted-quarter beat: clicks on every eighth note,
  the first of each group of three accented (the beat), the bar's first loudest;
* :func:`syncopated_downtempo`: a downtempo groove whose kick plays syncopated sixteenths
  (on 1, the "a" of 1, the "and" of 3 and the "e" of 4), snare on 2 and 4, closed hats on
  the sixteenths: its sixteenth-note kicks are what makes a tempo estimator double it;
* :func:`dnb_break`: a drum and bass break at 170-180: kick on 1 and the "and" of 3, snare
  on 2 and 4 with ghost notes on sixteenths, a ride on the eighths;
* :func:`legato_melody`: a soft-onset melody (slow attacks, each note tied into the next,
  several notes within one half-octave), the hard case of melodic material without drums;
* :func:`song_melody`: a folk-like song in 2/4, bars of quarter notes, pairs or runs of
  eighths and half notes, all equally loud: its beat is the quarter note, which only the
  notes' durations tell (the eighth-note runs are as periodic as the beats);
* :func:`waltz_melody`: a 3/4 melody with a bass note on each downbeat and chords on beats
  2 and 3, whose beat is the quarter note;
* :func:`chorale`: four sustained voices (organ-like partials, 150 ms attacks, a choir's
  vibrato) moving on the beat, each holding common tones across chord changes, phrases
  ending on held chords: no drums and no silence between notes, only note changes.

Example:
    >>> y = compound_clicks(120.0, 5.0, 22050)
    >>> y.dtype, y.shape
    (dtype('float32'), (110250,))
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "chorale",
    "compound_clicks",
    "dnb_break",
    "legato_melody",
    "song_melody",
    "syncopated_downtempo",
    "waltz_melody",
]

F64 = NDArray[np.float64]
Hit = tuple[str, float, float]


def _kick(sr: int, rng: np.random.Generator) -> F64:
    t = np.arange(int(0.3 * sr)) / sr
    freq = 50.0 + 100.0 * np.exp(-t / 0.03) * rng.uniform(0.97, 1.03)
    kick: F64 = np.sin(2.0 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.12)
    return kick


def _noise(
    sr: int, seconds: float, cutoff_hz: float, decay_s: float, rng: np.random.Generator
) -> F64:
    n = int(seconds * sr)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum[np.fft.rfftfreq(n, 1.0 / sr) < min(cutoff_hz, 0.3 * sr)] = 0.0
    noise = np.fft.irfft(spectrum, n)
    burst: F64 = noise / (np.std(noise) + 1e-12) * np.exp(-np.arange(n) / (decay_s * sr))
    return burst


def _snare(sr: int, rng: np.random.Generator) -> F64:
    t = np.arange(int(0.2 * sr)) / sr
    snare: F64 = 0.45 * _noise(sr, 0.2, 1000.0, 0.05, rng) + 0.5 * np.sin(
        2.0 * np.pi * 190.0 * t
    ) * np.exp(-t / 0.04)
    return snare


def _click(sr: int, freq_hz: float) -> F64:
    t = np.arange(int(0.02 * sr)) / sr
    click: F64 = np.sin(2 * np.pi * freq_hz * t) * np.exp(-t / 0.005)
    return click


def _normalized(y: F64) -> NDArray[np.float32]:
    """``y`` at a peak of 0.5, as float32."""
    out: NDArray[np.float32] = (0.5 * y / max(float(np.max(np.abs(y))), 1e-12)).astype(np.float32)
    return out


def _render(
    hits: list[Hit], bar_beats: float, bpm: float, seconds: float, sr: int, seed: int
) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    out = np.zeros(n + sr)
    beat_s = 60.0 / bpm
    for bar_start in np.arange(0.0, seconds / beat_s, bar_beats):
        for instrument, position, gain in hits:
            start = round((bar_start + position) * beat_s * sr)
            if start >= n:
                continue
            if instrument == "kick":
                sound = _kick(sr, rng)
            elif instrument == "snare":
                sound = _snare(sr, rng)
            elif instrument == "hat":
                sound = 0.3 * _noise(sr, 0.04, 7000.0, 0.01, rng)
            elif instrument == "ride":
                sound = 0.3 * _noise(sr, 0.25, 4000.0, 0.08, rng)
            else:  # "click" and "accent": a short tone, higher on the accent
                sound = _click(sr, 1500.0 if instrument == "accent" else 1000.0)
            stop = min(start + sound.size, out.size)
            out[start:stop] += gain * rng.uniform(0.92, 1.08) * sound[: stop - start]
    return _normalized(out[:n])


def compound_clicks(bpm: float, seconds: float, sr: int, *, seed: int = 0) -> NDArray[np.float32]:
    """6/8 clicks at ``bpm`` dotted quarters: six eighths a bar, three to a beat.

    The bar's first eighth is an accent click at full gain, the second beat's first eighth
    an accent at 0.7, the other eighths plain clicks at 0.35.
    """
    third = 1.0 / 3.0
    hits: list[Hit] = [("accent", 0.0, 1.0), ("accent", 1.0, 0.7)]
    hits += [("click", b + k * third, 0.35) for b in (0.0, 1.0) for k in (1, 2)]
    return _render(hits, 2.0, bpm, seconds, sr, seed)


def syncopated_downtempo(
    bpm: float, seconds: float, sr: int, *, seed: int = 0
) -> NDArray[np.float32]:
    """A downtempo groove with syncopated sixteenth-note kicks (see the module doc)."""
    hits: list[Hit] = [
        ("kick", b, g) for b, g in ((0.0, 1.0), (0.75, 0.8), (2.5, 0.9), (3.25, 0.7))
    ]
    hits += [("snare", 1.0, 0.8), ("snare", 3.0, 0.8)]
    hits += [("hat", k * 0.25, 0.5 if k % 2 == 0 else 0.3) for k in range(16)]
    return _render(hits, 4.0, bpm, seconds, sr, seed)


def dnb_break(bpm: float, seconds: float, sr: int, *, seed: int = 0) -> NDArray[np.float32]:
    """A drum and bass break (see the module doc), two bars long."""
    hits: list[Hit] = [
        ("kick", 0.0, 1.0),
        ("kick", 2.5, 0.9),
        ("kick", 4.0, 1.0),
        ("kick", 6.5, 0.9),
    ]
    hits += [("kick", 4.25, 0.6)]
    hits += [("snare", b, 0.9) for b in (1.0, 3.0, 5.0, 7.0)]
    hits += [("snare", b, 0.3) for b in (1.75, 3.75, 5.25, 6.75, 7.75)]
    hits += [("ride", k * 0.5, 0.5) for k in range(16)]
    return _render(hits, 8.0, bpm, seconds, sr, seed)


def _tone(freq: float, seconds: float, sr: int, attack_s: float) -> F64:
    t = np.arange(int(seconds * sr)) / sr
    partials = sum(np.sin(2 * np.pi * k * freq * t) * 0.7**k for k in range(1, 6))
    envelope = np.minimum(t / attack_s, 1.0) * np.minimum((seconds - t) / 0.02, 1.0)
    tone: F64 = partials * envelope
    return tone


def legato_melody(bpm: float, seconds: float, sr: int, *, seed: int = 0) -> NDArray[np.float32]:
    """Slow-attack (60 ms) notes of one, two or half a beat, tied end to end, on a major
    scale around A4: no drums and no gap between notes, so only pitch changes mark onsets."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(seconds * sr)
    y = np.zeros(n + sr)
    position = 0.0
    step = 0
    while position < seconds / beat:
        length = float(rng.choice([0.5, 1.0, 1.0, 1.0, 2.0]))
        step = int(np.clip(step + rng.choice([-2, -1, 1, 2]), 0, 12))
        freq = 440.0 * 2.0 ** ((0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19, 21)[step] / 12.0)
        first = int(position * beat * sr)
        tone = _tone(freq, length * beat + 0.03, sr, 0.06)
        stop = min(first + tone.size, y.size)
        y[first:stop] += 0.2 * rng.uniform(0.85, 1.0) * tone[: stop - first]
        position += length
    return _normalized(y[:n])


def song_melody(bpm: float, seconds: float, sr: int, *, seed: int = 0) -> NDArray[np.float32]:
    """A plucked 2/4 song at ``bpm`` quarter notes (see the module doc): each bar is two
    quarters, an eighth pair and a quarter, a quarter and an eighth pair, four eighths or a
    half note, at one velocity, on a major scale around A4."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(seconds * sr)
    y = np.zeros(n + 2 * sr)
    bars = ((1.0, 1.0), (0.5, 0.5, 1.0), (1.0, 0.5, 0.5), (0.5, 0.5, 0.5, 0.5), (2.0,))
    position, step = 0.0, 4
    while position < seconds / beat:
        for length in bars[int(rng.integers(len(bars)))]:
            step = int(np.clip(step + rng.choice([-2, -1, 1, 2]), 0, 12))
            freq = 440.0 * 2.0 ** ((0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19, 21)[step] / 12.0)
            first = int(position * beat * sr)
            tone = _tone(freq, length * beat, sr, 0.01) * np.exp(
                -np.arange(int(length * beat * sr)) / (0.5 * sr)
            )
            y[first : first + tone.size] += 0.2 * tone
            position += length
    return _normalized(y[:n])


def waltz_melody(bpm: float, seconds: float, sr: int, *, seed: int = 0) -> NDArray[np.float32]:
    """A 3/4 accompaniment at ``bpm`` quarter notes: a bass note on each downbeat, a soft
    chord on beats 2 and 3, and a melody note on the beat (sometimes two eighths)."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(seconds * sr)
    y = np.zeros(n + sr)
    roots = (110.0, 146.83, 164.81, 110.0)

    def add(freq: float, at_beats: float, length_beats: float, gain: float) -> None:
        first = int(at_beats * beat * sr)
        if first >= n:
            return
        tone = _tone(freq, length_beats * beat, sr, 0.01) * np.exp(
            -np.arange(int(length_beats * beat * sr)) / (0.4 * sr)
        )
        stop = min(first + tone.size, y.size)
        y[first:stop] += gain * tone[: stop - first]

    for bar, start in enumerate(np.arange(0.0, seconds / beat, 3.0)):
        root = roots[bar % 4]
        add(root, start, 1.0, 0.5)
        for b in (1.0, 2.0):
            for ratio in (2.0, 2.52, 3.0):
                add(root * ratio, start + b, 0.8, 0.08)
        for b in (0.0, 1.0, 2.0):
            freq = 440.0 * 2.0 ** (int(rng.integers(0, 8)) / 12.0)
            if rng.random() < 0.3:
                add(freq, start + b, 0.5, 0.2)
                add(freq * 2.0 ** (2 / 12), start + b + 0.5, 0.5, 0.2)
            else:
                add(freq, start + b, 1.0, 0.2)
    return _normalized(y[:n])


_VOICES = (48, 55, 60, 67)
"""Bass, tenor, alto and soprano: the MIDI notes their scale steps count from."""
_MAJOR = (0, 2, 4, 5, 7, 9, 11)


def _voice_tone(
    freq: float, seconds: float, sr: int, rng: np.random.Generator, attack_s: float, vibrato: float
) -> F64:
    """A held organ/choir note: six partials, a linear attack, vibrato at 5.5 Hz."""
    t = np.arange(int(seconds * sr)) / sr
    vibrato_curve = 1.0 + vibrato * np.sin(2 * np.pi * 5.5 * t + rng.uniform(0.0, 2 * np.pi))
    phase = 2 * np.pi * np.cumsum(freq * vibrato_curve) / sr
    partials = sum(np.sin(k * phase) * 0.6 ** (k - 1) for k in range(1, 7) if k * freq < sr / 2)
    envelope = np.minimum(t / attack_s, 1.0) * np.minimum((seconds - t) / 0.03, 1.0)
    tone: F64 = partials * envelope
    return tone


def chorale(
    bpm: float,
    seconds: float,
    sr: int,
    *,
    seed: int = 0,
    attack_s: float = 0.15,
    vibrato: float = 0.006,
) -> NDArray[np.float32]:
    """Four voices moving on quarter notes at ``bpm`` (sometimes a half or an eighth), each
    holding its note across a beat four times in ten (tied: no new onset), every fourth
    bar ending on a half note; see the module doc. A choir: longer ``attack_s`` and a
    wider ``vibrato`` (relative frequency deviation)."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(seconds * sr)
    y = np.zeros(n + 4 * sr)
    for voice, base in enumerate(_VOICES):
        notes: list[list[float]] = []  # [start beat, length in beats, scale step]
        position, step, count = 0.0, 2, 0
        while position < seconds / beat:
            length = 2.0 if count % 16 == 15 else 1.0
            if length == 1.0 and rng.random() < 0.15:
                length = 0.5 if voice > 0 and rng.random() < 0.5 else 2.0
            if notes and notes[-1][2] == step:
                notes[-1][1] += length  # a common tone: held, not struck again
            else:
                notes.append([position, length, step])
            if rng.random() > 0.4:
                step = int(np.clip(step + rng.choice([-2, -1, 1, 2]), 0, 9))
            position += length
            count += 1
        for start, length, note_step in notes:
            midi = base + 12 * (int(note_step) // 7) + _MAJOR[int(note_step) % 7]
            freq = 440.0 * 2.0 ** ((midi - 69) / 12)
            tone = _voice_tone(freq, length * beat + 0.02, sr, rng, attack_s, vibrato)
            first = int(start * beat * sr)
            stop = min(first + tone.size, y.size)
            y[first:stop] += 0.15 * tone[: stop - first]
    return _normalized(y[:n])
