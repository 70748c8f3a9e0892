"""Errors of the CUE toolkit, under the one ``TracktionError`` root.

::

    TracktionError
     +-- CueError                                   any failure of tracktion.core.cue
          +-- CueParseError (also ValueError)       the input is not a CUE sheet at all
          +-- CueTimeError (also ValueError)        a time out of range or malformed
          +-- UnknownCueProfileError (also ValueError)  no profile has that name
          +-- CueRenderError (also ValueError)      a profile cannot represent the sheet
          +-- CueWriteError (also OSError)          the sheet could not be written
          +-- CueAudioError                         the audio file could not be probed

Problems the parser can read past (a bad line in a good sheet) are not raised: they are
reported as :class:`~tracktion.core.cue.issues.CueIssue` with their line number.
"""

from __future__ import annotations

from tracktion.contracts import TracktionError

__all__ = [
    "CueAudioError",
    "CueError",
    "CueParseError",
    "CueRenderError",
    "CueTimeError",
    "CueWriteError",
    "UnknownCueProfileError",
]


class CueError(TracktionError):
    """Base of every error of the CUE toolkit."""


class CueParseError(CueError, ValueError):
    """The input cannot be read as a CUE sheet (empty, binary, no CUE command at all).

    Attributes:
        source: The name of the input (a path or ``<cue>``).
        line: The 1-based line the reason refers to, or ``None`` for the whole input.
        reason: Why, without the source.
    """

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {reason}")


class CueTimeError(CueError, ValueError):
    """A CUE time is negative, not finite, or not ``MM:SS:FF`` with SS < 60 and FF < 75."""


class UnknownCueProfileError(CueError, ValueError):
    """No CUE profile has the requested name; the message lists the known ones."""


class CueRenderError(CueError, ValueError):
    """A profile cannot represent the sheet (too long for a CD, too many index points) or
    the rendered sheet would fail its own validation; nothing is written."""


class CueWriteError(CueError, OSError):
    """The sheet could not be written (the target exists, or the file system refused)."""


class CueAudioError(CueError):
    """The audio file of a sheet could not be probed for its duration."""
