"""Musical key notations: standard names, Camelot codes and Open Key codes.

The 24 major and minor keys are written three ways by DJ software:

- **standard**: tonic and mode, ``"A minor"``, ``"F# major"``;
- **Camelot** (Mixed In Key): the circle of fifths numbered 1-12, ``A`` for minor and ``B``
  for major, ``8A`` = A minor, ``8B`` = C major;
- **Open Key** (Traktor): the same circle rotated so that ``1d`` = C major and ``1m`` =
  A minor (``d`` for major, ``m`` for minor); Open Key ``n`` is Camelot ``n + 7`` (mod 12).

Input is accepted as it is found in tags and tracklists: any case, enharmonic spellings
(``"Db major"``, ``"Bbm"``, ``"B- minor"`` as music21 writes it, ``"A min"``,
``"a minor"``, ``"C"`` for C major), Camelot codes as :mod:`tracktion.core.camelot`
parses them (``"8a"``, ``"08A"``), and Open Key codes (``"1m"``, ``"01D"``).

Output is normalized. The standard notation always spells the tonic with **sharps**
(``C#``, ``D#``, ``F#``, ``G#``, ``A#``), as :class:`tracktion.audio.results.KeyCandidate`
does, even for keys that musicians and some DJ software usually write with flats (``Bb
major``, ``Eb minor``): one spelling per key keeps tags comparable and sortable, and
:func:`parse_key` reads both spellings back. Camelot and Open Key codes are written
without leading zero (``"8A"``, ``"1m"``); :func:`camelot_sortable` gives the zero-padded
form for file names.

>>> to_camelot("A minor"), to_open_key("A minor"), to_standard("8B")
('8A', '1m', 'C major')
>>> to_standard("Bbm"), to_standard("Db major"), to_camelot("a min")
('A# minor', 'C# major', '8A')
>>> format_key("7d", KeyNotation.STANDARD), camelot_sortable("8a")
('F# major', '08A')
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal, NamedTuple

from tracktion.core.camelot import CamelotKey, parse_camelot

__all__ = [
    "KEY_NAMES",
    "PITCH_CLASSES",
    "KeyNotation",
    "Mode",
    "MusicalKey",
    "camelot_sortable",
    "format_key",
    "parse_key",
    "to_camelot",
    "to_open_key",
    "to_standard",
]

Mode = Literal["major", "minor"]
"""The mode of a key."""

PITCH_CLASSES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
"""The 12 pitch-class names with sharps, indexed by pitch class (0 = C ... 11 = B)."""

_SEMITONES_PER_OCTAVE = 12
_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1, "-": -1}
# Tonic letter, one optional accidental, then an optional mode word. "-" is music21's flat
# ("B- minor", "E-") only when no letter follows it at once: "A-minor" is A minor. The mode
# is matched case-insensitively (tags say "Am", "a minor"); a bare tonic means major.
_STANDARD = re.compile(
    r"([A-Ga-g])(?:\s*([#♯b♭]|-(?![A-Za-z])))?[\s_-]*(major|maj|minor|min|m)?",
    re.IGNORECASE,
)
_OPEN_KEY = re.compile(r"(0?[1-9]|1[0-2])([DM])", re.ASCII)
# Camelot number of C major; a major key's number advances by one per fifth (7 semitones).
_CAMELOT_OF_C = 8
# Open Key numbers trail Camelot numbers by this many steps (8B = 1d).
_OPEN_KEY_OFFSET = 7
_MINOR_TO_RELATIVE_MAJOR = 3


class KeyNotation(StrEnum):
    """The three notations of a key; see the module documentation."""

    STANDARD = "standard"
    """``"A minor"``, ``"F# major"`` (sharps)."""
    CAMELOT = "camelot"
    """``"8A"``."""
    OPEN_KEY = "open_key"
    """``"1m"``."""


class MusicalKey(NamedTuple):
    """A major or minor key: ``tonic`` pitch class 0-11 (0 = C) and ``mode``.

    >>> MusicalKey(9, "minor").name, MusicalKey(9, "minor").camelot
    ('A minor', '8A')
    """

    tonic: int
    mode: Mode

    @property
    def tonic_name(self) -> str:
        """The tonic with sharps, ``"C"`` ... ``"B"``."""
        return PITCH_CLASSES[self.tonic % _SEMITONES_PER_OCTAVE]

    @property
    def name(self) -> str:
        """Standard notation with sharps, e.g. ``"F# major"``."""
        return f"{self.tonic_name} {self.mode}"

    @property
    def camelot_key(self) -> CamelotKey:
        """The position on the Camelot wheel."""
        major_tonic = self.tonic if self.mode == "major" else self.tonic + _MINOR_TO_RELATIVE_MAJOR
        number = (7 * major_tonic + _CAMELOT_OF_C - 1) % _SEMITONES_PER_OCTAVE + 1
        return CamelotKey(number, "B" if self.mode == "major" else "A")

    @property
    def camelot(self) -> str:
        """Camelot code, e.g. ``"8A"``."""
        return self.camelot_key.code

    @property
    def open_key(self) -> str:
        """Open Key code, e.g. ``"1m"``."""
        camelot = self.camelot_key
        number = (camelot.number - 1 - _OPEN_KEY_OFFSET) % _SEMITONES_PER_OCTAVE + 1
        return f"{number}{'d' if camelot.letter == 'B' else 'm'}"

    @property
    def key_index(self) -> int:
        """Position in :data:`KEY_NAMES`: ``tonic`` for major, ``12 + tonic`` for minor."""
        return self.tonic + (0 if self.mode == "major" else _SEMITONES_PER_OCTAVE)

    @classmethod
    def from_index(cls, index: int) -> MusicalKey:
        """The key at ``index`` (0-23) of :data:`KEY_NAMES`.

        Raises:
            ValueError: ``index`` is outside 0-23.
        """
        if not 0 <= index < 2 * _SEMITONES_PER_OCTAVE:
            raise ValueError(f"key index must be in 0-23, not {index!r}")
        mode: Mode = "major" if index < _SEMITONES_PER_OCTAVE else "minor"
        return cls(index % _SEMITONES_PER_OCTAVE, mode)

    def format(self, notation: KeyNotation | str) -> str:
        """This key in ``notation`` (a :class:`KeyNotation` or its value).

        Raises:
            ValueError: ``notation`` is not one of ``standard``, ``camelot``, ``open_key``.
        """
        match KeyNotation(notation):
            case KeyNotation.STANDARD:
                return self.name
            case KeyNotation.CAMELOT:
                return self.camelot
            case KeyNotation.OPEN_KEY:
                return self.open_key


KEY_NAMES: tuple[str, ...] = tuple(
    f"{tonic} {mode}" for mode in ("major", "minor") for tonic in PITCH_CLASSES
)
"""The 24 keys in standard notation: ``C major`` ... ``B major``, ``C minor`` ... ``B minor``."""


def _from_camelot(camelot: CamelotKey) -> MusicalKey:
    # Inverse of MusicalKey.camelot_key: 7 is its own inverse modulo 12.
    major_tonic = (7 * (camelot.number - _CAMELOT_OF_C)) % _SEMITONES_PER_OCTAVE
    if camelot.letter == "B":
        return MusicalKey(major_tonic, "major")
    return MusicalKey((major_tonic - _MINOR_TO_RELATIVE_MAJOR) % _SEMITONES_PER_OCTAVE, "minor")


def parse_key(text: str) -> MusicalKey:
    """Parse a key written in any of the three notations.

    Args:
        text: A standard name (``"A minor"``, ``"Bbm"``, ``"Db major"``, ``"f# min"``,
            ``"C"``), a Camelot code (``"8A"``, ``"08a"``) or an Open Key code (``"1m"``,
            ``"1D"``); surrounding whitespace is ignored.

    Returns:
        The key, with its tonic as a pitch class.

    Raises:
        ValueError: ``text`` is no key in any of the notations; the message names it.
        TypeError: ``text`` is not a ``str``.

    >>> parse_key("Bbm")
    MusicalKey(tonic=10, mode='minor')
    >>> parse_key("1d").name, parse_key("08a").name
    ('C major', 'A minor')
    """
    if not isinstance(text, str):
        raise TypeError(
            f"a key is a str such as 'A minor', '8A' or '1m', not {type(text).__name__}"
        )
    stripped = text.strip()
    if stripped[:1].isdigit():
        open_key = _OPEN_KEY.fullmatch(stripped.upper())
        if open_key is not None:
            number = (int(open_key.group(1)) - 1 + _OPEN_KEY_OFFSET) % _SEMITONES_PER_OCTAVE + 1
            return _from_camelot(CamelotKey(number, "B" if open_key.group(2) == "D" else "A"))
        try:
            return _from_camelot(parse_camelot(stripped))
        except ValueError:
            pass
    else:
        standard = _STANDARD.fullmatch(stripped)
        if standard is not None:
            letter, accidental, mode_word = standard.groups()
            tonic = (
                _NATURALS[letter.upper()] + _ACCIDENTALS[accidental or ""]
            ) % _SEMITONES_PER_OCTAVE
            minor = mode_word is not None and mode_word.lower() in {"m", "min", "minor"}
            return MusicalKey(tonic, "minor" if minor else "major")
    raise ValueError(
        f"not a musical key: {text!r} (expected a name such as 'A minor', 'F# major' or "
        "'Bbm', a Camelot code 1A-12B such as '8A', or an Open Key code 1d-12m such as '1m')"
    )


def to_standard(text: str) -> str:
    """Standard notation with sharps of a key in any notation: ``"8A"`` -> ``"A minor"``.
    Errors as for :func:`parse_key`."""
    return parse_key(text).name


def to_camelot(text: str) -> str:
    """Camelot code of a key in any notation: ``"A minor"`` -> ``"8A"``. Errors as for
    :func:`parse_key`."""
    return parse_key(text).camelot


def to_open_key(text: str) -> str:
    """Open Key code of a key in any notation: ``"A minor"`` -> ``"1m"``. Errors as for
    :func:`parse_key`."""
    return parse_key(text).open_key


def format_key(name: str, notation: KeyNotation | str) -> str:
    """A key in any notation, written in ``notation``.

    Args:
        name: A key as :func:`parse_key` accepts it.
        notation: A :class:`KeyNotation` or its value (``"standard"``, ``"camelot"``,
            ``"open_key"``).

    Raises:
        ValueError: ``name`` is no key, or ``notation`` is unknown; the message names it.

    >>> format_key("Db major", KeyNotation.CAMELOT), format_key("3B", "open_key")
    ('3B', '8d')
    """
    try:
        target = KeyNotation(notation)
    except ValueError:
        choices = ", ".join(repr(n.value) for n in KeyNotation)
        raise ValueError(f"unknown key notation {notation!r} (expected one of {choices})") from None
    return parse_key(name).format(target)


def camelot_sortable(code: str) -> str:
    """A key in any notation as a zero-padded Camelot code that sorts in wheel order as
    text: ``"8A"`` -> ``"08A"``, ``"12b"`` -> ``"12B"``, ``"A minor"`` -> ``"08A"``.
    Errors as for :func:`parse_key`."""
    camelot = parse_key(code).camelot_key
    return f"{camelot.number:02d}{camelot.letter}"
