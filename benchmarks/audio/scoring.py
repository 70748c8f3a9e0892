"""Scores of the audio benchmark: tempo Acc1/Acc2 and the MIREX weighted key score.

Pure functions without third-party imports, so the main test suite can check them.

Tempo, as in the MIR literature (Gouyon et al. 2006):

- Acc1: the estimate is within 4 % of the reference tempo.
- Acc2: the same, also accepting the reference times 2, 1/2, 3 or 1/3 (octave errors and
  the triple-meter confusions a beat tracker makes).

Key, as in MIREX audio key detection (and ``mir_eval.key.weighted_score``):

=====================================================  =====
relationship of the estimate to the reference          score
=====================================================  =====
same tonic and mode                                    1.0
same mode, tonic a perfect fifth above the reference   0.5
relative major/minor (same key signature)              0.3
parallel major/minor (same tonic)                      0.2
anything else, or no estimate                          0.0
=====================================================  =====

MIREX credits only the fifth *above* (the dominant); ``allow_descending_fifths`` also credits
the subdominant, as some papers do. Tonics are compared as pitch classes, so enharmonic
spellings (``Db major`` / ``C# major``) are the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "PITCH_CLASS_NAMES",
    "TEMPO_TOLERANCE",
    "Key",
    "key_name",
    "mean",
    "mirex_key_score",
    "parse_key",
    "tempo_acc1",
    "tempo_acc2",
]

TEMPO_TOLERANCE = 0.04
"""Relative tolerance of Acc1 and Acc2: 4 % of the reference tempo."""

ACC2_FACTORS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)
"""Multiples of the reference tempo that Acc2 accepts."""

PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
"""Names of pitch classes 0-11 with sharps, as ``tracktion.audio.KeyCandidate.tonic``."""

_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"#": 1, "♯": 1, "b": -1, "♭": -1}
_MODES = {"major": "major", "maj": "major", "minor": "minor", "min": "minor", "m": "minor"}
# A tonic letter, any number of accidentals, then a mode word, separated by a space, a colon
# or nothing ("A minor", "A:min", "Am", "F# major", "Gb maj", "Bbm").
_KEY_PATTERN = re.compile(r"^\s*([A-Ga-g])([#♯b♭]*)\s*[: ]?\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True, slots=True)
class Key:
    """A key as a pitch class (0 = C) and a mode (``major`` or ``minor``)."""

    tonic: int
    mode: str

    @property
    def name(self) -> str:
        """Standard notation with sharps, such as ``A minor`` or ``F# major``."""
        return key_name(self.tonic, self.mode)


def key_name(tonic: int, mode: str) -> str:
    """Standard notation of pitch class ``tonic`` in ``mode``: ``key_name(9, "minor")``."""
    return f"{PITCH_CLASS_NAMES[tonic % 12]} {mode}"


def parse_key(text: str | None) -> Key | None:
    """Parse a key name in the usual spellings; ``None`` when absent or not a major/minor key.

    Accepts ``A minor``, ``a minor``, ``A:min``, ``Am``, ``Db major``, ``C# maj``; a tonic
    alone means major, as in chord-symbol notation.
    """
    if text is None:
        return None
    match = _KEY_PATTERN.match(text)
    if match is None:
        return None
    letter, accidentals, mode_word = match.groups()
    # Case matters only for the mode word "m" vs "M"; everything else is case-insensitive.
    mode = "major" if mode_word in ("", "M") else _MODES.get(mode_word.lower())
    if mode is None:
        return None
    tonic = _NATURALS[letter.upper()] + sum(_ACCIDENTALS[a] for a in accidentals)
    return Key(tonic % 12, mode)


def mirex_key_score(
    reference: str, estimate: str | None, *, allow_descending_fifths: bool = False
) -> float:
    """The MIREX weighted score of ``estimate`` against ``reference`` (see the module doc).

    Raises:
        ValueError: If ``reference`` is not a major or minor key (a corpus error).
    """
    ref = parse_key(reference)
    if ref is None:
        raise ValueError(f"reference key {reference!r} is not a major or minor key")
    est = parse_key(estimate)
    if est is None:
        return 0.0
    interval = (est.tonic - ref.tonic) % 12
    if est.mode == ref.mode:
        if interval == 0:
            return 1.0
        if interval == 7 or (allow_descending_fifths and interval == 5):
            return 0.5
        return 0.0
    # The modes differ: relative keys share the key signature (A minor / C major),
    # parallel keys share the tonic (A minor / A major).
    relative = 9 if ref.mode == "major" else 3
    if interval == relative:
        return 0.3
    if interval == 0:
        return 0.2
    return 0.0


def _within(estimate: float, reference: float) -> bool:
    return abs(estimate - reference) <= TEMPO_TOLERANCE * reference


def tempo_acc1(reference_bpm: float, estimate_bpm: float | None) -> bool:
    """True when the estimate is within 4 % of the reference tempo."""
    if estimate_bpm is None or not estimate_bpm > 0:
        return False
    return _within(estimate_bpm, reference_bpm)


def tempo_acc2(reference_bpm: float, estimate_bpm: float | None) -> bool:
    """True when the estimate is within 4 % of the reference times 1, 2, 1/2, 3 or 1/3."""
    if estimate_bpm is None or not estimate_bpm > 0:
        return False
    return any(_within(estimate_bpm, reference_bpm * factor) for factor in ACC2_FACTORS)


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; NaN for no values (an empty table cell, not an error)."""
    items = list(values)
    return sum(items) / len(items) if items else float("nan")
