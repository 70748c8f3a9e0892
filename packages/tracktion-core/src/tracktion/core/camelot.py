"""Camelot wheel codes: parsing, normalization and harmonic compatibility.

The Camelot wheel numbers the 24 major and minor keys 1-12 around a circle of fifths, with
``A`` for minor and ``B`` for major (``8A`` = A minor, ``8B`` = C major). Two recordings mix
harmonically when their codes are

- the **same** key (``8A`` and ``8A``);
- **adjacent** on the wheel, same letter, one step either way, 12 wrapping to 1
  (``8A`` with ``7A`` or ``9A``; ``12B`` with ``1B``): a fifth up or down;
- **relative** major/minor: same number, other letter (``8A`` and ``8B``).

Codes are accepted as DJ software writes them: ``"8A"``, ``"08A"``, ``"8a"``, with
surrounding whitespace; the canonical form is ``"8A"``.

>>> normalize_camelot(" 08a ")
'8A'
>>> sorted(compatible_keys("12B"))
['11B', '12A', '12B', '1B']
>>> key_relation("8A", "9A"), key_relation("8A", "8B"), key_relation("8A", "3B")
('adjacent', 'relative', None)
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

__all__ = [
    "CAMELOT_KEYS",
    "CamelotKey",
    "KeyRelation",
    "compatible_keys",
    "key_relation",
    "normalize_camelot",
    "parse_camelot",
]

KeyRelation = Literal["same", "adjacent", "relative"]
"""How two compatible keys relate on the wheel; see the module documentation."""

# ASCII digits only (str.isdigit would take "٨"), one optional leading zero, then 1-12.
_CODE = re.compile(r"(0?[1-9]|1[0-2])([AB])", re.ASCII)
_WHEEL_SIZE = 12


class CamelotKey(NamedTuple):
    """A position on the Camelot wheel: ``number`` 1-12 and ``letter`` ``"A"`` (minor) or
    ``"B"`` (major)."""

    number: int
    letter: Literal["A", "B"]

    @property
    def code(self) -> str:
        """The canonical code, e.g. ``"8A"``."""
        return f"{self.number}{self.letter}"

    def step(self, offset: int) -> CamelotKey:
        """The key ``offset`` steps clockwise (negative: counter-clockwise), same letter;
        the wheel wraps (12 + 1 = 1)."""
        return CamelotKey((self.number - 1 + offset) % _WHEEL_SIZE + 1, self.letter)

    def relative(self) -> CamelotKey:
        """The relative major of a minor key, or the relative minor of a major key."""
        return CamelotKey(self.number, "B" if self.letter == "A" else "A")


CAMELOT_KEYS: tuple[str, ...] = tuple(
    f"{number}{letter}" for number in range(1, _WHEEL_SIZE + 1) for letter in "AB"
)
"""The 24 canonical codes: ``1A, 1B, 2A, 2B, ..., 12A, 12B``."""


def parse_camelot(code: str) -> CamelotKey:
    """Parse a Camelot code (``"8A"``, ``"08a"``, ``" 12B "``) into a :class:`CamelotKey`.

    Raises ``ValueError`` naming the input for anything that is not a number 1-12
    (at most one leading zero) followed by ``A`` or ``B``, and ``TypeError`` for a
    non-string.
    """
    if not isinstance(code, str):
        raise TypeError(f"a Camelot key is a str such as '8A', not {type(code).__name__}")
    found = _CODE.fullmatch(code.strip().upper())
    if found is None:
        raise ValueError(
            f"not a Camelot key: {code!r} (expected 1A-12A for minor or 1B-12B for major "
            "keys, e.g. '8A')"
        )
    letter: Literal["A", "B"] = "A" if found.group(2) == "A" else "B"
    return CamelotKey(int(found.group(1)), letter)


def normalize_camelot(code: str) -> str:
    """The canonical form of a Camelot code: ``"08a"`` -> ``"8A"``. Errors as for
    :func:`parse_camelot`."""
    return parse_camelot(code).code


def compatible_keys(code: str) -> frozenset[str]:
    """The canonical codes that mix harmonically with ``code``: itself, its two neighbours
    on the wheel and its relative major/minor (four codes). Errors as for
    :func:`parse_camelot`.

    >>> sorted(compatible_keys("1A"))
    ['12A', '1A', '1B', '2A']
    """
    key = parse_camelot(code)
    return frozenset(k.code for k in (key, key.step(-1), key.step(1), key.relative()))


def key_relation(reference: str, other: str) -> KeyRelation | None:
    """How ``other`` relates to ``reference``: ``"same"``, ``"adjacent"`` (one step on the
    wheel, same letter) or ``"relative"`` (same number, other letter); ``None`` when they
    do not mix harmonically. Symmetric. Errors as for :func:`parse_camelot`."""
    a, b = parse_camelot(reference), parse_camelot(other)
    if a == b:
        return "same"
    if a.relative() == b:
        return "relative"
    if b in (a.step(-1), a.step(1)):
        return "adjacent"
    return None
