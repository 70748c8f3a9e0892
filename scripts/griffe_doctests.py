"""A Griffe extension for the documentation site: doctest examples render as code.

The docstrings of Tracktion show examples as bare doctest blocks (``>>>`` lines and their
output), which Python's ``doctest`` runs but Markdown would read as a paragraph (joining
the lines, and taking ``x[0][-1]`` for a link). This extension wraps every such block
that starts at the left margin in a ``pycon`` code fence, without doctest directives
(``# doctest: +SKIP``). Blocks inside indented literal blocks are code already and are
left alone. ``mkdocs.yml`` loads it for mkdocstrings.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["DoctestBlocks", "fence_doctests"]

_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")


def fence_doctests(text: str) -> str:
    """``text`` with each doctest block at the left margin inside a ``pycon`` fence.

    A block starts at a line beginning with ``>>>`` and ends before the next blank line.
    """
    out: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if not lines[index].startswith(">>>"):
            out.append(lines[index])
            index += 1
            continue
        block = []
        while index < len(lines) and lines[index].strip():
            block.append(_DIRECTIVE.sub("", lines[index]))
            index += 1
        if out and out[-1].strip():
            out.append("")
        out.extend(["```pycon", *block, "```"])
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the doctest blocks of every docstring (see :func:`fence_doctests`)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one with a doctest block."""
        docstring = obj.docstring
        if docstring is not None and ">>>" in docstring.value:
            docstring.value = fence_doctests(docstring.value)
