"""The documentation's Griffe extension fences doctest blocks, and only those."""

from __future__ import annotations

from scripts.griffe_doctests import fence_doctests


def test_a_doctest_block_becomes_a_fenced_block_without_directives() -> None:
    text = "Intro.\n>>> x = [1, 2]  # doctest: +SKIP\n>>> x[-1]\n2\n\nAfter."
    assert fence_doctests(text) == (
        "Intro.\n\n```pycon\n>>> x = [1, 2]\n>>> x[-1]\n2\n```\n\nAfter."
    )


def test_indented_and_absent_examples_are_left_alone() -> None:
    text = "Use it so::\n\n    >>> f()\n    1\n\nNo example here."
    assert fence_doctests(text) == text
