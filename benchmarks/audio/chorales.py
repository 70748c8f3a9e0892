"""The held-out real set: Bach's four-part chorales from music21's bundled corpus.

This set exists to check that nothing was tuned to the folk songs: no estimator change is
judged on it, and ``evaluate.py`` leaves it out unless ``--held-out`` asks for it (see
:data:`benchmarks.audio.manifest.HELD_OUT_SETS`).

A chorale is used when it has four parts, one meter of 3/4 or 4/4 (the quarter note is
the beat, so its tempo is the ground truth), and its key can be read without analysis:

1. the tonic is the lowest note of the final chord (the bass of the closing cadence:
   Bach's chorales end on the tonic, often with a Picardy third, which the rule ignores);
2. the mode is the key signature's: the final bass on the signature's major tonic gives
   major, on its relative minor's tonic minor (``key_source = "signature+final-bass"``);
   chorales ending elsewhere (modal ones, ending on the dominant) are skipped.

Each chorale gets a tempo from the seeded RNG (quarter note 84-132 BPM, as the folk songs)
and one GM program for all four voices (organ, choir, strings, piano, harpsichord), and is
repeated, from a bar line, until it lasts 30 s. Fermatas are not held: the tempo is steady.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.audio.compose import Composition, Note, tempo_to_us

__all__ = ["Chorale", "choose_chorales"]

METERS = ("3/4", "4/4")
PROGRAMS = (19, 52, 48, 0, 6)
"""Church organ, choir aahs, string ensemble, piano, harpsichord."""
TEMPO_RANGE = (84.0, 132.0)
MIN_DURATION_S = 30.0
MAJOR_TONIC_OF_SHARPS = {n: (7 * n) % 12 for n in range(-7, 8)}
"""Pitch class of the major tonic of a signature with ``n`` sharps (negative: flats)."""


@dataclass(frozen=True, slots=True)
class Chorale:
    """A chosen chorale: its composition, where it comes from and how its key was read."""

    composition: Composition
    source: str
    title: str
    key_source: str
    music21_key: str
    """music21's unrestricted analysis, to report how often it agrees with the rule."""


def _chorale(path: Any, seed: int, source: str) -> Chorale:
    """Parse one chorale and turn it into a composition; ValueError when it does not qualify."""
    from music21 import converter, key, meter

    rng = random.Random(f"{source}:{seed}")
    score = converter.parse(path)
    if len(score.parts) != 4:
        raise ValueError("not four parts")
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass(meter.TimeSignature)}
    if len(meters) != 1:
        raise ValueError("meter changes")
    (meter_name,) = meters
    if meter_name not in METERS:
        raise ValueError(f"meter {meter_name}")
    signatures = {ks.sharps for ks in score.recurse().getElementsByClass(key.KeySignature)}
    if len(signatures) != 1:
        raise ValueError("key signature changes")
    (sharps,) = signatures
    notes_by_part = [list(part.flatten().stripTies().notes) for part in score.parts]
    if any(len(notes) < 8 for notes in notes_by_part):
        raise ValueError("too few notes")
    end = max(float(n.offset) + float(n.quarterLength) for ns in notes_by_part for n in ns)
    final = [
        pitch
        for part_notes in notes_by_part
        for n in part_notes
        if float(n.offset) + float(n.quarterLength) >= end - 1e-6
        for pitch in n.pitches
    ]
    if not final:
        raise ValueError("no final chord")
    tonic = min(final, key=lambda p: p.midi).pitchClass
    major_tonic = MAJOR_TONIC_OF_SHARPS[sharps]
    if tonic == major_tonic:
        mode = "major"
    elif tonic == (major_tonic + 9) % 12:
        mode = "minor"
    else:
        raise ValueError("final bass outside the signature's keys")
    analysis = score.analyze("key")
    music21_key = f"{analysis.tonic.name.replace('-', 'b')} {analysis.mode}"

    tempo_us = tempo_to_us(round(rng.uniform(*TEMPO_RANGE), 2))
    program = rng.choice(PROGRAMS)
    bar_quarters = int(meter_name[0])
    start = min(float(n.offset) for ns in notes_by_part for n in ns)
    period = math.ceil((end - start) / bar_quarters) * bar_quarters
    repeats = max(1, math.ceil(MIN_DURATION_S / (period * tempo_us / 1_000_000)))
    notes = [
        Note(
            start=repeat * period + float(element.offset) - start,
            duration=float(element.quarterLength),
            pitch=pitch.midi,
            velocity=max(1, min(127, 80 + rng.randint(-6, 6))),
            channel=channel,
        )
        for repeat in range(repeats)
        for channel, part_notes in enumerate(notes_by_part)
        for element in part_notes
        for pitch in element.pitches
        if element.quarterLength > 0
    ]
    composition = Composition(
        genre="chorale",
        tempo_us=tempo_us,
        tonic=tonic,
        mode=mode,
        length_beats=float(repeats * period),
        notes=tuple(notes),
        programs=dict.fromkeys(range(4), program),
        harmony_program=program,
    )
    title = str(score.metadata.title) if score.metadata is not None else ""
    return Chorale(composition, source, title, "signature+final-bass", music21_key)


def choose_chorales(count: int, seed: int) -> tuple[list[Chorale], dict[str, int]]:
    """``count`` chorales chosen at random (seeded) among those that qualify.

    Returns:
        The chorales in the order chosen, and how many were skipped for each reason.
    """
    import music21

    root = Path(music21.__file__).parent / "corpus"
    paths = sorted(Path(p) for p in music21.corpus.corpora.CoreCorpus().getWorkList("bach"))
    random.Random(f"chorales:{seed}").shuffle(paths)
    chosen: list[Chorale] = []
    skipped: dict[str, int] = {}
    for path in paths:
        if len(chosen) >= count:
            break
        source = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        try:
            chosen.append(_chorale(path, seed, source))
        except (ValueError, IndexError, KeyError) as error:
            reason = str(error).split(":")[0] or type(error).__name__
            skipped[reason] = skipped.get(reason, 0) + 1
    return chosen, skipped
