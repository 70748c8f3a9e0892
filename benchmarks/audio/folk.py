"""Real compositions with known keys: folk songs from music21's bundled corpus.

The songs come from the Essen Folksong Collection as music21 ships it
(``essenFolksong/*.abc``), European collections only: the Chinese ones (``han*``) are
pentatonic songs whose modes a major/minor label does not fit, and the ``test*`` files are
music21's fixtures. The Bach chorales are left out on purpose: they stay an untouched real
set for a later check that nothing was tuned to this one.

A song is used when its tune has one key field, one meter of 2/4, 3/4 or 4/4 (so the
quarter note is the beat and its tempo is the ground truth), and its key can be decided:

1. The tonic is the ABC ``K:`` field. Essen's ABC files encode there the tonic of the song
   (from the EsAC ``KEY`` field), not a key signature: minor songs are written as
   ``K: E`` with naturals on every G, C and D. music21 reads the field as "E major", so its
   key signature cannot be taken as it is.
2. The mode is the third above that tonic as the notes have it: only the minor third ->
   minor, only the major third -> major (``key_source = "tonic+third"``). This is the key
   signature the song really uses.
3. When the notes have both thirds or neither, music21's own key analysis decides, but
   only between the two keys on that tonic: the one of the pair that its
   Krumhansl-Schmuckler analysis (``Score.analyze("key")``) correlates higher with
   (``tonic+music21``).

Minor songs are rare in Essen's German collections (a few percent), so the choice is
stratified: up to ``minor_share`` of the songs are minor when enough minor songs exist.

Each song gets a tempo from the seeded RNG (quarter note 84-132 BPM, recorded exactly as
written into the MIDI file) and a GM melody instrument, and is repeated verse after verse,
as it would be sung, until it lasts at least 30 s. Repeats start on a bar line, so the
beat grid runs on unbroken.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.audio.compose import Composition, Note, tempo_to_us

__all__ = ["FolkSong", "choose_folk_songs"]

COLLECTION = "essenFolksong"
EXCLUDED_PREFIXES = ("han", "test")
"""Chinese pentatonic collections and music21's test fixtures."""
METERS = ("2/4", "3/4", "4/4")
TONICS = {"C": 0, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "Ab": 8, "A": 9}
TONICS |= {"Bb": 10, "B": 11}
"""ABC key fields of plain tonics (the few with a mode or German names are left out)."""
PROGRAMS = (0, 21, 73, 40, 71, 24, 22, 68)
"""Piano, accordion, flute, violin, clarinet, nylon guitar, harmonica, oboe."""
TEMPO_RANGE = (84.0, 132.0)
MIN_DURATION_S = 30.0


@dataclass(frozen=True, slots=True)
class FolkSong:
    """A chosen song: its composition, where it comes from and how its key was decided."""

    composition: Composition
    source: str
    title: str
    key_source: str
    music21_key: str
    """music21's unrestricted analysis, to report how often it agrees with the rule."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    path: Path
    number: int
    tonic: int
    text: str


def _candidates(collection_dir: Path) -> list[_Candidate]:
    """Tunes whose ABC header passes the meter and signature rules, without parsing them.

    music21 parses one tune in tens of milliseconds but a whole collection in minutes, so
    the cheap text checks go first.
    """
    candidates = []
    for path in sorted(collection_dir.glob("*.abc")):
        if path.name.startswith(EXCLUDED_PREFIXES):
            continue
        text = path.read_text(encoding="latin-1")
        for block in re.split(r"\n(?=X:)", text):
            number = re.match(r"X:\s*(\d+)", block)
            meters = re.findall(r"^M:\s*(\S+)\s*$", block, flags=re.MULTILINE)
            keys = re.findall(r"^K:\s*(\S+)\s*$", block, flags=re.MULTILINE)
            if number is None or "[K:" in block or "[M:" in block:
                continue
            if len(meters) == 1 and meters[0] in METERS and len(keys) == 1 and keys[0] in TONICS:
                tonic = TONICS[keys[0]]
                candidates.append(_Candidate(path, int(number.group(1)), tonic, block))
    return candidates


def _decide_key(score: Any, melody: list[Any], tonic: int) -> tuple[str, str]:
    """The mode and key_source of a song on ``tonic``, by the rule of the module doc."""
    weight = [0.0] * 12
    for element in melody:
        for pitch in element.pitches:
            weight[pitch.pitchClass] += float(element.quarterLength)
    minor_third, major_third = weight[(tonic + 3) % 12], weight[(tonic + 4) % 12]
    if minor_third > 0 and major_third == 0:
        return "minor", "tonic+third"
    if major_third > 0 and minor_third == 0:
        return "major", "tonic+third"
    analysis = score.analyze("key")
    correlations = {
        (k.tonic.pitchClass, k.mode): k.correlationCoefficient
        for k in [analysis, *analysis.alternateInterpretations]
    }
    major = correlations[(tonic, "major")]
    minor = correlations[(tonic, "minor")]
    return ("major" if major >= minor else "minor"), "tonic+music21"


def _song(candidate: _Candidate, seed: int, root: Path) -> FolkSong:
    """Parse one tune and turn it into a composition; ValueError when it does not qualify."""
    source = f"{candidate.path.relative_to(root).as_posix()}#X:{candidate.number}"
    rng = random.Random(f"{source}:{seed}")
    from music21 import (
        converter,
        harmony,
        meter,
    )

    # Essen writes an accidental once and lets it hold to the bar line (``_BB`` is two
    # B flats), as ABC 2.1 does; music21 reads files without a version line as ABC 1.3,
    # where it would not hold. The version line gives the melody its real notes.
    score = converter.parse(f"%abc-2.1\n{candidate.text}", format="abc")
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass(meter.TimeSignature)}
    if len(meters) != 1:
        raise ValueError("meter changes")
    (meter_name,) = meters
    if meter_name not in METERS:
        raise ValueError(f"meter {meter_name}")

    melody = [
        element
        for element in score.flatten().stripTies().notes
        if not isinstance(element, harmony.ChordSymbol) and element.quarterLength > 0
    ]
    if len(melody) < 8:
        raise ValueError("too few notes")
    tonic = candidate.tonic
    mode, key_source = _decide_key(score, melody, tonic)
    analysis = score.analyze("key")
    music21_key = f"{analysis.tonic.name.replace('-', 'b')} {analysis.mode}"

    tempo_us = tempo_to_us(round(rng.uniform(*TEMPO_RANGE), 2))
    program = rng.choice(PROGRAMS)
    # Repeat whole bars: the period is the song rounded up to its bar length.
    bar_quarters = int(meter_name[0])
    song_quarters = float(max(float(n.offset) + float(n.quarterLength) for n in melody))
    period = math.ceil(song_quarters / bar_quarters) * bar_quarters
    period_s = period * tempo_us / 1_000_000
    repeats = max(1, math.ceil(MIN_DURATION_S / period_s))
    notes = [
        Note(
            start=repeat * period + float(element.offset),
            duration=float(element.quarterLength),
            pitch=pitch.midi,
            velocity=max(1, min(127, 88 + rng.randint(-6, 6))),
            channel=0,
        )
        for repeat in range(repeats)
        for element in melody
        for pitch in element.pitches
    ]
    composition = Composition(
        genre="folk",
        tempo_us=tempo_us,
        tonic=tonic,
        mode=mode,
        length_beats=float(repeats * period),
        notes=tuple(notes),
        programs={0: program},
        harmony_program=program,
    )
    title = str(score.metadata.title) if score.metadata is not None else ""
    return FolkSong(composition, source, title, key_source, music21_key)


def choose_folk_songs(
    count: int, seed: int, *, minor_share: float = 1 / 3
) -> tuple[list[FolkSong], dict[str, int]]:
    """``count`` songs chosen at random (seeded) among those that qualify.

    Candidates are taken in a seeded random order; minor songs are kept up to
    ``minor_share`` of ``count`` and major ones up to the rest, so that a rare mode is not
    drowned out. Should the collection run out of one mode, the other fills the set.

    Returns:
        The songs in the order chosen, and how many candidates were skipped for each reason.
    """
    import music21

    root = Path(music21.__file__).parent / "corpus"
    candidates = _candidates(root / COLLECTION)
    random.Random(f"folk:{seed}").shuffle(candidates)
    quota = {"minor": round(count * minor_share), "major": count - round(count * minor_share)}
    chosen: dict[str, list[FolkSong]] = {"minor": [], "major": []}
    spare: list[FolkSong] = []
    skipped: dict[str, int] = {}
    for candidate in candidates:
        if all(len(chosen[mode]) >= quota[mode] for mode in quota):
            break
        try:
            song = _song(candidate, seed, root)
        except ValueError as error:
            reason = str(error).split(":")[0]
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        mode = song.composition.mode
        (chosen[mode] if len(chosen[mode]) < quota[mode] else spare).append(song)
    songs = chosen["minor"] + chosen["major"]
    songs += spare[: count - len(songs)]
    return songs, skipped
