"""Errors of :mod:`tracktion.core.rename`, under the one ``TracktionError`` root.

::

    TracktionError
     +-- RenameError                               anything the rename rules refuse
          +-- TemplateSyntaxError (also ValueError) a template that does not parse (column)
          +-- UnsafeTargetError (also ValueError)   a target outside the library root
          +-- RenameApplyError                      a batch could not be applied (rolled back)
          +-- RecoveryError                         the disk does not match the journal
"""

from __future__ import annotations

from tracktion.contracts import TracktionError

__all__ = [
    "RecoveryError",
    "RenameApplyError",
    "RenameError",
    "TemplateSyntaxError",
    "UnsafeTargetError",
]


class RenameError(TracktionError):
    """Base of the rename errors."""


class TemplateSyntaxError(RenameError, ValueError):
    """A naming template does not parse.

    Attributes:
        template: The template text.
        column: The 1-based column of the problem.
        reason: What is wrong there.
    """

    def __init__(self, template: str, column: int, reason: str) -> None:
        self.template = template
        self.column = column
        self.reason = reason
        pointer = " " * (column - 1) + "^"
        super().__init__(
            f"template {template!r}: {reason} at column {column}\n  {template}\n  {pointer}"
        )


class UnsafeTargetError(RenameError, ValueError):
    """A rename target lies outside the library root (or is otherwise never allowed)."""


class RenameApplyError(RenameError):
    """A batch stopped part-way; every step it had done was rolled back.

    Attributes:
        batch_id: The journal batch.
        step: The step that failed.
    """

    def __init__(self, message: str, *, batch_id: object, step: int) -> None:
        self.batch_id = batch_id
        self.step = step
        super().__init__(message)


class RecoveryError(RenameError):
    """A journaled step cannot be settled: the files on disk match neither side of it.

    Nothing is moved in that case; the step stays ``planned`` for a person to look at.
    """
