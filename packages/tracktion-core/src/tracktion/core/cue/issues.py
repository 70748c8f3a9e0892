"""Findings about a CUE sheet: parse problems, validation results, profile changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tracktion.contracts import ValidationIssue

__all__ = ["CueIssue", "Severity"]


class Severity(StrEnum):
    """How much a finding matters: an error makes a sheet invalid, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CueIssue:
    """One finding: a stable rule id (``index-increasing``), a message, and the 1-based
    line of the sheet it concerns when there is one."""

    rule: str
    message: str
    line: int | None = None
    severity: Severity = Severity.ERROR

    def to_contract(self) -> ValidationIssue:
        """The finding as the ``ValidationIssue`` the tracklist service publishes."""
        return ValidationIssue(rule=self.rule, message=self.message, line=self.line)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: ``rule``, ``message``, ``line``, ``severity``."""
        return {
            "rule": self.rule,
            "message": self.message,
            "line": self.line,
            "severity": self.severity.value,
        }

    def __str__(self) -> str:
        where = "" if self.line is None else f"line {self.line}: "
        return f"{where}{self.severity.value} [{self.rule}] {self.message}"
