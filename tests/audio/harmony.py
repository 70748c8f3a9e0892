"""Synthetic harmonic signals with a known key, for the key-detection tests and benchmark.

Everything is additive synthesis (sines with decaying harmonics and an envelope), seeded,
in any of the 24 keys, with an optional detune of the whole "master" in cents:

- :func:`tone`, :func:`chord` and :func:`progression` (roman numerals such as
  ``("i", "iv", "V", "i")``) for block chords with a bass line;
- :func:`scale` for a melody line;
- :func:`percussion` for a drum-like layer (a swept-sine kick, noise-burst snare and
  hi-hat) and :func:`add_noise` for white noise at a given SNR;
- :func:`render_key` to put them together: harmony, optional drums, a drum-only intro and
  noise, at 22050 Hz by default.

>>> y = render_key("A minor", duration_s=2.0, seed=1)
>>> y.dtype, y.shape
(dtype('float32'), (44100,))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tracktion.audio.notation import MusicalKey, parse_key

__all__ = [
    "MAJOR_PROGRESSIONS",
    "MINOR_PROGRESSIONS",
    "SR",
    "add_noise",
    "chord",
    "midi_to_hz",
    "percussion",
    "progression",
    "render_key",
    "scale",
    "tone",
]

SR = 22050
"""Default sample rate of the helpers, in Hz."""

MAJOR_PROGRESSIONS: tuple[tuple[str, ...], ...] = (
    ("I", "IV", "V", "I"),
    ("I", "vi", "IV", "V", "I"),
    ("I", "V", "vi", "IV", "I"),
    ("I", "ii", "V", "I"),
)
"""Diatonic major progressions that establish their tonic (they start and end on it)."""

MINOR_PROGRESSIONS: tuple[tuple[str, ...], ...] = (
    ("i", "iv", "V", "i"),
    ("i", "VI", "III", "VII", "i"),
    ("i", "iv", "v", "i"),
    ("i", "VII", "VI", "V", "i"),
)
"""Minor progressions that establish their tonic; ``V`` is the harmonic-minor dominant (with
the raised leading tone), ``v`` the natural-minor one."""

_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
_NUMERALS = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}
_TRIADS = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6)}

Signal = NDArray[np.float32]


def midi_to_hz(midi: float, *, detune_cents: float = 0.0) -> float:
    """Frequency in Hz of MIDI note ``midi`` (69 = A4 = 440 Hz), detuned by ``detune_cents``."""
    return float(440.0 * 2.0 ** ((midi - 69.0 + detune_cents / 100.0) / 12.0))


def tone(
    freq_hz: float,
    duration_s: float,
    *,
    sr: int = SR,
    n_harmonics: int = 8,
    rolloff: float = 0.6,
    amplitude: float = 0.1,
    attack_s: float = 0.01,
    decay_per_s: float = 1.0,
    rng: np.random.Generator | None = None,
) -> Signal:
    """One note: ``n_harmonics`` sines at ``k * freq_hz`` (those below Nyquist) with
    amplitudes ``amplitude * rolloff ** (k - 1)`` and random phases, under a linear attack,
    an exponential decay (``decay_per_s``, 1/s) and a 10 ms release. Shape
    ``(round(duration_s * sr),)``, float32."""
    rng = rng if rng is not None else np.random.default_rng(0)
    n = round(duration_s * sr)
    t = np.arange(n) / sr
    out = np.zeros(n)
    for k in range(1, n_harmonics + 1):
        if k * freq_hz >= sr / 2:
            break
        phase = rng.uniform(0.0, 2.0 * np.pi)
        out += rolloff ** (k - 1) * np.sin(2.0 * np.pi * k * freq_hz * t + phase)
    envelope = np.minimum(1.0, t / max(attack_s, 1.0 / sr)) * np.exp(-decay_per_s * t)
    release = min(n, round(0.01 * sr))
    envelope[n - release :] *= np.linspace(1.0, 0.0, release)
    note: Signal = (amplitude * out * envelope).astype(np.float32)
    return note


def _key(key: str | MusicalKey) -> MusicalKey:
    return key if isinstance(key, MusicalKey) else parse_key(key)


def _chord_pitches(key: MusicalKey, numeral: str) -> tuple[int, tuple[int, ...]]:
    """Root pitch class and triad intervals of a roman numeral in ``key``."""
    diminished = numeral.endswith(("o", "°"))
    name = numeral.rstrip("o°")
    degree = _NUMERALS[name.lower()]
    scale_steps = _MAJOR_SCALE if key.mode == "major" else _MINOR_SCALE
    root = (key.tonic + scale_steps[degree]) % 12
    quality = "diminished" if diminished else ("major" if name.isupper() else "minor")
    return root, _TRIADS[quality]


def chord(
    midis: Sequence[int],
    duration_s: float,
    *,
    sr: int = SR,
    detune_cents: float = 0.0,
    amplitude: float = 0.08,
    rng: np.random.Generator | None = None,
) -> Signal:
    """The notes ``midis`` played together (see :func:`tone`), shape
    ``(round(duration_s * sr),)``."""
    rng = rng if rng is not None else np.random.default_rng(0)
    out = np.zeros(round(duration_s * sr), np.float32)
    for midi in midis:
        freq = midi_to_hz(midi, detune_cents=detune_cents)
        out += tone(freq, duration_s, sr=sr, amplitude=amplitude, rng=rng)
    return out


def progression(
    key: str | MusicalKey,
    numerals: Sequence[str],
    *,
    chord_s: float = 1.0,
    sr: int = SR,
    detune_cents: float = 0.0,
    bass: bool = True,
    rng: np.random.Generator | None = None,
) -> Signal:
    """Block triads on ``numerals`` in ``key`` (root position around C4-B4), each
    ``chord_s`` seconds, with the root in the bass two octaves down when ``bass``.
    Shape ``(len(numerals) * round(chord_s * sr),)``."""
    rng = rng if rng is not None else np.random.default_rng(0)
    key = _key(key)
    parts = []
    for numeral in numerals:
        root, intervals = _chord_pitches(key, numeral)
        midis = [60 + root + interval for interval in intervals]
        if bass:
            midis.append(36 + root)
        parts.append(chord(midis, chord_s, sr=sr, detune_cents=detune_cents, rng=rng))
    return np.concatenate(parts)


def scale(
    key: str | MusicalKey,
    *,
    note_s: float = 0.25,
    octave: int = 5,
    sr: int = SR,
    detune_cents: float = 0.0,
    harmonic_minor: bool = False,
    rng: np.random.Generator | None = None,
) -> Signal:
    """The scale of ``key`` up one octave and back down to the tonic (15 notes of
    ``note_s`` seconds) starting at the tonic in MIDI octave ``octave`` (5: C5 = 72 ...),
    natural minor unless ``harmonic_minor``."""
    rng = rng if rng is not None else np.random.default_rng(0)
    key = _key(key)
    steps = list(_MAJOR_SCALE if key.mode == "major" else _MINOR_SCALE)
    if key.mode == "minor" and harmonic_minor:
        steps[6] = 11
    up = [*steps, 12]
    pitches = [*up, *reversed(up[:-1])]
    base = 12 * (octave + 1) + key.tonic
    notes = [
        tone(midi_to_hz(base + p, detune_cents=detune_cents), note_s, sr=sr, rng=rng)
        for p in pitches
    ]
    return np.concatenate(notes)


def percussion(
    duration_s: float,
    *,
    bpm: float = 120.0,
    sr: int = SR,
    amplitude: float = 0.5,
    rng: np.random.Generator | None = None,
) -> Signal:
    """A drum-like loop: a kick (sine swept 150 -> 50 Hz, 150 ms) on every beat, a snare
    (noise burst with a 180 Hz body, 120 ms) on beats 2 and 4, and a hi-hat (high-passed
    noise burst, 40 ms) on every eighth note. Shape ``(round(duration_s * sr),)``."""
    rng = rng if rng is not None else np.random.default_rng(0)
    n = round(duration_s * sr)
    out = np.zeros(n + sr, np.float32)
    beat = 60.0 / bpm

    def hit(start_s: float, sound: NDArray[np.float64]) -> None:
        i = round(start_s * sr)
        out[i : i + sound.size] += sound.astype(np.float32)[: out.size - i]

    t_kick = np.arange(round(0.15 * sr)) / sr
    sweep = 2.0 * np.pi * (50.0 * t_kick + (100.0 / 30.0) * (1.0 - np.exp(-30.0 * t_kick)))
    kick = np.sin(sweep) * np.exp(-t_kick / 0.05)
    t_snare = np.arange(round(0.12 * sr)) / sr
    t_hat = np.arange(round(0.04 * sr)) / sr
    for index in range(int(duration_s / beat * 2) + 1):
        start = index * beat / 2
        if start >= duration_s:
            break
        hat = np.diff(rng.standard_normal(t_hat.size + 1)) * np.exp(-t_hat / 0.01)
        hit(start, 0.15 * hat)
        if index % 2 == 0:
            hit(start, kick)
            if index % 4 == 2:
                noise = rng.standard_normal(t_snare.size) * np.exp(-t_snare / 0.03)
                body = np.sin(2.0 * np.pi * 180.0 * t_snare) * np.exp(-t_snare / 0.04)
                hit(start, 0.4 * noise + 0.4 * body)
    loop: Signal = (amplitude * out[:n]).astype(np.float32)
    return loop


def add_noise(y: Signal, *, snr_db: float, rng: np.random.Generator | None = None) -> Signal:
    """``y`` plus white Gaussian noise at ``snr_db`` dB below the signal's mean power."""
    rng = rng if rng is not None else np.random.default_rng(0)
    power = float(np.mean(np.square(y, dtype=np.float64)))
    noise = rng.standard_normal(y.size) * np.sqrt(power / 10.0 ** (snr_db / 10.0))
    noisy: Signal = (y + noise).astype(np.float32)
    return noisy


def render_key(
    key: str | MusicalKey,
    *,
    numerals: Sequence[str] | None = None,
    duration_s: float = 12.0,
    chord_s: float = 1.0,
    sr: int = SR,
    detune_cents: float = 0.0,
    melody: bool = True,
    drums: bool = False,
    intro_beats: int = 0,
    bpm: float = 120.0,
    snr_db: float | None = None,
    seed: int = 0,
) -> Signal:
    """A clip in ``key``: the progression ``numerals`` (default: the first of
    :data:`MAJOR_PROGRESSIONS` or :data:`MINOR_PROGRESSIONS`) repeated, with the scale as
    a melody over it (``melody``), a drum loop (``drums``), preceded by ``intro_beats``
    beats of drums alone (the drums then go on under the harmony), with white noise at
    ``snr_db`` (``None``: none), peak-normalized to 0.9. Shape
    ``(round(duration_s * sr),)``, float32, the intro included."""
    rng = np.random.default_rng(seed)
    key = _key(key)
    if numerals is None:
        numerals = (MAJOR_PROGRESSIONS if key.mode == "major" else MINOR_PROGRESSIONS)[0]
    n = round(duration_s * sr)
    intro = round(intro_beats * 60.0 / bpm * sr)
    body_n = max(0, n - intro)
    cycle = progression(key, numerals, chord_s=chord_s, sr=sr, detune_cents=detune_cents, rng=rng)
    harmony = np.resize(cycle, body_n) if body_n else np.zeros(0, np.float32)
    if melody and body_n:
        line = scale(key, note_s=chord_s / 4, sr=sr, detune_cents=detune_cents, rng=rng)
        harmony = harmony + 0.7 * np.resize(line, body_n)
    y = np.concatenate([np.zeros(intro, np.float32), harmony.astype(np.float32)])
    if drums or intro_beats:
        y = y + percussion(duration_s, bpm=bpm, sr=sr, rng=rng)[: y.size]
    if snr_db is not None:
        y = add_noise(y, snr_db=snr_db, rng=rng)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return (y * (0.9 / peak) if peak > 0 else y).astype(np.float32)
