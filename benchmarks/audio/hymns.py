"""Hymns: four-part homophonic pieces composed from a seed, a tuning set for sustained music.

The held-out Bach chorales (``chorales.py``) must stay untouched by tuning, yet music of
their kind (four voices moving together on the beat, organ, choir or strings, no drums)
is what a tempo estimator hears least well. This set is composed to resemble it, so that
estimators can be judged on sustained polyphony without looking at the chorales:

* a diatonic progression, one chord per beat, phrases of four bars ending on a cadence
  (V-I, or a half cadence on V) held for the bar's last two beats;
* four voices: the bass on the chord's root (sometimes its third), the tenor, alto and
  soprano on the chord tones nearest their previous notes (common tones repeated, as
  in a chorale, where a held-over note is usually struck again);
* passing eighth notes in the inner voices now and then;
* 3/4 or 4/4, quarter note 84-132 BPM, one GM program for all four voices (organ, choir,
  strings, piano, harpsichord: the chorales' list), 30 s or more;
* or, ``florid`` (the corpus's ``florid`` set), in the texture of Bach's harmonizations:
  common tones tied over, suspensions, passing eighths in every voice. A rendered choir
  then has few onsets that stand out: only its chords change on the beat.

Its key is the one the progression is built in; its tempo the quarter note.

Example:
    >>> piece = compose_hymn(3)
    >>> piece.genre, 84 <= piece.bpm <= 132, len({n.channel for n in piece.notes})
    ('hymn', True, 4)
"""

from __future__ import annotations

import dataclasses
import math
import random

from benchmarks.audio.compose import Composition, Note, tempo_to_us

__all__ = ["compose_hymn"]

PROGRAMS = (19, 52, 48, 0, 6)
"""Church organ, choir aahs, string ensemble, piano, harpsichord (as the chorales)."""
TEMPO_RANGE = (84.0, 132.0)
MIN_DURATION_S = 30.0
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)
_NEXT_DEGREE = {0: (3, 4, 5, 1), 1: (4, 6), 2: (5, 3), 3: (4, 0, 1), 4: (0, 5), 5: (1, 3), 6: (0,)}
"""Where each scale degree's chord usually goes (0 = I ... 6 = vii)."""
_RANGES = ((40, 60), (48, 67), (55, 74), (60, 81))
"""MIDI ranges of bass, tenor, alto and soprano."""


def _chord(tonic: int, scale: tuple[int, ...], degree: int) -> list[int]:
    """Pitch classes of the triad on ``degree``."""
    return [(tonic + scale[(degree + step) % 7]) % 12 for step in (0, 2, 4)]


def _nearest(previous: int, classes: list[int], low: int, high: int) -> int:
    """The pitch of one of ``classes`` nearest ``previous`` within ``low``-``high``."""
    candidates = [p for p in range(low, high + 1) if p % 12 in classes]
    return min(candidates, key=lambda p: (abs(p - previous), p))


def _progression(rng: random.Random, bars: int, beats: int) -> list[tuple[int, float]]:
    """(degree, length in beats) for every chord, phrases of four bars with cadences."""
    chords: list[tuple[int, float]] = []
    for bar in range(bars):
        end_of_phrase = bar % 4 == 3
        if end_of_phrase:  # 3 or 4 beats: the cadence's last chord holds two
            cadence = [4, 0] if rng.random() < 0.7 else [1, 4]
            chords += [(cadence[0], beats - 2.0), (cadence[1], 2.0)]
            continue
        degree = chords[-1][0] if chords else 0
        for _ in range(beats):
            degree = rng.choice(_NEXT_DEGREE[degree])
            chords.append((degree, 1.0))
    return chords


def compose_hymn(seed: int, *, florid: bool = False) -> Composition:
    """A hymn from ``seed`` (see the module doc); the same seed gives the same piece.

    ``florid`` writes it as Bach harmonized chorales: common tones tied over half the
    time (no new onset in that voice), suspensions in the upper voices (the previous note
    held into the beat, resolving down a step on the half-beat), and passing eighths in
    every voice, the bass included, on a third of the beats.
    """
    rng = random.Random(f"hymn:{seed}")
    tonic = rng.randrange(12)
    mode = rng.choice(("major", "minor"))
    scale = _MAJOR if mode == "major" else _HARMONIC_MINOR
    beats = rng.choice((3, 4))
    tempo_us = tempo_to_us(round(rng.uniform(*TEMPO_RANGE), 2))
    program = rng.choice(PROGRAMS)
    bar_s = beats * tempo_us / 1_000_000
    bars = 4 * math.ceil(MIN_DURATION_S / bar_s / 4)
    notes: list[Note] = []
    last: list[int | None] = [None, None, None, None]  # index in notes of each voice's last
    voices = [48, 55, 62, 69]
    position = 0.0
    for degree, length in _progression(rng, bars, beats):
        classes = _chord(tonic, scale, degree)
        root_or_third = classes[0] if rng.random() < 0.8 else classes[1]
        for voice, (low, high) in enumerate(_RANGES):
            wanted = [root_or_third] if voice == 0 else classes
            pitch = _nearest(voices[voice], wanted, low, high)
            velocity = max(1, min(127, 78 + rng.randint(-6, 6)))
            previous = last[voice]
            held = notes[previous] if previous is not None else None
            if florid and previous is not None and held is not None:
                if held.pitch == pitch and rng.random() < 0.5:
                    # A common tone tied over: no new onset in this voice.
                    notes[previous] = dataclasses.replace(held, duration=held.duration + length)
                    continue
                step_down = voice >= 2 and 1 <= held.pitch - pitch <= 2
                if step_down and length == 1.0 and rng.random() < 0.3:
                    # A suspension: the previous note held into the beat, resolving down
                    # on the half-beat.
                    notes[previous] = dataclasses.replace(held, duration=held.duration + 0.5)
                    notes.append(Note(position + 0.5, 0.5, pitch, velocity, voice))
                    last[voice] = len(notes) - 1
                    voices[voice] = pitch
                    continue
            chance = 0.35 if florid else 0.15
            passing = (florid or 0 < voice < 3) and length == 1.0 and rng.random() < chance
            if passing:  # an eighth on the chord tone, then the scale's next one up or down
                step = 1 if rng.random() < 0.5 else -1
                neighbour = pitch + step
                while (neighbour - tonic) % 12 not in scale:
                    neighbour += step
                notes.append(Note(position, 0.5, pitch, velocity, voice))
                notes.append(Note(position + 0.5, 0.5, neighbour, velocity, voice))
            else:
                notes.append(Note(position, length, pitch, velocity, voice))
            last[voice] = len(notes) - 1
            voices[voice] = pitch
        position += length
    return Composition(
        genre="florid hymn" if florid else "hymn",
        tempo_us=tempo_us,
        tonic=tonic,
        mode=mode,
        length_beats=position,
        notes=tuple(notes),
        programs=dict.fromkeys(range(4), program),
        harmony_program=program,
    )
