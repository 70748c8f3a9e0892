"""DJ-style pieces composed as MIDI with a known tempo and key, from a seed.

Every piece is a loop-based 4/4 track of one of seven genres: a GM drum kit on channel 10
with the genre's pattern (four-on-the-floor, two-step drum and bass, half-time dubstep,
swung boom-bap ...), a bass line on the chord roots, and harmony (pads, stabs, keys,
arpeggios) plus a melody over a chord progression that establishes the key: the tonic
chord opens every loop, the loop ends on a chord that leads back to it, and minor keys
are the majority as in electronic music. Some pieces start with drums only (an intro
without harmony, as DJ tools do), some are detuned by a pitch bend of 20-40 cents.

The composition is plain data (:class:`Composition`); :func:`write_midi` turns it into a
Standard MIDI File with mido, imported there so that the main test suite, which has no
mido, can check composition alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.audio.scoring import key_name

__all__ = [
    "DRUM_CHANNEL",
    "GENRES",
    "Composition",
    "Note",
    "compose",
    "tempo_to_us",
    "write_midi",
]

DRUM_CHANNEL = 9
"""MIDI channel 10 (0-based 9): the General MIDI percussion channel."""
TICKS_PER_BEAT = 480
PITCH_BEND_RANGE_SEMITONES = 2
"""Set explicitly through RPN 0 so that a bend in cents means the same on every synth."""

# GM percussion keys.
KICK, RIM, SNARE, CLAP, CLOSED_HAT, OPEN_HAT, CRASH, RIDE, SHAKER = (
    36,
    37,
    38,
    39,
    42,
    46,
    49,
    51,
    70,
)

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
"""Natural minor; dominant chords marked harmonic raise its 7th (10 -> 11)."""


@dataclass(frozen=True, slots=True)
class Note:
    """One note; times in quarter-note beats from the start of the piece."""

    start: float
    duration: float
    pitch: int
    velocity: int
    channel: int


@dataclass(frozen=True, slots=True)
class Composition:
    """A piece ready for MIDI: its notes, instruments, tempo and key.

    Attributes:
        tempo_us: Microseconds per quarter note, as written into the MIDI file.
        tonic: Pitch class of the key (0 = C); ``mode`` is ``major`` or ``minor``.
        length_beats: Length in quarter notes (the last bar's end).
        programs: GM program (0-127) per melodic channel.
        detune_cents: Pitch bend applied to every melodic channel, 0 for none.
        intro_bars: Bars of drums only at the start.
        harmony_program: The program of the part that carries the harmony (the melody's
            for a melody alone), recorded in the manifest.
    """

    genre: str
    tempo_us: int
    tonic: int
    mode: str
    length_beats: float
    notes: tuple[Note, ...]
    programs: dict[int, int] = field(default_factory=dict)
    detune_cents: float = 0.0
    intro_bars: int = 0
    harmony_program: int = 0

    @property
    def bpm(self) -> float:
        """The exact tempo the MIDI file plays: 60e6 / microseconds per beat."""
        return 60_000_000 / self.tempo_us

    @property
    def key(self) -> str:
        return key_name(self.tonic, self.mode)

    @property
    def duration_s(self) -> float:
        return self.length_beats * self.tempo_us / 1_000_000


def tempo_to_us(bpm: float) -> int:
    """Microseconds per beat for ``bpm``; MIDI stores an integer, so the tempo rounds."""
    return round(60_000_000 / bpm)


@dataclass(frozen=True, slots=True)
class DrumPattern:
    """One bar on a 16th-note grid per GM drum key: ``X`` accent, ``x`` hit, ``o`` ghost."""

    steps: dict[int, str]


@dataclass(frozen=True, slots=True)
class Genre:
    """What makes a genre: tempo range, mode balance, grooves and instrument choices.

    ``bass`` patterns are 16-step strings: ``x`` the chord root, ``o`` the root an octave
    up; a note lasts until the next onset (less a gap) or ``bass_len`` steps if set.
    ``harmony`` names the parts that carry the chords: ``pad`` (sustained, a
    ``pad_programs`` sound), ``stabs`` (short chords on ``stab_rhythm``) and ``keys``
    (comping), both on a ``stab_programs`` sound, ``arp`` (16th arpeggio, a lead sound).
    """

    name: str
    bpm_range: tuple[float, float]
    minor_share: float
    drums: tuple[DrumPattern, ...]
    bass: tuple[str, ...]
    bass_programs: tuple[int, ...]
    bass_octave_low: int
    harmony: tuple[str, ...]
    pad_programs: tuple[int, ...]
    stab_programs: tuple[int, ...] = (0,)
    stab_rhythms: tuple[str, ...] = ("..x...x...x...x.",)
    lead_programs: tuple[int, ...] = (80,)
    lead_share: float = 0.6
    bars_per_chord: tuple[int, ...] = (1, 2)
    swing: tuple[float, float] = (0.5, 0.5)
    sevenths: bool = False
    bass_len: float | None = None


def _p(**steps: str) -> DrumPattern:
    names = {
        "kick": KICK,
        "rim": RIM,
        "snare": SNARE,
        "clap": CLAP,
        "chh": CLOSED_HAT,
        "ohh": OPEN_HAT,
        "ride": RIDE,
        "shaker": SHAKER,
    }
    return DrumPattern({names[name]: pattern for name, pattern in steps.items()})


FOUR_ON_THE_FLOOR = "X...X...X...X..."

GENRES: dict[str, Genre] = {
    genre.name: genre
    for genre in (
        Genre(
            name="house",
            bpm_range=(120.0, 128.0),
            minor_share=0.65,
            drums=(
                _p(kick=FOUR_ON_THE_FLOOR, clap="....x.......x...", chh="..x...x...x...x."),
                _p(
                    kick=FOUR_ON_THE_FLOOR,
                    clap="....x.......x...",
                    ohh="..x...x...x...x.",
                    shaker="oooooooooooooooo",
                ),
            ),
            bass=("..x...x...x...x.", "..x...o...x...o.", "x..x..x...x..x.."),
            bass_programs=(38, 39, 33),
            bass_octave_low=36,
            harmony=("pad", "stabs"),
            pad_programs=(89, 88, 48),
            stab_programs=(0, 4, 17),
            stab_rhythms=("..x...x...x...x.", "x..x..x...x..x..", "...x..x....x..x."),
            lead_programs=(80, 11, 4),
            bars_per_chord=(1, 2),
            bass_len=1.5,
        ),
        Genre(
            name="techno",
            bpm_range=(125.0, 140.0),
            minor_share=0.85,
            drums=(
                _p(
                    kick=FOUR_ON_THE_FLOOR,
                    chh="xoxoxoxoxoxoxoxo",
                    ohh="..x...x...x...x.",
                    clap="....x.......x...",
                ),
                _p(kick=FOUR_ON_THE_FLOOR, ride="..x...x...x...x.", chh="oooooooooooooooo"),
                _p(kick=FOUR_ON_THE_FLOOR, rim="...o..o....o..o.", ohh="..x...x...x...x."),
            ),
            bass=(".xxx.xxx.xxx.xxx", "..x...x...x...x.", ".x.x.x.x.x.x.x.x"),
            bass_programs=(38, 39, 87),
            bass_octave_low=33,
            harmony=("pad", "stabs"),
            pad_programs=(89, 95, 50),
            stab_programs=(81, 62, 90),
            stab_rhythms=("x.....x.........", "..x.....x..x....", "x..x..x........."),
            lead_programs=(81, 80),
            lead_share=0.4,
            bars_per_chord=(2, 4),
            bass_len=0.8,
        ),
        Genre(
            name="trance",
            bpm_range=(136.0, 142.0),
            minor_share=0.8,
            drums=(
                _p(
                    kick=FOUR_ON_THE_FLOOR,
                    ohh="..x...x...x...x.",
                    clap="....x.......x...",
                    chh="o.o.o.o.o.o.o.o.",
                ),
                _p(kick=FOUR_ON_THE_FLOOR, ohh="..x...x...x...x.", snare="....x.......x..."),
            ),
            bass=(".xxx.xxx.xxx.xxx", ".xox.xox.xox.xox"),
            bass_programs=(38, 39),
            bass_octave_low=33,
            harmony=("pad", "arp"),
            pad_programs=(90, 50, 89, 91),
            lead_programs=(81, 80, 84),
            lead_share=0.7,
            bars_per_chord=(1, 2),
            bass_len=0.8,
        ),
        Genre(
            name="drum and bass",
            bpm_range=(170.0, 176.0),
            minor_share=0.85,
            drums=(
                _p(kick="X.........X.....", snare="....X.......X...", chh="x.x.x.x.x.x.x.x."),
                _p(kick="X.X.......X.....", snare="....X..o....X...", ride="x.x.x.x.x.x.x.x."),
                _p(kick="X.........x..x..", snare="....X.......X...", chh="xoxoxoxoxoxoxoxo"),
            ),
            bass=("x.........x.....", "x.....x...x....."),
            bass_programs=(38, 39, 33),
            bass_octave_low=31,
            harmony=("pad",),
            pad_programs=(48, 89, 50, 52),
            lead_programs=(80, 11, 81),
            lead_share=0.6,
            bars_per_chord=(2, 4),
        ),
        Genre(
            name="dubstep",
            bpm_range=(138.0, 142.0),
            minor_share=0.9,
            # Half time: the snare on beat 3 makes the pulse feel like 70 BPM.
            drums=(
                _p(kick="X..........x....", snare="........X.......", chh="x.x.x.x.x.x.x.x."),
                _p(kick="X.....x.........", snare="........X.......", chh="xoxoxoxoxoxoxoxo"),
            ),
            bass=("x.......x.x.....", "x..x..x.x..x..x.", "x.x.x.x.x.x.x.x."),
            bass_programs=(38, 39, 87),
            bass_octave_low=31,
            harmony=("pad",),
            pad_programs=(89, 95, 50),
            lead_programs=(81, 80, 87),
            lead_share=0.6,
            bars_per_chord=(2, 4),
        ),
        Genre(
            name="hip-hop",
            bpm_range=(85.0, 98.0),
            minor_share=0.7,
            drums=(
                _p(kick="X......x..x.....", snare="....X.......X...", chh="x.x.x.x.x.x.x.x."),
                _p(kick="X.x.......X..x..", snare="....X.......X..o", chh="x.xox.x.x.xox.x."),
            ),
            bass=("x......x..x.....", "x.x.......x..x.."),
            bass_programs=(33, 34, 38),
            bass_octave_low=33,
            harmony=("keys",),
            pad_programs=(89,),
            stab_programs=(4, 5, 0),
            lead_programs=(11, 73, 4),
            lead_share=0.6,
            bars_per_chord=(1, 2),
            # Boom-bap swing: the second 16th of each pair comes late.
            swing=(0.56, 0.64),
            sevenths=True,
        ),
        Genre(
            name="downtempo",
            bpm_range=(70.0, 100.0),
            minor_share=0.6,
            drums=(
                _p(kick="X.......x.x.....", snare="....x.......x...", shaker="ooxoooxoooxoooxo"),
                _p(kick="X..x......x.....", rim="....x.......x...", chh="x.x.x.x.x.x.x.x."),
            ),
            bass=("x.......x.......", "x.....x.x......."),
            bass_programs=(33, 32, 38),
            bass_octave_low=33,
            harmony=("pad", "keys"),
            pad_programs=(88, 89, 48, 52),
            stab_programs=(4, 5, 11),
            lead_programs=(73, 11, 71),
            lead_share=0.6,
            bars_per_chord=(1, 2),
            swing=(0.5, 0.56),
            sevenths=True,
        ),
    )
}

# Chord progressions as scale degrees (0 = tonic); an "h" marks the dominant of the
# harmonic minor (its third is the leading tone), the strongest pull back to the tonic.
# Each loop opens on the tonic and either returns to it or ends on a chord that leads
# back; the tonic takes at least a quarter of the time. Loops that leave the tonal centre
# to the ear alone (i VI III VII, i VII VI VII, I ii V I) are left out: their notes fit
# the relative major or a neighbour key as well, so their ground truth would be a guess.
MINOR_PROGRESSIONS: tuple[tuple[str, ...], ...] = (
    ("0", "3", "5", "4h"),  # i iv VI V
    ("0", "6", "5", "4h"),  # i VII VI V (Andalusian cadence)
    ("0", "3", "4", "0"),  # i iv v i
    ("0", "5", "3", "4h"),  # i VI iv V
    ("0", "0", "3", "4h"),  # i i iv V
    ("0", "5", "6", "0"),  # i VI VII i
    ("0", "0", "5", "6"),  # i i VI VII
)
MAJOR_PROGRESSIONS: tuple[tuple[str, ...], ...] = (
    ("0", "4", "5", "3"),  # I V vi IV
    ("0", "3", "4", "0"),  # I IV V I
    ("0", "5", "3", "4"),  # I vi IV V
    ("0", "0", "3", "4"),  # I I IV V
    ("0", "3", "0", "4"),  # I IV I V
)

CHANNEL_BASS, CHANNEL_PAD, CHANNEL_LEAD, CHANNEL_STAB = 0, 1, 2, 3
HARMONY_CHANNEL = {
    "pad": CHANNEL_PAD,
    "stabs": CHANNEL_STAB,
    "keys": CHANNEL_STAB,
    "arp": CHANNEL_LEAD,
}
VELOCITY = {"X": 118, "x": 96, "o": 62}
BODY_MIN_S = 30.0
"""Harmony plays at least this long, whatever the intro."""


def _chord(tonic: int, mode: str, degree: str, sevenths: bool) -> list[int]:
    """Pitch classes of the chord on ``degree`` of the key (root first)."""
    scale = list(MINOR_SCALE if mode == "minor" else MAJOR_SCALE)
    harmonic = degree.endswith("h")
    step = int(degree.rstrip("h"))
    if harmonic:
        scale[6] = 11  # raise the 7th of the minor scale: the leading tone
    size = (0, 2, 4, 6) if sevenths else (0, 2, 4)
    return [(tonic + scale[(step + k) % 7]) % 12 for k in size]


def _place(pitch_class: int, low: int) -> int:
    """The MIDI note of ``pitch_class`` in the octave starting at ``low``."""
    return low + (pitch_class - low) % 12


def _step_time(step: int, swing: float) -> float:
    """Beat offset of 16th ``step`` within a bar; ``swing`` delays every second 16th."""
    pair, second = divmod(step, 2)
    return pair * 0.5 + (swing * 0.5 if second else 0.0)


def _humanize(rng: random.Random, velocity: int, spread: int = 6) -> int:
    return max(1, min(127, velocity + rng.randint(-spread, spread)))


def compose(genre_name: str, seed: int, *, intro: bool, detune: bool) -> Composition:
    """Compose one piece of ``genre_name``; the same arguments give the same notes.

    Args:
        genre_name: A key of :data:`GENRES`.
        seed: Seeds every random choice (tempo, key, grooves, instruments, melody).
        intro: Start with 8 or 16 bars of drums only (no bass, no harmony).
        detune: Bend every melodic channel by 20-40 cents, up or down.
    """
    genre = GENRES[genre_name]
    rng = random.Random(f"{genre_name}:{seed}")

    tempo_us = tempo_to_us(round(rng.uniform(*genre.bpm_range), 2))
    bpm = 60_000_000 / tempo_us
    mode = "minor" if rng.random() < genre.minor_share else "major"
    tonic = rng.randrange(12)
    detune_cents = round(rng.choice((-1, 1)) * rng.uniform(20.0, 40.0), 1) if detune else 0.0

    # Length: 45-60 s of music in whole 4-bar phrases; an intro adds to it when the
    # harmony would otherwise play less than BODY_MIN_S.
    bar_s = 4 * 60.0 / bpm
    target_s = rng.uniform(45.0, 60.0)
    intro_bars = (16 if bpm >= 120 and rng.random() < 0.5 else 8) if intro else 0
    body_min_bars = 4 * math.ceil(BODY_MIN_S / bar_s / 4)
    bars = max(4 * math.ceil(target_s / bar_s / 4), intro_bars + body_min_bars)

    progression = rng.choice(MINOR_PROGRESSIONS if mode == "minor" else MAJOR_PROGRESSIONS)
    bars_per_chord = rng.choice(genre.bars_per_chord)
    swing = rng.uniform(*genre.swing)
    drums = rng.choice(genre.drums)
    bass_rhythm = rng.choice(genre.bass)
    stab_rhythm = rng.choice(genre.stab_rhythms)
    harmony = [part for part in genre.harmony if part != "stabs" or rng.random() < 0.8]
    with_lead = rng.random() < genre.lead_share
    programs = {
        CHANNEL_BASS: rng.choice(genre.bass_programs),
        CHANNEL_PAD: rng.choice(genre.pad_programs),
        CHANNEL_LEAD: rng.choice(genre.lead_programs),
        CHANNEL_STAB: rng.choice(genre.stab_programs),
    }

    notes: list[Note] = []
    notes += _drum_part(rng, drums, bars, intro_bars, swing)
    # Sevenths colour major keys only: minor sevenths on i, VI and VII spell the relative
    # major's scale, and the ground truth would lean on the ear alone.
    sevenths = genre.sevenths and mode == "major"
    # The progression starts with the body, so the harmony enters on the tonic chord.
    chords = [
        _chord(tonic, mode, progression[index % len(progression)], sevenths)
        for index in ((bar - intro_bars) // bars_per_chord for bar in range(bars))
    ]
    body = range(intro_bars, bars)
    notes += _bass_part(rng, genre, bass_rhythm, chords, body, swing=swing)
    for part in harmony:
        if part == "pad":
            notes += _pad_part(rng, chords, body, bars_per_chord, intro_bars)
        elif part == "stabs":
            notes += _stab_part(rng, chords, body, stab_rhythm, swing)
        elif part == "keys":
            notes += _keys_part(rng, chords, body, swing)
        elif part == "arp":
            notes += _arp_part(rng, chords, body)
    if with_lead:
        notes += _melody_part(rng, tonic, mode, chords, body, swing=swing)

    notes.sort(key=lambda n: (n.start, n.channel, n.pitch))
    return Composition(
        genre=genre_name,
        tempo_us=tempo_us,
        tonic=tonic,
        mode=mode,
        length_beats=bars * 4.0,
        notes=tuple(notes),
        programs=programs,
        detune_cents=detune_cents,
        intro_bars=intro_bars,
        harmony_program=programs[HARMONY_CHANNEL[harmony[0]]] if harmony else 0,
    )


def _drum_part(
    rng: random.Random, pattern: DrumPattern, bars: int, intro_bars: int, swing: float
) -> list[Note]:
    notes: list[Note] = []
    for bar in range(bars):
        # A crash marks the start of the body and every 8-bar phrase after it, a snare
        # roll the end of each phrase: the cues a DJ mixes on.
        phrase_bar = (bar - intro_bars) % 8
        if bar >= intro_bars and phrase_bar == 0:
            notes.append(Note(bar * 4.0, 1.0, CRASH, _humanize(rng, 100), DRUM_CHANNEL))
        for key, steps in pattern.steps.items():
            for step, symbol in enumerate(steps):
                if symbol == ".":
                    continue
                start = bar * 4.0 + _step_time(step, swing)
                notes.append(Note(start, 0.25, key, _humanize(rng, VELOCITY[symbol]), DRUM_CHANNEL))
        if phrase_bar == 7 and bar < bars - 1 and rng.random() < 0.6:
            for step in range(12, 16):
                velocity = _humanize(rng, 70 + 12 * (step - 12))
                start = bar * 4.0 + _step_time(step, swing)
                notes.append(Note(start, 0.25, SNARE, velocity, DRUM_CHANNEL))
    return notes


def _bass_part(
    rng: random.Random,
    genre: Genre,
    rhythm: str,
    chords: Sequence[list[int]],
    body: range,
    *,
    swing: float,
) -> list[Note]:
    onsets = [step for step, symbol in enumerate(rhythm) if symbol != "."]
    notes: list[Note] = []
    for bar in body:
        root = _place(chords[bar][0], genre.bass_octave_low)
        for index, step in enumerate(onsets):
            following = onsets[index + 1] if index + 1 < len(onsets) else 16
            steps = genre.bass_len or (following - step - 0.3)
            pitch = root + 12 if rhythm[step] == "o" else root
            start = bar * 4.0 + _step_time(step, swing)
            notes.append(Note(start, steps / 4, pitch, _humanize(rng, 100), CHANNEL_BASS))
    return notes


def _voicing(chord: Sequence[int], low: int = 55) -> list[int]:
    # Every chord tone in one octave from `low`: inversions follow by themselves and the
    # register stays put, as a pad player's voice leading would.
    return sorted(_place(pc, low) for pc in chord)


def _pad_part(
    rng: random.Random,
    chords: Sequence[list[int]],
    body: range,
    bars_per_chord: int,
    intro_bars: int,
) -> list[Note]:
    notes: list[Note] = []
    for bar in body:
        if (bar - intro_bars) % bars_per_chord and bar != body.start:
            continue
        length = min(bars_per_chord, body.stop - bar) * 4.0
        notes.extend(
            Note(bar * 4.0, length - 0.05, pitch, _humanize(rng, 72), CHANNEL_PAD)
            for pitch in _voicing(chords[bar])
        )
    return notes


def _stab_part(
    rng: random.Random, chords: Sequence[list[int]], body: range, rhythm: str, swing: float
) -> list[Note]:
    notes: list[Note] = []
    for bar in body:
        for step, symbol in enumerate(rhythm):
            if symbol == ".":
                continue
            start = bar * 4.0 + _step_time(step, swing)
            notes.extend(
                Note(start, 0.4, pitch, _humanize(rng, 84), CHANNEL_STAB)
                for pitch in _voicing(chords[bar], low=60)
            )
    return notes


def _keys_part(
    rng: random.Random, chords: Sequence[list[int]], body: range, swing: float
) -> list[Note]:
    # Comping: the chord on beat 1, held, and again on the "and" of beat 2.
    notes: list[Note] = []
    for bar in body:
        voicing = _voicing(chords[bar], low=52)
        for step, length in ((0, 1.4), (6, 2.3)):
            start = bar * 4.0 + _step_time(step, swing)
            notes.extend(
                Note(start, length, pitch, _humanize(rng, 78), CHANNEL_STAB) for pitch in voicing
            )
    return notes


def _arp_part(rng: random.Random, chords: Sequence[list[int]], body: range) -> list[Note]:
    notes: list[Note] = []
    shape = rng.choice(((0, 1, 2, 3, 2, 1), (0, 1, 2, 3), (0, 2, 1, 3, 2, 1)))
    for bar in body:
        voicing = _voicing(chords[bar], low=64)
        tones = [*voicing, voicing[0] + 12]
        for step in range(16):
            pitch = tones[shape[step % len(shape)] % len(tones)]
            notes.append(Note(bar * 4.0 + step / 4, 0.22, pitch, _humanize(rng, 80), CHANNEL_LEAD))
    return notes


def _melody_part(
    rng: random.Random,
    tonic: int,
    mode: str,
    chords: Sequence[list[int]],
    body: range,
    *,
    swing: float,
) -> list[Note]:
    scale = MINOR_SCALE if mode == "minor" else MAJOR_SCALE
    # Scale tones from G4 to C6, so the melody sits above the pads.
    pitches = [p for p in range(67, 85) if (p - tonic) % 12 in scale]
    leading_tone = (tonic + 11) % 12 if mode == "minor" else -1
    # One 2-bar rhythm, repeated: a motif, not a random walk of durations.
    motif = sorted({0, *rng.sample(range(32), rng.randint(6, 10))})
    notes: list[Note] = []
    index = len(pitches) // 2
    for bar in body:
        chord = chords[bar]
        for position in motif:
            if position // 16 != (bar - body.start) % 2:
                continue
            step = position % 16
            if step % 4 == 0:
                # Strong steps take the nearest chord tone: the harmony stays clear.
                candidates = [i for i, p in enumerate(pitches) if p % 12 in chord]
                index = min(candidates, key=lambda i: (abs(i - index), i))
            else:
                index = max(0, min(len(pitches) - 1, index + rng.choice((-2, -1, -1, 1, 1, 2))))
            pitch = pitches[index]
            if (pitch + 1) % 12 == leading_tone and leading_tone in chord:
                pitch += 1  # over a harmonic-minor dominant, the melody takes its leading tone
            start = bar * 4.0 + _step_time(step, swing)
            length = rng.choice((0.5, 0.75, 1.0))
            notes.append(Note(start, length, pitch, _humanize(rng, 88), CHANNEL_LEAD))
    return notes


def write_midi(composition: Composition, path: Path) -> None:
    """Write ``composition`` as a type 0 Standard MIDI File (mido)."""
    import mido

    # (tick, order, message): at one tick, setup comes first and note-offs before note-ons,
    # so a repeated note is not cut by the end of the one before it.
    events: list[tuple[int, int, Any]] = [
        (0, 0, mido.MetaMessage("set_tempo", tempo=composition.tempo_us)),
        (0, 0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ]
    bend = round(composition.detune_cents / (PITCH_BEND_RANGE_SEMITONES * 100) * 8192)
    bend = max(-8192, min(8191, bend))
    for channel, program in sorted(composition.programs.items()):
        events += [
            (0, 0, mido.Message("program_change", channel=channel, program=program)),
            # RPN 0 (pitch-bend sensitivity) = 2 semitones, then close the RPN.
            (0, 0, mido.Message("control_change", channel=channel, control=101, value=0)),
            (0, 0, mido.Message("control_change", channel=channel, control=100, value=0)),
            (0, 0, mido.Message("control_change", channel=channel, control=6, value=2)),
            (0, 0, mido.Message("control_change", channel=channel, control=38, value=0)),
            (0, 0, mido.Message("control_change", channel=channel, control=101, value=127)),
            (0, 0, mido.Message("control_change", channel=channel, control=100, value=127)),
            (0, 0, mido.Message("pitchwheel", channel=channel, pitch=bend)),
        ]
    for note in composition.notes:
        on = round(note.start * TICKS_PER_BEAT)
        off = max(on + 1, round((note.start + note.duration) * TICKS_PER_BEAT))
        events.append(
            (
                on,
                2,
                mido.Message(
                    "note_on", channel=note.channel, note=note.pitch, velocity=note.velocity
                ),
            )
        )
        events.append(
            (off, 1, mido.Message("note_off", channel=note.channel, note=note.pitch, velocity=0))
        )
    # One beat of silence after the last bar lets releases and reverb ring out.
    end = round((composition.length_beats + 1) * TICKS_PER_BEAT)
    events.sort(key=lambda event: (event[0], event[1]))

    track = mido.MidiTrack()
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    midi.save(str(path))
