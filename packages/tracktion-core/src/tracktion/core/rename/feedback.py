"""Learning from feedback: which templates a user trusts, and the shape of their names.

Every verdict on a proposal (``rename.feedback``) scores its template: ``accepted`` and
``success`` count 1, ``rejected`` and ``failure`` 0, ``modified`` and ``improvement``
0.5, and a rating (1-5) replaces the verdict's score with ``(rating - 1) / 4`` (for
``modified`` at most 0.5: the user's own shape earns the credit). A
template's score is the mean of its scores, pulled towards 0.5 by two imaginary neutral
votes, so that one lucky verdict does not outrank a long good record.

A ``modified`` verdict carries the name the user chose: :func:`learned_patterns` turns
those names into :class:`~.parse.NamePattern` s the parser tries first, and
:func:`rank_templates` offers each learned shape as a template of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from tracktion.contracts import FeedbackType

from .parse import NamePattern, learn_pattern
from .template import PRESETS, FieldValue

__all__ = ["FeedbackRecord", "TemplateScore", "learned_patterns", "rank_templates"]

_VERDICT: Final[Mapping[FeedbackType, float]] = {
    FeedbackType.ACCEPTED: 1.0,
    FeedbackType.SUCCESS: 1.0,
    FeedbackType.REJECTED: 0.0,
    FeedbackType.FAILURE: 0.0,
    FeedbackType.MODIFIED: 0.5,
    FeedbackType.IMPROVEMENT: 0.5,
}
_PRIOR: Final = 0.5
_PRIOR_WEIGHT: Final = 2.0
_MIX_SUFFIX: Final = "%ifdef{mix, ({mix})}"


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One verdict on one proposal.

    Attributes:
        template: The template the proposal came from.
        feedback: The verdict.
        rating: 1 (poor) to 5 (perfect), when given.
        chosen_name: For ``modified``: the name the user chose instead.
        fields: The fields the proposal was made from.
    """

    template: str
    feedback: FeedbackType
    rating: int | None = None
    chosen_name: str | None = None
    fields: Mapping[str, FieldValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValueError(f"a rating is 1 to 5, not {self.rating}")

    @property
    def score(self) -> float:
        """0 (bad) to 1 (good)."""
        verdict = _VERDICT[self.feedback]
        if self.rating is None:
            return verdict
        rated = (self.rating - 1) / 4
        # A modification says the template was not quite right, however well the user
        # rates the name they made of it: that name's shape gets the credit.
        return min(rated, verdict) if self.feedback is FeedbackType.MODIFIED else rated


@dataclass(frozen=True, slots=True)
class TemplateScore:
    """A template's standing with a user.

    Attributes:
        template: The template text.
        score: 0 to 1, 0.5 without feedback (see the module documentation).
        votes: How many verdicts it had (learned shapes count the modifications).
    """

    template: str
    score: float
    votes: int


def learned_patterns(records: Sequence[FeedbackRecord]) -> list[NamePattern]:
    """The shapes of the names users chose in ``modified`` verdicts, most frequent
    first (one per shape)."""
    counts: Counter[str] = Counter()
    patterns: dict[str, NamePattern] = {}
    for record in records:
        if record.feedback is not FeedbackType.MODIFIED or not record.chosen_name:
            continue
        pattern = learn_pattern(record.chosen_name, record.fields)
        if pattern is not None:
            counts[pattern.source] += 1
            patterns.setdefault(pattern.source, pattern)
    return [patterns[source] for source, _ in counts.most_common()]


def rank_templates(
    records: Sequence[FeedbackRecord], candidates: Sequence[str] = tuple(PRESETS.values())
) -> list[TemplateScore]:
    """``candidates``, every template with feedback, and every learned shape, best first
    (ties keep candidates' order)."""
    scores: dict[str, list[float]] = defaultdict(list)
    for record in records:
        scores[record.template].append(record.score)
    for record in records:
        if record.feedback is FeedbackType.MODIFIED and record.chosen_name:
            pattern = learn_pattern(record.chosen_name, record.fields)
            if pattern is not None:
                with_mix = "mix" in record.fields and bool(record.fields["mix"])
                scores[pattern.source + (_MIX_SUFFIX if with_mix else "")].append(1.0)
    order = list(dict.fromkeys([*candidates, *scores]))
    ranked = [
        TemplateScore(
            template,
            (sum(scores[template]) + _PRIOR * _PRIOR_WEIGHT)
            / (len(scores[template]) + _PRIOR_WEIGHT),
            len(scores[template]),
        )
        for template in order
    ]
    return sorted(ranked, key=lambda item: (-item.score, order.index(item.template)))
