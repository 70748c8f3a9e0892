"""Read CUE sheets as real-world tools write them, reporting what could not be read.

The parser is lenient where the sheets in the wild differ (encodings, line ends, tabs,
unquoted names, ``REM`` lines of every ripper and DJ tool, minutes past 99) and reports
each line it could not use as a :class:`CueIssue` with its line number, instead of failing.
Only input that is no CUE sheet at all raises :class:`CueParseError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ._decode import MAX_SHEET_BYTES, decode_sheet
from .errors import CueParseError, CueTimeError
from .issues import CueIssue, Severity
from .model import CueFile, CueIndex, CueRem, CueSheet, CueTrack
from .timecode import FRAMES_PER_SECOND, CueTime

__all__ = ["CueParseResult", "parse_cue", "read_cue"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TIME = re.compile(r"(\d+):(\d+):(\d+)", re.ASCII)
_COMMAND = re.compile(r"(\S+)[ \t]+(.*)", re.DOTALL)
_NUMBER = re.compile(r"\d+", re.ASCII)
_QUOTED_FILE = re.compile(r'"(.*)"(?:\s+(\S+))?\s*')
_MAX_INDEX = 99
_FRAMES_PER_MINUTE = 60 * FRAMES_PER_SECOND
# Lines a sheet may carry that hold nothing for the model (CD-TEXT extras some tools write).
_CDTEXT_EXTRAS = frozenset({"ARRANGER", "COMPOSER", "MESSAGE", "DISC_ID", "GENRE", "UPC_EAN"})


@dataclass(frozen=True, slots=True)
class CueParseResult:
    """What the parser read: the sheet, the problems with line numbers, and how it decoded.

    Attributes:
        sheet: Everything that could be read.
        issues: Lines that could not be used (errors) or were read with a guess (warnings).
        encoding: The text encoding used (``utf-8``, ``utf-8-sig``, ``utf-16-le``,
            ``cp1252``, ``latin-1``...).
        source: The input's name, as given.
        line_count: Lines in the input.
    """

    sheet: CueSheet
    issues: tuple[CueIssue, ...] = ()
    encoding: str = "utf-8"
    source: str = "<cue>"
    line_count: int = 0

    @property
    def errors(self) -> tuple[CueIssue, ...]:
        """The problems that make the sheet invalid."""
        return tuple(issue for issue in self.issues if issue.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[CueIssue, ...]:
        """The problems read past with a guess."""
        return tuple(issue for issue in self.issues if issue.severity is Severity.WARNING)


@dataclass(slots=True)
class _Track:
    number: int
    file: int | None
    line: int
    datatype: str = "AUDIO"
    title: str | None = None
    performer: str | None = None
    songwriter: str | None = None
    isrc: str | None = None
    flags: tuple[str, ...] = ()
    pregap: CueTime | None = None
    postgap: CueTime | None = None
    rems: list[CueRem] = field(default_factory=list)
    indexes: list[CueIndex] = field(default_factory=list)

    def freeze(self) -> CueTrack:
        return CueTrack(
            number=self.number,
            indexes=tuple(self.indexes),
            file=self.file,
            datatype=self.datatype,
            title=self.title,
            performer=self.performer,
            songwriter=self.songwriter,
            isrc=self.isrc,
            flags=self.flags,
            pregap=self.pregap,
            postgap=self.postgap,
            rems=tuple(self.rems),
            line=self.line,
        )


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[CueIssue] = []
        self.files: list[CueFile] = []
        self.tracks: list[_Track] = []
        self.disc: dict[str, str] = {}
        self.disc_rems: list[CueRem] = []
        self.commands = 0
        self.line = 0

    def error(self, rule: str, message: str) -> None:
        self.issues.append(CueIssue(rule, message, self.line, Severity.ERROR))

    def warn(self, rule: str, message: str) -> None:
        self.issues.append(CueIssue(rule, message, self.line, Severity.WARNING))

    @property
    def track(self) -> _Track | None:
        return self.tracks[-1] if self.tracks else None

    def feed(self, number: int, raw: str) -> None:
        self.line = number
        text = raw.strip(" \t\x0c\x1a")
        if not text:
            return
        match = _COMMAND.match(text)
        command, rest = (match.group(1), match.group(2)) if match else (text, "")
        rest = rest.strip(" \t")
        handler = _HANDLERS.get(command.upper())
        if handler is None:
            if command.upper() in _CDTEXT_EXTRAS:
                self.commands += 1
                self.warn("unknown-command", f"{command.upper()} is not kept (CD-TEXT extra)")
            else:
                self.warn("unknown-command", f"unknown command {_clip(command)!r}; line skipped")
            return
        self.commands += 1
        handler(self, rest)

    # -- disc and track text fields ------------------------------------------------------

    def text_field(self, name: str, rest: str) -> None:
        value = self.string(rest)
        track = self.track
        if track is None:
            if name in self.disc:
                self.warn("duplicate", f"second {name.upper()} for the sheet; the last one kept")
            self.disc[name] = value
            return
        if getattr(track, name) is not None:
            self.warn("duplicate", f"second {name.upper()} in track {track.number}; last kept")
        setattr(track, name, value)

    def string(self, rest: str) -> str:
        if rest.startswith('"'):
            if len(rest) >= 2 and rest.endswith('"'):
                return rest[1:-1]
            self.warn("unterminated-quote", "a quoted value has no closing quote; read to the end")
            return rest[1:]
        return rest

    # -- commands ------------------------------------------------------------------------

    def on_rem(self, rest: str) -> None:
        key, _, value = rest.replace("\t", " ").partition(" ")
        value = value.strip(" ")
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        rem = CueRem(key, value, self.line)
        if self.track is None:
            self.disc_rems.append(rem)
        else:
            self.track.rems.append(rem)

    def on_file(self, rest: str) -> None:
        match = _QUOTED_FILE.fullmatch(rest)
        if match is not None:
            name, file_type = match.group(1), match.group(2)
        else:
            parts = rest.split()
            if len(parts) >= 2:
                name, file_type = " ".join(parts[:-1]), parts[-1]
            else:
                name, file_type = rest, None
        if not name:
            self.error("file-name", "FILE names no file")
        if file_type is None:
            self.warn("file-type", "FILE has no type (WAVE, MP3, AIFF, BINARY); WAVE assumed")
            file_type = "WAVE"
        self.files.append(CueFile(name, file_type.upper(), self.line))

    def on_track(self, rest: str) -> None:
        parts = rest.split()
        previous = self.track
        if parts and _NUMBER.fullmatch(parts[0]):
            number = int(parts[0])
        else:
            number = previous.number + 1 if previous is not None else 1
            self.error("track-number", f"TRACK needs a number, got {_clip(rest)!r}")
        if not self.files:
            self.error("file-first", f"TRACK {number} comes before any FILE")
        datatype = parts[1].upper() if len(parts) >= 2 else "AUDIO"
        if len(parts) < 2:
            self.warn("track-type", f"TRACK {number} has no type; AUDIO assumed")
        file = len(self.files) - 1 if self.files else None
        self.tracks.append(_Track(number, file, self.line, datatype))

    def on_index(self, rest: str) -> None:
        track = self.track
        if track is None:
            self.error("index-outside-track", "INDEX before any TRACK; line skipped")
            return
        parts = rest.split()
        if len(parts) != 2 or not _NUMBER.fullmatch(parts[0]):
            self.error("index-syntax", f"expected INDEX nn MM:SS:FF, got {_clip(rest)!r}")
            return
        number = int(parts[0])
        if number > _MAX_INDEX:
            self.error("index-number", f"INDEX {number} is beyond 99; line skipped")
            return
        time = self.time(parts[1], f"INDEX {parts[0]}")
        if time is None:
            return
        if track.file is None or not self.files:
            self.error("file-first", f"INDEX {parts[0]} has no FILE it refers to")
        track.indexes.append(CueIndex(number, time, max(len(self.files) - 1, 0), self.line))

    def time(self, text: str, what: str) -> CueTime | None:
        match = _TIME.fullmatch(text)
        if match is None:
            self.error("time-syntax", f"{what}: {_clip(text)!r} is not a time MM:SS:FF")
            return None
        minutes, seconds, frames = (int(part) for part in match.groups())
        if seconds >= 60 or frames >= FRAMES_PER_SECOND:
            self.error(
                "frames-range",
                f"{what}: {text} has seconds {seconds} (0-59) or frames {frames} (0-74)",
            )
        return CueTime(minutes * _FRAMES_PER_MINUTE + seconds * FRAMES_PER_SECOND + frames)

    def on_gap(self, rest: str, name: str) -> None:
        track = self.track
        if track is None:
            self.error(f"{name.lower()}-position", f"{name} outside a track; line skipped")
            return
        time = self.time(rest, name)
        if time is None:
            return
        if name == "PREGAP":
            if track.indexes:
                self.error("pregap-position", "PREGAP must come before the track's INDEX lines")
            track.pregap = time
        else:
            track.postgap = time

    def on_isrc(self, rest: str) -> None:
        if self.track is None:
            self.error("isrc-position", "ISRC outside a track; line skipped")
            return
        self.track.isrc = self.string(rest).strip()

    def on_catalog(self, rest: str) -> None:
        if self.track is not None:
            self.warn("catalog-position", "CATALOG belongs before the first TRACK")
        self.disc["catalog"] = self.string(rest).strip()

    def on_cdtextfile(self, rest: str) -> None:
        self.disc["cdtextfile"] = self.string(rest)

    def on_flags(self, rest: str) -> None:
        if self.track is None:
            self.error("flags-position", "FLAGS outside a track; line skipped")
            return
        self.track.flags = tuple(flag.upper() for flag in rest.split())

    def result(self, encoding: str, line_count: int) -> CueParseResult:
        sheet = CueSheet(
            files=tuple(self.files),
            tracks=tuple(track.freeze() for track in self.tracks),
            title=self.disc.get("title"),
            performer=self.disc.get("performer"),
            songwriter=self.disc.get("songwriter"),
            catalog=self.disc.get("catalog"),
            cdtextfile=self.disc.get("cdtextfile"),
            rems=tuple(self.disc_rems),
        )
        return CueParseResult(sheet, tuple(self.issues), encoding, self.source, line_count)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_HANDLERS = {
    "REM": _Parser.on_rem,
    "FILE": _Parser.on_file,
    "TRACK": _Parser.on_track,
    "INDEX": _Parser.on_index,
    "PREGAP": lambda parser, rest: parser.on_gap(rest, "PREGAP"),
    "POSTGAP": lambda parser, rest: parser.on_gap(rest, "POSTGAP"),
    "TITLE": lambda parser, rest: parser.text_field("title", rest),
    "PERFORMER": lambda parser, rest: parser.text_field("performer", rest),
    "SONGWRITER": lambda parser, rest: parser.text_field("songwriter", rest),
    "ISRC": _Parser.on_isrc,
    "CATALOG": _Parser.on_catalog,
    "CDTEXTFILE": _Parser.on_cdtextfile,
    "FLAGS": _Parser.on_flags,
}


def parse_cue(
    data: bytes | str, *, source: str = "<cue>", encoding: str | None = None
) -> CueParseResult:
    """Parse a CUE sheet.

    Args:
        data: The sheet's bytes (the encoding is detected: byte order marks, UTF-16,
            UTF-8, cp1252) or its text.
        source: The input's name, used in messages (a path, or ``<cue>``).
        encoding: Decode with this codec instead of detecting one.

    Returns:
        The sheet with every line that could not be used reported by line number.

    Raises:
        CueParseError: the input is empty, binary, too large, not in ``encoding``, or
            holds no CUE command at all. Nothing else is raised, whatever the input.
    """
    if isinstance(data, str):
        text, used = data, "str"
        if not text.strip():
            raise CueParseError(source, "is empty; expected a CUE sheet")
        if "\x00" in text:
            raise CueParseError(source, "holds NUL characters; not a CUE sheet")
        decode_issues: list[CueIssue] = []
    else:
        text, used, decode_issues = decode_sheet(bytes(data), source, encoding)
    parser = _Parser(source)
    parser.issues.extend(decode_issues)
    lines = _LINE_BREAK.split(text)
    for number, raw in enumerate(lines, start=1):
        try:
            parser.feed(number, raw)
        except CueTimeError as exc:  # pragma: no cover - times are range-checked before
            parser.error("time-syntax", str(exc))
    if parser.commands == 0:
        raise CueParseError(
            source, f"holds no CUE command (FILE, TRACK, INDEX) in {len(lines)} lines"
        )
    return parser.result(used, len(lines))


def read_cue(path: str | os.PathLike[str], *, encoding: str | None = None) -> CueParseResult:
    """Read and parse the CUE sheet at ``path`` (see :func:`parse_cue`).

    Raises:
        CueParseError: the file cannot be read (missing, a directory, no permission) or is
            no CUE sheet; the message names the path.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            data = file.read(MAX_SHEET_BYTES + 1)
    except OSError as exc:
        raise CueParseError(name, f"cannot be read: {exc.strerror or exc}") from None
    return parse_cue(data, source=name, encoding=encoding)
