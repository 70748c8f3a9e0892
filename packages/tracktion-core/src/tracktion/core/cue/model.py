"""The CUE sheet model: one sheet, its audio files, tracks and index points.

The model is flat, as the format is: ``files`` lists the ``FILE`` commands in order and every
track and index point names the file it lies in by position (``file``), so a track that
starts in one file and continues in the next (an ``INDEX 00`` before a ``FILE`` change, as
gap-appending rippers write) is represented exactly. Every object is immutable; change one
with :func:`dataclasses.replace`.

``line`` fields hold the 1-based line a parsed object came from; they take no part in
equality, so a parsed sheet equals the model it was rendered from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .timecode import CueTime

__all__ = ["CueFile", "CueIndex", "CueRem", "CueSheet", "CueTrack"]


@dataclass(frozen=True, slots=True)
class CueRem:
    """A ``REM KEY value`` line: a comment field such as ``GENRE``, ``DATE``, ``DISCID``.

    ``key`` is the first word as written (compare with :attr:`name`); ``value`` is the rest,
    without its quotes.
    """

    key: str
    value: str = ""
    line: int | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """The key in upper case, as profiles and validators compare it."""
        return self.key.upper()


@dataclass(frozen=True, slots=True)
class CueFile:
    """A ``FILE "name" TYPE`` command: an audio (or data) file the sheet indexes.

    ``file_type`` is the type token: ``WAVE``, ``MP3``, ``AIFF``, ``BINARY``, ``MOTOROLA``
    (the CDRWIN set) or whatever a real-world sheet wrote.
    """

    name: str
    file_type: str = "WAVE"
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CueIndex:
    """An ``INDEX nn MM:SS:FF`` point: ``number`` 0 is the pregap, 1 the track start.

    ``file`` is the position in :attr:`CueSheet.files` of the file the time refers to.
    """

    number: int
    time: CueTime
    file: int = 0
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CueTrack:
    """A ``TRACK nn TYPE`` with its own commands.

    Attributes:
        number: The track number as written (CDRWIN: 1-99, consecutive).
        indexes: Index points in sheet order.
        file: Position in :attr:`CueSheet.files` of the file active at the ``TRACK`` line,
            ``None`` when no ``FILE`` came before it (an invalid sheet).
        datatype: ``AUDIO`` for music; data modes (``MODE1/2352``...) are kept as written.
        flags: ``FLAGS`` tokens (``DCP``, ``4CH``, ``PRE``, ``SCMS``).
        pregap, postgap: ``PREGAP``/``POSTGAP`` silence the player generates.
        rems: The track's ``REM`` lines.
    """

    number: int
    indexes: tuple[CueIndex, ...] = ()
    file: int | None = 0
    datatype: str = "AUDIO"
    title: str | None = None
    performer: str | None = None
    songwriter: str | None = None
    isrc: str | None = None
    flags: tuple[str, ...] = ()
    pregap: CueTime | None = None
    postgap: CueTime | None = None
    rems: tuple[CueRem, ...] = ()
    line: int | None = field(default=None, compare=False)

    def index(self, number: int) -> CueIndex | None:
        """The index point ``number`` (1 is the start), or ``None``."""
        return next((index for index in self.indexes if index.number == number), None)

    @property
    def start(self) -> CueTime | None:
        """The time of ``INDEX 01``: where the track starts, or ``None`` when it has none."""
        index = self.index(1)
        return None if index is None else index.time


@dataclass(frozen=True, slots=True)
class CueSheet:
    """A whole CUE sheet: disc-level fields, files and tracks.

    ``title``/``performer``/``songwriter`` are the disc (mix) fields; ``catalog`` is the
    13-digit UPC/EAN; ``rems`` are the ``REM`` lines before the first track.
    """

    files: tuple[CueFile, ...] = ()
    tracks: tuple[CueTrack, ...] = ()
    title: str | None = None
    performer: str | None = None
    songwriter: str | None = None
    catalog: str | None = None
    cdtextfile: str | None = None
    rems: tuple[CueRem, ...] = ()

    def rem(self, key: str) -> str | None:
        """The value of the first disc-level ``REM key`` (case-insensitive), or ``None``."""
        wanted = key.upper()
        return next((rem.value for rem in self.rems if rem.name == wanted), None)
