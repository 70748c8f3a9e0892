"""Which paths of a music library are not the user's audio: temp files, app folders, junk.

A path is judged by its parts below the library root, so that a root inside a hidden
folder (``~/.local/music``) is still scanned. Rules, in order:

* a part listed in :data:`IGNORED_DIRECTORIES` (``_Serato_``, rekordbox's ``PIONEER``...),
* a hidden part (starting with ``.``, unless ``hidden=False``),
* a name listed in :data:`IGNORED_NAMES` (``.DS_Store``, ``Thumbs.db``...),
* a name matching :data:`TEMP_PATTERNS` (unfinished downloads and DJ software's scratch
  files: ``*.part``, ``*.crdownload``, ``*.!qB``, ``~$*``, rekordbox ``ANLZ*.DAT``...),
* a user glob from ``globs`` (matched, case-insensitively, against the name and against
  the path relative to the root with ``/`` separators).

>>> rules = IgnoreRules(globs=("*/Samples/*",))
>>> rules.reason("Techno/track.mp3.part")
'temporary file (*.part)'
>>> rules.reason("Packs/Samples/kick.wav")
'user glob */Samples/*'
>>> rules.reason("Techno/track.mp3") is None
True
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["IGNORED_DIRECTORIES", "IGNORED_NAMES", "TEMP_PATTERNS", "IgnoreRules"]

IGNORED_DIRECTORIES: frozenset[str] = frozenset(
    name.casefold()
    for name in (
        "_Serato_",
        "_Serato_Backup",
        "Serato",
        "PIONEER",  # rekordbox device exports: USBANLZ analysis, DeviceSQL database
        "USBANLZ",
        "$RECYCLE.BIN",
        "System Volume Information",
        "@eaDir",  # Synology thumbnails
        "#recycle",
        "lost+found",
    )
)
"""Folders of DJ software, operating systems and NAS boxes (compared case-insensitively)."""

IGNORED_NAMES: frozenset[str] = frozenset(
    name.casefold() for name in (".DS_Store", "Thumbs.db", "desktop.ini", "Icon\r", "ehthumbs.db")
)
"""Files operating systems leave in every folder."""

TEMP_PATTERNS: tuple[str, ...] = (
    "*.part",  # Firefox, wget, youtube-dl, Transmission
    "*.partial",
    "*.crdownload",  # Chrome, Edge
    "*.download",  # Safari (a folder)
    "*.opdownload",  # Opera
    "*.tmp",
    "*.temp",
    "*.!qb",  # qBittorrent
    "*.!ut",  # uTorrent
    "*.!bt",  # BitComet
    "*.aria2",
    "*.bc!",
    "*.filepart",  # WinSCP
    "*.swp",
    "*~",
    "~$*",  # lock files of Office-like editors
    ".~lock.*",
    "anlz*.dat",  # rekordbox analysis files
    "anlz*.ext",
    "anlz*.2ex",
    "*.asd",  # Ableton analysis files
    "*.reapeaks",
)
"""Unfinished downloads and scratch files: lower-case globs, matched case-insensitively."""


@dataclass(frozen=True)
class IgnoreRules:
    """What to leave out of a library scan.

    Attributes:
        hidden: Ignore hidden files and folders (a part starting with ``.``).
        globs: The user's extra ``fnmatch`` globs, matched case-insensitively against the
            name and the root-relative path (``/`` separators).
    """

    hidden: bool = True
    globs: Sequence[str] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "globs", tuple(self.globs))
        for glob in self.globs:
            if not isinstance(glob, str) or not glob.strip():
                raise ValueError(f"ignore glob must be a non-blank string, got {glob!r}")

    @cached_property
    def _temp(self) -> re.Pattern[str]:
        return re.compile("|".join(fnmatch.translate(glob) for glob in TEMP_PATTERNS))

    @cached_property
    def _user(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple((glob, re.compile(fnmatch.translate(glob.casefold()))) for glob in self.globs)

    def reason(self, relative: str) -> str | None:
        """Why the path ``relative`` (to its library root) is ignored, or ``None``.

        ``relative`` uses the platform's separators or ``/``; ``""`` or ``.`` is the
        root itself, never ignored.
        """
        normalized = relative.replace(os.sep, "/").strip("/")
        if normalized in ("", "."):
            return None
        parts = normalized.split("/")
        for index, part in enumerate(parts):
            folded = part.casefold()
            if index < len(parts) - 1 and folded in IGNORED_DIRECTORIES:
                return f"application folder {part}"
            if self.hidden and part.startswith(".") and part not in (".", ".."):
                return f"hidden {'file' if index == len(parts) - 1 else 'folder'} {part}"
            if index < len(parts) - 1 and (match := self._temp.match(folded)):
                return f"temporary folder ({_which(match.group(0), folded)})"
        name = parts[-1].casefold()
        if name in IGNORED_NAMES:
            return f"system file {parts[-1]}"
        if name in IGNORED_DIRECTORIES:
            return f"application folder {parts[-1]}"
        if match := self._temp.match(name):
            return f"temporary file ({_which(match.group(0), name)})"
        folded_path = normalized.casefold()
        for glob, pattern in self._user:
            if pattern.match(name) or pattern.match(folded_path):
                return f"user glob {glob}"
        return None

    def is_ignored(self, relative: str) -> bool:
        """Whether :meth:`reason` gives a reason to ignore ``relative``."""
        return self.reason(relative) is not None


def _which(matched: str, name: str) -> str:
    for glob in TEMP_PATTERNS:
        if fnmatch.fnmatchcase(name, glob):
            return glob
    return matched  # pragma: no cover - the combined pattern matched one of them
