"""CUE times: minutes, seconds and frames of 1/75 s (the CD sector rate)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Self

from .errors import CueTimeError

__all__ = ["FRAMES_PER_SECOND", "CueTime"]

FRAMES_PER_SECOND = 75
"""CD audio frames (sectors) per second; a CUE time counts in these."""

_FRAMES_PER_MINUTE = 60 * FRAMES_PER_SECOND
_MSF = re.compile(r"(\d{1,6}):(\d{1,2}):(\d{1,2})")


@dataclass(frozen=True, order=True, slots=True)
class CueTime:
    """A point in a CUE sheet's audio file, in whole frames of 1/75 s from its start.

    ``str(time)`` is the sheet form ``MM:SS:FF`` (minutes grow past two digits for mixes
    longer than 99 minutes; whether a profile may write that is the profile's choice).

    Raises:
        CueTimeError: ``frames`` is negative or not an integer.
    """

    frames: int

    def __post_init__(self) -> None:
        if isinstance(self.frames, bool) or not isinstance(self.frames, int):
            raise CueTimeError(f"a CUE time counts whole frames, not {self.frames!r}")
        if self.frames < 0:
            raise CueTimeError(f"a CUE time cannot be negative ({self.frames} frames)")

    @classmethod
    def from_seconds(cls, seconds: float) -> Self:
        """The time nearest to ``seconds`` (>= 0), rounded half up to a whole frame.

        Rounding carries into seconds and minutes: 59.999 s is ``01:00:00``, never a
        frame 75.

        Raises:
            CueTimeError: ``seconds`` is negative, NaN or infinite.
        """
        if isinstance(seconds, bool) or not math.isfinite(seconds):
            raise CueTimeError(f"a CUE time needs a finite number of seconds, not {seconds!r}")
        if seconds < 0:
            raise CueTimeError(f"a CUE time cannot be negative ({seconds!r} s)")
        return cls(math.floor(seconds * FRAMES_PER_SECOND + 0.5))

    @classmethod
    def from_msf(cls, minutes: int, seconds: int, frames: int) -> Self:
        """The time ``minutes:seconds:frames``.

        Raises:
            CueTimeError: a part is negative, seconds > 59 or frames > 74.
        """
        if minutes < 0 or not 0 <= seconds < 60 or not 0 <= frames < FRAMES_PER_SECOND:
            raise CueTimeError(
                f"{minutes:02d}:{seconds:02d}:{frames:02d} is not a CUE time "
                "(seconds 0-59, frames 0-74)"
            )
        return cls(minutes * _FRAMES_PER_MINUTE + seconds * FRAMES_PER_SECOND + frames)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read ``MM:SS:FF`` (any number of minute digits).

        Raises:
            CueTimeError: ``text`` is not three colon-separated numbers in range.
        """
        match = _MSF.fullmatch(text.strip())
        if match is None:
            raise CueTimeError(f"{text!r} is not a CUE time MM:SS:FF")
        minutes, seconds, frames = (int(part) for part in match.groups())
        return cls.from_msf(minutes, seconds, frames)

    @property
    def minutes(self) -> int:
        """Whole minutes (may exceed 99)."""
        return self.frames // _FRAMES_PER_MINUTE

    @property
    def seconds(self) -> int:
        """Seconds within the minute, 0-59."""
        return self.frames // FRAMES_PER_SECOND % 60

    @property
    def frame(self) -> int:
        """Frame within the second, 0-74."""
        return self.frames % FRAMES_PER_SECOND

    def to_seconds(self) -> float:
        """The time in seconds."""
        return self.frames / FRAMES_PER_SECOND

    def __str__(self) -> str:
        return f"{self.minutes:02d}:{self.seconds:02d}:{self.frame:02d}"
