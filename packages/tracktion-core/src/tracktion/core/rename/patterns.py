"""Pattern analysis of a folder: which naming shapes its files follow, how consistently,
and a template that would make it consistent (the ``rename.pattern.analyze`` message).

>>> report = analyze_names(["01 - A - X.mp3", "02 - B - Y.mp3", "C - Z.mp3"])
>>> report.dominant, round(report.coverage, 2), report.outliers
('{track} - {artist} - {title}', 0.67, ('C - Z.mp3',))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from .parse import NamePattern, parse_name
from .template import PRESETS

__all__ = ["PatternGroup", "PatternReport", "analyze_names"]

_UNRECOGNIZED: Final = "{title}"
_EXAMPLES: Final = 3
_MIX_SUFFIX: Final = "%ifdef{mix, ({mix})}"


@dataclass(frozen=True, slots=True)
class PatternGroup:
    """Files that follow one shape.

    Attributes:
        pattern: The shape (``{key} - {bpm} - {artist} - {title}``); ``{title}`` for
            names no known shape fits.
        count: How many files.
        share: ``count`` over all files, 0 to 1.
        with_mix: How many of them carry a bracketed mix name.
        examples: Up to three of their names.
    """

    pattern: str
    count: int
    share: float
    with_mix: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PatternReport:
    """What :func:`analyze_names` found.

    Attributes:
        total: Names analyzed.
        groups: One per shape, most common first.
        dominant: The most common recognized shape, or ``None`` when no name fits one.
        coverage: The share of names in the dominant shape, 0 to 1 (0 without one).
        outliers: The names outside the dominant shape, in input order.
        consistent: Every name follows the dominant shape.
        suggested_template: A template that renames every file into one shape: the
            dominant shape (with the mix name when the folder uses one), or the
            ``Artist - Title (Mix)`` preset when no shape is recognized.
    """

    total: int
    groups: tuple[PatternGroup, ...]
    dominant: str | None
    coverage: float
    outliers: tuple[str, ...]
    consistent: bool
    suggested_template: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary of the report."""
        return {
            "total": self.total,
            "groups": [
                {
                    "pattern": group.pattern,
                    "count": group.count,
                    "share": group.share,
                    "with_mix": group.with_mix,
                    "examples": list(group.examples),
                }
                for group in self.groups
            ],
            "dominant": self.dominant,
            "coverage": self.coverage,
            "outliers": list(self.outliers),
            "consistent": self.consistent,
            "suggested_template": self.suggested_template,
        }


def analyze_names(names: Sequence[str], patterns: Sequence[NamePattern] = ()) -> PatternReport:
    """Group file names (paths or bare names) by the shape they follow.

    ``patterns`` (learned ones) are tried before the built-in shapes, as in
    :func:`~tracktion.core.rename.parse.parse_name`.
    """
    shapes: list[str] = []
    mixes: Counter[str] = Counter()
    for name in names:
        parsed = parse_name(name, patterns)
        shapes.append(parsed.pattern)
        if "mix" in parsed.fields:
            mixes[parsed.pattern] += 1
    counts = Counter(shapes)
    total = len(shapes)
    groups = tuple(
        PatternGroup(
            pattern=pattern,
            count=count,
            share=count / total,
            with_mix=mixes[pattern],
            examples=tuple(n for n, s in zip(names, shapes, strict=True) if s == pattern)[
                :_EXAMPLES
            ],
        )
        for pattern, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    recognized = [group for group in groups if group.pattern != _UNRECOGNIZED]
    dominant = recognized[0] if recognized else None
    if dominant is None:
        return PatternReport(
            total=total,
            groups=groups,
            dominant=None,
            coverage=0.0,
            outliers=tuple(names),
            consistent=False,
            suggested_template=PRESETS["artist-title-mix"],
        )
    outliers = tuple(n for n, s in zip(names, shapes, strict=True) if s != dominant.pattern)
    suggestion = _suggest(dominant.pattern, any(mixes.values()))
    return PatternReport(
        total=total,
        groups=groups,
        dominant=dominant.pattern,
        coverage=dominant.count / total,
        outliers=outliers,
        consistent=not outliers,
        suggested_template=suggestion,
    )


def _suggest(shape: str, uses_mix: bool) -> str:
    template = shape.replace("{track}", "{track:02}")
    return template + _MIX_SUFFIX if uses_mix else template
