"""Fit a sheet to a profile: the model the profile's writer emits, and what changed."""

from __future__ import annotations

import codecs
import ntpath
import posixpath
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from .errors import CueRenderError
from .issues import CueIssue, Severity
from .model import CueFile, CueRem, CueSheet, CueTrack
from .profiles import CueProfile, IndexZeroPolicy, LongMixPolicy
from .timecode import CueTime

__all__ = ["Adaptation", "ChangeKind", "CueChange", "adapt", "file_type_for"]

MAX_MSF = CueTime.from_msf(99, 59, 74)
"""The last time two minute digits can write."""
_MAX_INDEX = 99
_EXTENSION_TYPES = {".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF", ".aifc": "AIFF"}
# Room a TITLE line needs besides its text: indent, keyword, quotes, line end.
_LINE_OVERHEAD = 24


class ChangeKind(StrEnum):
    """Whether metadata was removed or rewritten to fit a profile."""

    DROPPED = "dropped"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class CueChange:
    """One thing a profile could not keep as it was.

    Attributes:
        kind: ``dropped`` (gone) or ``changed`` (rewritten: truncated, re-typed, folded).
        field: What it concerns: ``rem:GENRE``, ``isrc``, ``index-00``, ``title``, ...
        message: A sentence for people.
        track: The track number, or ``None`` for the sheet.
        value: The original value, when there is one.
        line: The sheet line it came from, when known.
    """

    kind: ChangeKind
    field: str
    message: str
    track: int | None = None
    value: str | None = None
    line: int | None = None

    def to_issue(self) -> CueIssue:
        """The change as a validation warning with rule ``profile-<field>``."""
        rule = "profile-" + self.field.split(":", 1)[0]
        return CueIssue(rule, self.message, self.line, Severity.WARNING)


@dataclass(frozen=True, slots=True)
class Adaptation:
    """The sheet as the profile writes it, and every change made to get there."""

    sheet: CueSheet
    changes: tuple[CueChange, ...]


def file_type_for(name: str) -> str:
    """The CDRWIN type token for an audio file name: ``MP3``, ``AIFF``, else ``WAVE``."""
    return _EXTENSION_TYPES.get(posixpath.splitext(name.lower())[1], "WAVE")


def _writable_key(key: str, codec: str) -> bool:
    """A REM key is one word of printable characters the codec can write."""
    if any(char.isspace() or char == '"' or unicodedata.category(char) == "Cc" for char in key):
        return False
    try:
        key.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


class _Adapter:
    def __init__(self, profile: CueProfile) -> None:
        self.profile = profile
        self.changes: list[CueChange] = []
        self.codec = codecs.lookup(profile.encoding).name
        limit = profile.text_limit
        if profile.max_line is not None:
            room = profile.max_line - _LINE_OVERHEAD
            limit = room if limit is None else min(limit, room)
        self.text_limit = limit

    def note(
        self,
        kind: ChangeKind,
        field: str,
        message: str,
        track: int | None = None,
        value: str | None = None,
        line: int | None = None,
    ) -> None:
        where = "" if track is None else f"track {track}: "
        self.changes.append(CueChange(kind, field, where + message, track, value, line))

    def text(
        self, value: str | None, field: str, track: int | None, line: int | None, limit: bool
    ) -> str | None:
        if value is None:
            return None
        clean = self.clean(value, field, track, line)
        if limit and self.text_limit is not None and len(clean) > self.text_limit:
            self.note(
                ChangeKind.CHANGED,
                field,
                f"{field.upper()} cut to {self.text_limit} characters "
                f"(was {len(clean)}) for {self.profile.name}",
                track,
                value,
                line,
            )
            clean = clean[: self.text_limit]
        return clean

    def clean(self, value: str, field: str, track: int | None, line: int | None) -> str:
        """Without control characters and double quotes, encodable in the profile's codec."""
        clean = "".join(
            " " if unicodedata.category(char) == "Cc" else "'" if char == '"' else char
            for char in value
        )
        encoded = clean.encode(self.codec, errors="replace")
        decoded = encoded.decode(self.codec)
        if decoded != clean:
            clean = decoded
        if clean != value:
            self.note(
                ChangeKind.CHANGED,
                field,
                f"{field.upper()} has characters {self.profile.name} cannot write "
                f"({self.profile.encoding}, no control characters or double quotes); "
                "they were replaced",
                track,
                value,
                line,
            )
        return clean

    def rems(self, rems: tuple[CueRem, ...], track: int | None) -> tuple[CueRem, ...]:
        kept = []
        for rem in rems:
            label = f"rem:{rem.name}"
            if not self.profile.keeps_rem(rem.key):
                self.note(
                    ChangeKind.DROPPED,
                    label,
                    f"REM {rem.key} is not kept by {self.profile.name}",
                    track,
                    rem.value,
                    rem.line,
                )
                continue
            if not _writable_key(rem.key, self.codec) or (not rem.key and rem.value):
                self.note(
                    ChangeKind.DROPPED,
                    label,
                    f"REM key {rem.key!r} cannot be written",
                    track,
                    rem.value,
                    rem.line,
                )
                continue
            value = self.clean(rem.value, label, track, rem.line)
            key = rem.key
            kept.append(CueRem(key, value, rem.line))
        return tuple(kept)

    def optional(
        self, name: str, value: object, shown: str | None, track: int | None, line: int | None
    ) -> bool:
        """Whether an optional field that is set survives; notes it when it does not."""
        if value in (None, ()) or name in self.profile.fields:
            return True
        self.note(
            ChangeKind.DROPPED,
            name,
            f"{name.upper()} is not kept by {self.profile.name}",
            track,
            shown,
            line,
        )
        return False

    def file(self, file: CueFile) -> CueFile:
        name = self.clean(file.name, "file", None, file.line)
        if self.profile.basename_only:
            base = ntpath.basename(posixpath.basename(name))
            if base != name:
                self.note(
                    ChangeKind.CHANGED,
                    "file",
                    f"FILE {name!r} written as {base!r}: {self.profile.name} looks for the "
                    "audio beside the sheet",
                    None,
                    name,
                    file.line,
                )
                name = base
        token = self.profile.file_type or file_type_for(name)
        if token != file.file_type:
            self.note(
                ChangeKind.CHANGED,
                "file-type",
                f"FILE {name!r} typed {token} instead of {file.file_type}",
                None,
                file.file_type,
                file.line,
            )
        return CueFile(name, token, file.line)

    def track(self, track: CueTrack) -> CueTrack:
        number, line = track.number, track.line
        keep = self.optional
        indexes = track.indexes
        if self.profile.index_zero is IndexZeroPolicy.DROP and track.index(0) is not None:
            index = track.index(0)
            assert index is not None
            self.note(
                ChangeKind.DROPPED,
                "index-00",
                f"INDEX 00 {index.time} (pregap) is not kept by {self.profile.name}",
                number,
                str(index.time),
                index.line,
            )
            indexes = tuple(index for index in indexes if index.number != 0)
        return replace(
            track,
            indexes=indexes,
            title=self.text(track.title, "title", number, line, True),
            performer=self.text(track.performer, "performer", number, line, True),
            songwriter=self.text(track.songwriter, "songwriter", number, line, True)
            if keep("songwriter", track.songwriter, track.songwriter, number, line)
            else None,
            isrc=self.text(track.isrc, "isrc", number, line, False)
            if keep("isrc", track.isrc, track.isrc, number, line)
            else None,
            flags=track.flags
            if keep("flags", track.flags, " ".join(track.flags), number, line)
            else (),
            pregap=track.pregap
            if keep("pregap", track.pregap, str(track.pregap), number, line)
            else None,
            postgap=track.postgap
            if keep("postgap", track.postgap, str(track.postgap), number, line)
            else None,
            rems=self.rems(track.rems, number)
            if keep("track-rem", track.rems, None, number, line)
            else (),
        )

    def fold(self, tracks: list[CueTrack]) -> list[CueTrack]:
        limit = self.profile.max_tracks
        if limit is None or len(tracks) <= limit:
            return tracks
        kept, extra = tracks[:limit], tracks[limit:]
        target = kept[-1]
        indexes = list(target.indexes)
        next_number = max((index.number for index in indexes), default=0) + 1
        for track in extra:
            starts = [index for index in track.indexes if index.number >= 1]
            for index in starts:
                if next_number > _MAX_INDEX:
                    raise CueRenderError(
                        f"{len(tracks)} tracks do not fit {self.profile.name}: {limit} tracks "
                        f"and {_MAX_INDEX} index points in the last one"
                    )
                indexes.append(replace(index, number=next_number))
                next_number += 1
            lost = [
                f"{name}={value!r}"
                for name, value in (("title", track.title), ("performer", track.performer))
                if value
            ]
            self.note(
                ChangeKind.DROPPED,
                "track",
                f"folded into track {target.number} as an index point: {self.profile.name} "
                f"holds {limit} tracks" + (f"; lost {', '.join(lost)}" if lost else ""),
                track.number,
                track.title,
                track.line,
            )
        return [*kept[:-1], replace(target, indexes=tuple(indexes))]

    def check_length(self, sheet: CueSheet) -> None:
        times = [index.time for track in sheet.tracks for index in track.indexes]
        times += [track.pregap for track in sheet.tracks if track.pregap is not None]
        last = max(times, default=CueTime(0))
        if last > MAX_MSF:
            if self.profile.long_mix is LongMixPolicy.ERROR:
                raise CueRenderError(
                    f"{self.profile.name} cannot hold a time past 99:59:74; the sheet has {last}"
                )
            self.note(
                ChangeKind.CHANGED,
                "long-mix",
                f"times past 99:59:74 (up to {last}) are written with three-digit minutes: "
                "software players read them, CD burning tools do not",
                None,
                str(last),
            )
        capacity = self.profile.capacity_s
        if capacity is not None and last.to_seconds() >= capacity:
            self.note(
                ChangeKind.CHANGED,
                "capacity",
                f"the last index ({last}) is past the {capacity / 60:.0f} minutes a CD-R holds",
                None,
                str(last),
            )


def adapt(sheet: CueSheet, profile: CueProfile) -> Adaptation:
    """The sheet as ``profile`` writes it, with every change made (see :class:`CueChange`).

    Raises:
        CueRenderError: the profile cannot hold the sheet (a mix past 99:59:74 where the
            profile refuses one; more tracks than its tracks and index points can fold).
    """
    adapter = _Adapter(profile)
    keep = adapter.optional
    adapter.check_length(sheet)
    tracks = adapter.fold([adapter.track(track) for track in sheet.tracks])
    adapted = CueSheet(
        files=tuple(adapter.file(file) for file in sheet.files),
        tracks=tuple(tracks),
        title=adapter.text(sheet.title, "title", None, None, True),
        performer=adapter.text(sheet.performer, "performer", None, None, True),
        songwriter=adapter.text(sheet.songwriter, "songwriter", None, None, True)
        if keep("songwriter", sheet.songwriter, sheet.songwriter, None, None)
        else None,
        catalog=adapter.text(sheet.catalog, "catalog", None, None, False)
        if keep("catalog", sheet.catalog, sheet.catalog, None, None)
        else None,
        cdtextfile=adapter.text(sheet.cdtextfile, "cdtextfile", None, None, False)
        if keep("cdtextfile", sheet.cdtextfile, sheet.cdtextfile, None, None)
        else None,
        rems=adapter.rems(sheet.rems, None),
    )
    return Adaptation(adapted, tuple(adapter.changes))
