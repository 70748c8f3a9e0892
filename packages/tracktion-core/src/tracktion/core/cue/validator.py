"""Validate CUE sheets: the CDRWIN rules, the audio they index, and a profile's limits.

Rule ids are stable (the tracklist service publishes them in ``ValidationReport``):

========================  ===================================================================
``file-first``            a FILE comes before the first TRACK
``file-name``             a FILE names a file
``file-type``             the FILE type is a CDRWIN token (warning otherwise)
``file-order``            tracks and indexes never go back to an earlier FILE
``no-tracks``             the sheet has a track
``track-number``          TRACK numbers are 1-99 (beyond only where the profile allows) and
                          consecutive
``track-type``            the TRACK type is a CDRWIN mode (AUDIO, MODE1/2352...)
``index-01-missing``      every track has INDEX 01
``index-number``          index numbers run 00 or 01, then +1
``index-increasing``      index times strictly increase within a file (no overlap)
``first-index-zero``      the first index of a file is 00:00:00 (warning)
``frames-range``          seconds 0-59 and frames 0-74 as written
``minutes-range``         minutes past 99 (warning: not CDRWIN's two digits)
``text-length``           TITLE/PERFORMER/SONGWRITER at most 80 characters (warning)
``isrc-format``           ISRC is CCOOOYYSSSSS (2 letters, 3 alphanumerics, 7 digits)
``catalog-format``        CATALOG is 13 digits
``flags``                 FLAGS are DCP, 4CH, PRE, SCMS, each once
``audio-missing``         the audio file exists
``audio-unreadable``      the audio file can be probed
``audio-probe-unavailable``  no prober installed (warning)
``audio-file-ambiguous``  several FILEs: the audio matches none by name (warning)
``index-beyond-audio``    every index lies inside the audio's duration
``profile-*``             what the profile would drop or change (warnings), or
                          ``profile-unrepresentable`` (error) when it cannot hold the sheet
========================  ===================================================================

Parser findings keep their own rule ids (``unknown-command``, ``time-syntax``...).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from tracktion.contracts import ValidationReport

from ._adapt import MAX_MSF, adapt
from .audio import AudioProbeUnavailableError, probe_duration
from .errors import CueAudioError, CueParseError, CueRenderError
from .issues import CueIssue, Severity
from .model import CueSheet
from .parser import CueParseResult, parse_cue
from .profiles import CueProfile, get_profile

__all__ = ["CueValidationReport", "validate_cue"]

_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
_CATALOG = re.compile(r"[0-9]{13}")
_FLAGS = frozenset({"DCP", "4CH", "PRE", "SCMS"})
_FILE_TYPES = frozenset({"WAVE", "MP3", "AIFF", "BINARY", "MOTOROLA"})
_TRACK_TYPES = frozenset(
    {"AUDIO", "CDG", "MODE1/2048", "MODE1/2352", "MODE2/2336", "MODE2/2352", "CDI/2336", "CDI/2352"}
)
_CDRWIN_TEXT = 80
_CDRWIN_TRACKS = 99


@dataclass(frozen=True, slots=True)
class CueValidationReport:
    """The validator's verdict: valid exactly when there is no error.

    Attributes:
        is_valid: No errors (warnings allowed).
        errors, warnings: Findings, each with a rule id, message and line when known.
        source: The sheet's name.
        profile: The profile checked against, or ``None``.
    """

    is_valid: bool
    errors: tuple[CueIssue, ...] = ()
    warnings: tuple[CueIssue, ...] = ()
    source: str = "<cue>"
    profile: str | None = None

    def to_contract(self) -> ValidationReport:
        """The report as the ``ValidationReport`` of ``tracktion.contracts``."""
        return ValidationReport(
            is_valid=self.is_valid,
            errors=[issue.to_contract() for issue in self.errors],
            warnings=[issue.to_contract() for issue in self.warnings],
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: the contract's fields plus ``source`` and ``profile``."""
        return {
            "source": self.source,
            "profile": self.profile,
            "is_valid": self.is_valid,
            "errors": [issue.to_dict() for issue in self.errors],
            "warnings": [issue.to_dict() for issue in self.warnings],
        }


class _Checks:
    def __init__(self, sheet: CueSheet, profile: CueProfile | None) -> None:
        self.sheet = sheet
        self.profile = profile
        self.issues: list[CueIssue] = []

    def error(self, rule: str, message: str, line: int | None) -> None:
        self.issues.append(CueIssue(rule, message, line, Severity.ERROR))

    def warn(self, rule: str, message: str, line: int | None) -> None:
        self.issues.append(CueIssue(rule, message, line, Severity.WARNING))

    def run(self) -> list[CueIssue]:
        sheet = self.sheet
        if not sheet.tracks:
            self.error("no-tracks", "the sheet has no TRACK", None)
        for file in sheet.files:
            if not file.name.strip():
                self.error("file-name", "FILE names no file", file.line)
            if file.file_type not in _FILE_TYPES:
                self.warn(
                    "file-type",
                    f"FILE type {file.file_type} is not a CDRWIN token "
                    f"({', '.join(sorted(_FILE_TYPES))})",
                    file.line,
                )
        self.text("sheet", sheet.title, sheet.performer, sheet.songwriter, None)
        if sheet.catalog is not None and not _CATALOG.fullmatch(sheet.catalog):
            self.error("catalog-format", f"CATALOG {sheet.catalog!r} is not 13 digits", None)
        self.tracks()
        self.times()
        return self.issues

    def text(
        self,
        what: str,
        title: str | None,
        performer: str | None,
        writer: str | None,
        line: int | None,
    ) -> None:
        for name, value in (("TITLE", title), ("PERFORMER", performer), ("SONGWRITER", writer)):
            if value is not None and len(value) > _CDRWIN_TEXT:
                self.warn(
                    "text-length",
                    f"{what}: {name} has {len(value)} characters; CDRWIN allows {_CDRWIN_TEXT}",
                    line,
                )

    def tracks(self) -> None:
        allow_many = self.profile is not None and self.profile.max_tracks is None
        previous: int | None = None
        for track in self.sheet.tracks:
            line = track.line
            if track.file is None or not self.sheet.files:
                self.error("file-first", f"TRACK {track.number} comes before any FILE", line)
            if previous is not None and track.number != previous + 1:
                self.error(
                    "track-number",
                    f"TRACK {track.number} follows TRACK {previous}; numbers must be consecutive",
                    line,
                )
            if not 1 <= track.number <= _CDRWIN_TRACKS:
                if allow_many and track.number > _CDRWIN_TRACKS:
                    self.warn(
                        "track-number",
                        f"TRACK {track.number} is past 99: "
                        f"{self.profile.name if self.profile else ''} reads it, CD tools do not",
                        line,
                    )
                else:
                    self.error("track-number", f"TRACK {track.number} is not 1-99", line)
            previous = track.number
            if track.datatype not in _TRACK_TYPES:
                self.error("track-type", f"TRACK type {track.datatype} is unknown", line)
            self.text(f"track {track.number}", track.title, track.performer, track.songwriter, line)
            if track.isrc is not None and not _ISRC.fullmatch(track.isrc):
                self.error(
                    "isrc-format",
                    f"track {track.number}: ISRC {track.isrc!r} is not CCOOOYYSSSSS "
                    "(2 letters, 3 letters or digits, 7 digits)",
                    line,
                )
            unknown = [flag for flag in track.flags if flag not in _FLAGS]
            if unknown or len(set(track.flags)) != len(track.flags):
                self.error(
                    "flags",
                    f"track {track.number}: FLAGS {' '.join(track.flags)} must be distinct "
                    "DCP, 4CH, PRE or SCMS",
                    line,
                )
            self.index_numbers(track.number, [index.number for index in track.indexes], line)

    def index_numbers(self, track: int, numbers: list[int], line: int | None) -> None:
        if 1 not in numbers:
            self.error("index-01-missing", f"track {track} has no INDEX 01", line)
        expected = numbers[0] if numbers and numbers[0] in (0, 1) else 1
        for number in numbers:
            if number != expected:
                self.error(
                    "index-number",
                    f"track {track}: INDEX {number:02d} where INDEX {expected:02d} belongs "
                    "(00 or 01 first, then consecutive)",
                    line,
                )
                break
            expected += 1

    def times(self) -> None:
        last_file = -1
        last_time = None
        long_line: int | None = None
        long_seen = False
        for track in self.sheet.tracks:
            if track.file is not None and track.file < last_file:
                self.error(
                    "file-order", f"track {track.number} goes back to an earlier FILE", track.line
                )
            for index in track.indexes:
                line = index.line if index.line is not None else track.line
                if not 0 <= index.file < max(len(self.sheet.files), 1):
                    self.error("file-order", f"track {track.number}: INDEX refers to no FILE", line)
                if index.file < last_file:
                    self.error(
                        "file-order",
                        f"track {track.number}: INDEX goes back to an earlier FILE",
                        line,
                    )
                    continue
                if index.file > last_file:
                    last_file, last_time = index.file, None
                    if index.time.frames != 0:
                        self.warn(
                            "first-index-zero",
                            f"the first index of a FILE is at {index.time}, not 00:00:00 "
                            "(CDRWIN; players start the first track there anyway)",
                            line,
                        )
                if last_time is not None and index.time <= last_time:
                    self.error(
                        "index-increasing",
                        f"track {track.number}: INDEX {index.number:02d} {index.time} is not "
                        f"after the previous index point {last_time}",
                        line,
                    )
                last_time = index.time if last_time is None else max(last_time, index.time)
                if index.time > MAX_MSF and not long_seen:
                    long_seen, long_line = True, line
        if long_seen and self.profile is None:
            self.warn(
                "minutes-range",
                "times past 99:59:74 have three-digit minutes: software players read "
                "them, CD tools do not",
                long_line,
            )


def _audio_checks(
    sheet: CueSheet,
    audio_path: str | None,
    duration_s: float | None,
    issues: list[CueIssue],
) -> None:
    if audio_path is not None and duration_s is None:
        if not os.path.exists(audio_path):
            issues.append(CueIssue("audio-missing", f"{audio_path} does not exist", None))
            return
        try:
            duration_s = probe_duration(audio_path)
        except AudioProbeUnavailableError as exc:
            issues.append(CueIssue("audio-probe-unavailable", str(exc), None, Severity.WARNING))
            return
        except CueAudioError as exc:
            issues.append(CueIssue("audio-unreadable", str(exc), None))
            return
    if duration_s is None:
        return
    if not math.isfinite(duration_s) or duration_s <= 0:
        issues.append(
            CueIssue(
                "audio-unreadable", f"the audio duration {duration_s!r} s is not positive", None
            )
        )
        return
    file = 0
    if len(sheet.files) > 1:
        names = [os.path.basename(f.name.replace("\\", "/")) for f in sheet.files]
        wanted = os.path.basename(audio_path) if audio_path else None
        if wanted in names:
            file = names.index(wanted)
        else:
            issues.append(
                CueIssue(
                    "audio-file-ambiguous",
                    f"the sheet has {len(sheet.files)} FILEs; the audio was checked "
                    f"against the first, {sheet.files[0].name!r}",
                    sheet.files[0].line,
                    Severity.WARNING,
                )
            )
    issues.extend(
        CueIssue(
            "index-beyond-audio",
            f"track {track.number}: INDEX {index.number:02d} {index.time} is "
            f"at or past the end of the audio ({duration_s:.2f} s)",
            index.line if index.line is not None else track.line,
        )
        for track in sheet.tracks
        for index in track.indexes
        if index.file == file and index.time.to_seconds() >= duration_s
    )


def validate_cue(
    sheet_or_bytes: CueSheet | CueParseResult | bytes | str,
    *,
    profile: str | CueProfile | None = None,
    audio_path: str | os.PathLike[str] | None = None,
    audio_duration_s: float | None = None,
    source: str = "<cue>",
) -> CueValidationReport:
    """Validate a sheet (a model, a parse result, or the sheet's bytes or text).

    Args:
        profile: Also report what this profile would drop or change (warnings) and
            whether it can hold the sheet at all.
        audio_path: The audio the sheet indexes: it must exist and be readable, and
            every index must lie inside it (probed through ``tracktion.audio``).
        audio_duration_s: The audio's duration in seconds, when known (no probing).
        source: The sheet's name in the report (bytes and text only).

    Returns:
        The report; bad input is reported in it, never raised.

    Raises:
        UnknownCueProfileError: ``profile`` names no profile.
    """
    chosen = None if profile is None else get_profile(profile)
    issues: list[CueIssue] = []
    if isinstance(sheet_or_bytes, CueSheet):
        sheet = sheet_or_bytes
    else:
        if isinstance(sheet_or_bytes, CueParseResult):
            parsed = sheet_or_bytes
        else:
            try:
                parsed = parse_cue(sheet_or_bytes, source=source)
            except CueParseError as exc:
                issue = CueIssue("unreadable", exc.reason, exc.line)
                return CueValidationReport(False, (issue,), (), source, _name(chosen))
        source = parsed.source
        sheet = parsed.sheet
        issues.extend(parsed.issues)
    issues.extend(_Checks(sheet, chosen).run())
    if chosen is not None:
        try:
            issues.extend(change.to_issue() for change in adapt(sheet, chosen).changes)
        except CueRenderError as exc:
            issues.append(CueIssue("profile-unrepresentable", str(exc), None))
    path = None if audio_path is None else os.fspath(audio_path)
    _audio_checks(sheet, path, audio_duration_s, issues)
    errors = tuple(issue for issue in issues if issue.severity is Severity.ERROR)
    warnings = tuple(issue for issue in issues if issue.severity is Severity.WARNING)
    return CueValidationReport(not errors, errors, warnings, source, _name(chosen))


def _name(profile: CueProfile | None) -> str | None:
    return None if profile is None else profile.name
