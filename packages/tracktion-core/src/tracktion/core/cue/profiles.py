"""Writer profiles: what each consumer of CUE sheets reads, as data.

A profile says how a sheet is encoded (codec, byte order mark, line end, indent), which
``FILE`` type token it writes, which metadata it keeps (``REM`` keys, optional fields),
how long text may be, how many tracks and how long a mix may be, and what happens to
``INDEX 00`` pregaps. ``docs/guides/cue-profiles.md`` gives the source of every rule and
says which rules are conventions rather than documented behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from tracktion.contracts import CueFormat

from .errors import UnknownCueProfileError

__all__ = [
    "ALL_FIELDS",
    "PROFILES",
    "CueProfile",
    "IndexZeroPolicy",
    "LongMixPolicy",
    "get_profile",
]

ALL_FIELDS = frozenset(
    {"songwriter", "isrc", "catalog", "flags", "cdtextfile", "pregap", "postgap", "track-rem"}
)
"""Optional metadata a profile may keep; TITLE, PERFORMER, FILE and INDEX 01 always stay."""

_CD_SECONDS = 80 * 60  # an 80-minute CD-R holds 79:59:74
_KODI_LINE = 1023  # CCueDocument::ReadNextLine reads at most 1023 bytes a line


class IndexZeroPolicy(StrEnum):
    """What a profile does with ``INDEX 00`` (the pregap before a track's start)."""

    KEEP = "keep"
    DROP = "drop"


class LongMixPolicy(StrEnum):
    """What a profile does with times past 99:59:74 (three-digit minutes)."""

    ALLOW = "allow"
    """Write ``100:00:00`` and warn: software players read it, CD tools do not."""
    ERROR = "error"
    """Refuse to render: the consumer cannot hold a mix that long."""


@dataclass(frozen=True, slots=True)
class CueProfile:
    """How one consumer wants its CUE sheets.

    Attributes:
        name: The profile's name, one of :class:`tracktion.contracts.CueFormat`.
        description: One line on who reads sheets of this profile.
        encoding: Python codec of the written bytes; characters outside it become ``?``.
        bom: Whether the bytes start with the codec's byte order mark.
        newline: Line end, ``"\\r\\n"`` or ``"\\n"``.
        indent: One level of indentation (``TRACK`` one level, its commands two).
        file_type: The ``FILE`` type token for every file, or ``None`` to choose it from
            the file name's extension (``MP3``, ``AIFF``, else ``WAVE``).
        rem_keys: ``REM`` keys kept (upper case), or ``None`` to keep every one.
        fields: Optional fields kept, a subset of :data:`ALL_FIELDS`.
        text_limit: Most characters of a TITLE/PERFORMER/SONGWRITER, or ``None``.
        max_tracks: Most tracks; the rest fold into the last track as index points (02,
            03...), keeping their times. ``None``: no limit (numbers past 99 are written).
        index_zero: :class:`IndexZeroPolicy`.
        long_mix: :class:`LongMixPolicy` for times past 99:59:74.
        capacity_s: Warn when the last index is past this many seconds (a CD's length).
        max_line: Longest line the consumer reads, in characters, or ``None``.
        basename_only: Write ``FILE`` names without their folders.
        sources: Where the rules come from (see the guide).
    """

    name: str
    description: str
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\r\n"
    indent: str = "  "
    file_type: str | None = None
    rem_keys: frozenset[str] | None = None
    fields: frozenset[str] = ALL_FIELDS
    text_limit: int | None = None
    max_tracks: int | None = 99
    index_zero: IndexZeroPolicy = IndexZeroPolicy.KEEP
    long_mix: LongMixPolicy = LongMixPolicy.ALLOW
    capacity_s: float | None = None
    max_line: int | None = None
    basename_only: bool = False
    sources: tuple[str, ...] = ()

    def keeps_rem(self, key: str) -> bool:
        """Whether ``REM key`` survives this profile."""
        return self.rem_keys is None or key.upper() in self.rem_keys


_DJ_REMS = frozenset({"GENRE", "DATE", "COMMENT", "DISCID"})
_CDRWIN = "CDRWIN User's Guide, appendix 'Cue sheet syntax' (Golden Hawk Technology)"

PROFILES: Mapping[str, CueProfile] = MappingProxyType(
    {
        profile.name: profile
        for profile in (
            CueProfile(
                name=CueFormat.STANDARD.value,
                description="The CDRWIN cue sheet: every field, UTF-8, CRLF, 99 tracks.",
                text_limit=80,
                sources=(_CDRWIN,),
            ),
            CueProfile(
                name=CueFormat.CDJ.value,
                description="Sheets to burn an audio CD for CD players and CDJs (Red Book).",
                encoding="cp1252",
                rem_keys=frozenset({"GENRE", "DATE", "COMMENT"}),
                text_limit=80,
                long_mix=LongMixPolicy.ERROR,
                capacity_s=_CD_SECONDS,
                sources=(_CDRWIN, "IEC 60908 (Red Book): 99 tracks, 99 indexes"),
            ),
            CueProfile(
                name=CueFormat.SERATO.value,
                description="Mix recordings loaded into Serato DJ (a convention; see guide).",
                newline="\n",
                file_type="WAVE",
                rem_keys=_DJ_REMS,
                fields=frozenset({"songwriter", "track-rem"}),
                index_zero=IndexZeroPolicy.DROP,
            ),
            CueProfile(
                name=CueFormat.TRAKTOR.value,
                description="Mix recordings from Traktor (a convention; see guide).",
                file_type="WAVE",
                rem_keys=_DJ_REMS,
                fields=frozenset({"songwriter", "track-rem"}),
                index_zero=IndexZeroPolicy.DROP,
            ),
            CueProfile(
                name=CueFormat.REKORDBOX.value,
                description="The layout of rekordbox's own recording sheets.",
                newline="\n",
                indent="\t",
                file_type="WAVE",
                rem_keys=frozenset({"DATE", "RECORDED_BY", "GENRE", "COMMENT"}),
                fields=frozenset(),
                index_zero=IndexZeroPolicy.DROP,
                sources=("rekordbox 6 recording sheets (public sample: rbcue2txt test/test.cue)",),
            ),
            CueProfile(
                name=CueFormat.KODI.value,
                description="What Kodi's music library reads from a sheet beside the audio.",
                newline="\n",
                rem_keys=frozenset(
                    {
                        "GENRE",
                        "DATE",
                        "DISCNUMBER",
                        "REPLAYGAIN_ALBUM_GAIN",
                        "REPLAYGAIN_ALBUM_PEAK",
                        "REPLAYGAIN_TRACK_GAIN",
                        "REPLAYGAIN_TRACK_PEAK",
                    }
                ),
                fields=frozenset({"track-rem"}),
                max_tracks=None,
                index_zero=IndexZeroPolicy.DROP,
                max_line=_KODI_LINE,
                basename_only=True,
                sources=("Kodi source, xbmc/CueDocument.cpp (CCueDocument::Parse)",),
            ),
        )
    }
)
"""Every profile by name: ``standard``, ``cdj``, ``serato``, ``traktor``, ``rekordbox``,
``kodi`` (the values of :class:`tracktion.contracts.CueFormat`)."""


def get_profile(profile: str | CueFormat | CueProfile) -> CueProfile:
    """The profile named ``profile`` (case-insensitive); a :class:`CueProfile` is returned
    as is.

    Raises:
        UnknownCueProfileError: no profile has that name; the message lists the known ones.
    """
    if isinstance(profile, CueProfile):
        return profile
    name = str(profile.value if isinstance(profile, CueFormat) else profile).strip().lower()
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise UnknownCueProfileError(
            f"unknown CUE profile {str(profile)!r}; known: {known}"
        ) from None
