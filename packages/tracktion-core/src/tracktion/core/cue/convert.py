"""Convert a CUE sheet from one profile to another, reporting what could not be kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._adapt import ChangeKind, CueChange
from .issues import Severity
from .model import CueSheet
from .parser import CueParseResult, parse_cue
from .profiles import CueProfile, get_profile
from .writer import RenderedCue, render_cue

__all__ = ["CueConversion", "convert_cue"]


@dataclass(frozen=True, slots=True)
class CueConversion:
    """A converted sheet.

    Attributes:
        profile: The target profile's name.
        rendered: The sheet rendered for it (bytes, text, warnings).
        changes: Everything not kept as it was: lines the parser could not read, and what
            the target profile dropped or rewrote.
    """

    profile: str
    rendered: RenderedCue
    changes: tuple[CueChange, ...]

    @property
    def sheet(self) -> CueSheet:
        """The model of the converted sheet."""
        return self.rendered.sheet

    @property
    def dropped(self) -> tuple[CueChange, ...]:
        """The changes that lost metadata outright (``kind == "dropped"``)."""
        return tuple(change for change in self.changes if change.kind is ChangeKind.DROPPED)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: the profile and every change."""
        return {
            "profile": self.profile,
            "changes": [
                {
                    "kind": change.kind.value,
                    "field": change.field,
                    "message": change.message,
                    "track": change.track,
                    "value": change.value,
                    "line": change.line,
                }
                for change in self.changes
            ],
        }


def convert_cue(
    sheet: CueSheet | CueParseResult | bytes | str,
    *,
    to: str | CueProfile,
    source: str = "<cue>",
) -> CueConversion:
    """Convert a sheet (a model, a parse result, or a sheet's bytes or text) to profile
    ``to``, keeping every field the target keeps.

    Raises:
        UnknownCueProfileError: ``to`` names no profile.
        CueParseError: the input bytes or text are no CUE sheet.
        CueRenderError: the target cannot hold the sheet, or the sheet is invalid (it
            would fail its own validation in the target profile).
    """
    target = get_profile(to)
    unread: list[CueChange] = []
    if isinstance(sheet, bytes | str):
        sheet = parse_cue(sheet, source=source)
    if isinstance(sheet, CueParseResult):
        unread = [
            CueChange(ChangeKind.DROPPED, "line", issue.message, None, None, issue.line)
            for issue in sheet.issues
            if issue.severity is Severity.WARNING and issue.rule == "unknown-command"
        ]
        sheet = sheet.sheet
    rendered = render_cue(sheet, target)
    return CueConversion(target.name, rendered, (*unread, *rendered.changes))
