"""Safe file and folder names for every target file system at once.

The default **universal** profile gives names that are valid, and mean the same file, on
Linux, macOS and Windows (and on FAT/exFAT/SMB shares), so a library can be copied
between them:

- characters Windows forbids (``< > : " / \\ | ? *``) are replaced, control characters
  (C0, C1, DEL) and invisible format characters (bidirectional overrides and marks,
  byte-order marks) removed; the zero-width joiners of emoji sequences stay;
- text is NFC-normalized (macOS stores decomposed names; Windows and Linux compare
  bytes): ``é`` is one code point;
- leading dots (hidden files), trailing dots and spaces (Windows drops them) go;
- Windows' reserved device names (``CON``, ``NUL``, ``COM1``, ``LPT9``..., also with an
  extension: ``con.mp3``) get an ``_``;
- a name longer than 255 UTF-8 bytes is cut, keeping its extension and a trailing mix
  name (``(Extended Mix)``), at a word boundary when one is near;
- optionally, a whole path is kept within a character budget (Windows' 260).

>>> print(sanitize_name('AC/DC: "Live?" '))
AC-DC - 'Live'
>>> sanitize_name("con.mp3"), sanitize_name("...hidden."), sanitize_name("e\\u0301")
('con_.mp3', 'hidden', 'é')
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .errors import UnsafeTargetError

__all__ = [
    "MAX_NAME_BYTES",
    "WINDOWS_MAX_PATH",
    "SanitizeOptions",
    "SanitizeProfile",
    "fit_path",
    "is_reserved_name",
    "sanitize_name",
    "sanitize_parts",
    "split_extension",
    "truncate_name",
]

MAX_NAME_BYTES: Final = 255
"""The longest name in UTF-8 bytes (ext4, XFS, Btrfs; APFS and NTFS count 255 UTF-16
units, which 255 bytes never exceed)."""
WINDOWS_MAX_PATH: Final = 260
"""Windows' classic path limit in characters (``MAX_PATH``), without long-path support."""


class SanitizeProfile(StrEnum):
    """Which file systems a name must suit."""

    UNIVERSAL = "universal"
    """Linux, macOS and Windows at once (the default)."""
    WINDOWS = "windows"
    """Windows and FAT/exFAT/SMB: the universal rules."""
    MACOS = "macos"
    """macOS: ``/`` and ``:`` replaced, NFC, controls removed."""
    POSIX = "posix"
    """Linux: ``/`` replaced, NFC, controls removed."""


@dataclass(frozen=True, slots=True)
class SanitizeOptions:
    """How names are made safe.

    Attributes:
        profile: The target file systems.
        max_name_bytes: Longest name in UTF-8 bytes (1 to 255).
        max_path_chars: When set, the longest whole path in characters (260 for
            Windows without long paths); ``None`` for no limit.
        replacement: What replaces a forbidden separator-like character.
    """

    profile: SanitizeProfile = SanitizeProfile.UNIVERSAL
    max_name_bytes: int = MAX_NAME_BYTES
    max_path_chars: int | None = None
    replacement: str = "-"

    def __post_init__(self) -> None:
        if not 16 <= self.max_name_bytes <= MAX_NAME_BYTES:
            raise ValueError(f"max_name_bytes must be 16 to 255, not {self.max_name_bytes}")
        if self.max_path_chars is not None and self.max_path_chars < 32:
            raise ValueError(f"max_path_chars must be at least 32, not {self.max_path_chars}")
        if any(char in _WINDOWS_FORBIDDEN or ord(char) < 32 for char in self.replacement):
            raise ValueError(f"the replacement {self.replacement!r} is itself forbidden")


_WINDOWS_FORBIDDEN: Final = frozenset('<>:"/\\|?*')
# Replacements that read well in a track name; anything else forbidden becomes
# SanitizeOptions.replacement.
_FRIENDLY: Final = {":": " - ", '"': "'", "?": "", "*": "", "<": "(", ">": ")"}
_KEEP_FORMAT: Final = frozenset({"\u200c", "\u200d"})  # ZWNJ, ZWJ: parts of words and emoji
_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in ("0123456789¹²³")}
)
_MIX_SUFFIX = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")
_SPACES = re.compile(r"\s+")
_MIN_HEAD_BYTES: Final = 12  # keep the mix name only if this much of the title survives
_WORD_BOUNDARY_SLACK: Final = 24  # cut at a space if one is this many characters back
_READABLE_NAME: Final = 48  # fit_path cuts folders before a file name gets shorter
_SHORT_FOLDER: Final = 8


def _forbidden(profile: SanitizeProfile) -> frozenset[str]:
    if profile is SanitizeProfile.POSIX:
        return frozenset("/")
    if profile is SanitizeProfile.MACOS:
        return frozenset("/:")
    return _WINDOWS_FORBIDDEN


def _drop(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        return True
    return category in ("Cf", "Cs") and char not in _KEEP_FORMAT


def is_reserved_name(name: str) -> bool:
    """Whether Windows reserves ``name`` for a device (``CON``, ``nul.txt``, ``COM1 .mp3``):
    the part before the first dot, without trailing spaces, case-insensitively."""
    base = name.split(".", 1)[0].rstrip(" ").upper()
    return base in _RESERVED


def split_extension(name: str) -> tuple[str, str]:
    """``("Artist - Title", ".mp3")``: the extension (with its dot) only when it is short
    (at most 8 characters after the dot), alphanumeric and the stem is not empty."""
    stem, ext = os.path.splitext(name)
    if stem and 1 < len(ext) <= 9 and ext[1:].isalnum():
        return stem, ext
    return name, ""


def _clean(text: str, options: SanitizeOptions) -> str:
    forbidden = _forbidden(options.profile)
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in forbidden:
            friendly = _FRIENDLY.get(char) if options.profile is not SanitizeProfile.POSIX else None
            out.append(options.replacement if friendly is None else friendly)
        elif char == "\x00" or _drop(char):
            continue
        elif char.isspace():
            out.append(" ")
        else:
            out.append(char)
    return _SPACES.sub(" ", "".join(out))


def _trim(text: str) -> str:
    # Leading dots hide a file on POSIX; trailing dots and spaces vanish on Windows.
    return text.strip(" ").lstrip(".").strip(" ").rstrip(". ")


def sanitize_name(
    name: str, options: SanitizeOptions | None = None, *, keep_extension: bool = True
) -> str:
    """One safe path component (see the module documentation). A name with nothing left
    becomes ``_``.

    Args:
        name: A file or folder name (a ``/`` in it is replaced, not a separator).
        options: The profile and limits (default: universal, 255 bytes).
        keep_extension: Treat a short trailing ``.ext`` as an extension: kept whole
            when the name is cut (folders pass ``False``).
    """
    options = options or SanitizeOptions()
    stem, ext = split_extension(name) if keep_extension else (name, "")
    stem = _trim(_clean(stem, options)) or "_"
    ext = _clean(ext, options)
    ext = ext.rstrip(". ")
    result = truncate_name(stem + ext, options.max_name_bytes, keep_extension=keep_extension)
    if options.profile is not SanitizeProfile.POSIX and is_reserved_name(result):
        base, dot, rest = result.partition(".")
        result = truncate_name(
            f"{base.rstrip(' ')}_{dot}{rest}", options.max_name_bytes, keep_extension=keep_extension
        )
    return unicodedata.normalize("NFC", result)


def truncate_name(
    name: str, max_bytes: int = MAX_NAME_BYTES, *, keep_extension: bool = True
) -> str:
    """``name`` cut to at most ``max_bytes`` UTF-8 bytes, keeping the extension and a
    trailing bracketed mix name (``(Extended Mix)``) when they fit with some of the
    title, cutting at a word boundary when one is near and never inside a combining
    sequence. Unchanged when it fits."""
    if len(name.encode()) <= max_bytes:
        return name
    stem, ext = split_extension(name) if keep_extension else (name, "")
    if len(ext.encode()) > max_bytes // 2:
        stem, ext = name, ""
    budget = max_bytes - len(ext.encode())
    mix_match = _MIX_SUFFIX.search(stem)
    if mix_match is not None and mix_match.start() > 0:
        mix = mix_match.group().strip()
        head_budget = budget - len(mix.encode()) - 1
        if head_budget >= _MIN_HEAD_BYTES:
            head = _cut(stem[: mix_match.start()], head_budget)
            if head:
                return f"{head} {mix}{ext}"
    return (_cut(stem, budget) or "_") + ext


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the character before it (a mark, a joiner, a variation
    selector, a skin-tone modifier): a cut must not fall just before it."""
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char in _KEEP_FORMAT
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or "\U000e0020" <= char <= "\U000e007f"
    )


def _cut(text: str, max_bytes: int) -> str:
    if len(text.encode()) <= max_bytes:
        return _trim(text)
    end = len(text.encode()[:max_bytes].decode("utf-8", "ignore"))
    while end > 0 and (_extends(text[end]) or text[end - 1] in _KEEP_FORMAT):
        end -= 1
    cut = text[:end]
    space = cut.rfind(" ")
    if space > 0 and len(cut) - space <= _WORD_BOUNDARY_SLACK:
        cut = cut[:space]
    return _trim(cut)


def sanitize_parts(parts: Sequence[str], options: SanitizeOptions | None = None) -> tuple[str, ...]:
    """Sanitize the components of a relative path: folders, then a file name (whose
    extension is kept)."""
    options = options or SanitizeOptions()
    last = len(parts) - 1
    return tuple(
        sanitize_name(part, options, keep_extension=index == last)
        for index, part in enumerate(parts)
    )


def fit_path(
    root: str, parts: Sequence[str], options: SanitizeOptions | None = None
) -> tuple[str, ...]:
    """``parts`` shortened so that ``root/parts...`` stays within
    ``options.max_path_chars`` (unchanged when that is ``None``): the file name is cut
    first (keeping its extension and mix name), then the folders.

    Raises:
        UnsafeTargetError: even names of a few characters do not fit under ``root``.
    """
    options = options or SanitizeOptions()
    limit = options.max_path_chars
    if limit is None:
        return tuple(parts)
    fitted = list(parts)

    def excess() -> int:
        return len(os.path.join(root, *fitted)) - limit

    last = len(fitted) - 1
    # The file name first, down to a readable length; then the folders, deepest first;
    # then the file name again, down to its extension and a few characters.
    passes = [(last, _READABLE_NAME), *((i, _SHORT_FOLDER) for i in range(last - 1, -1, -1))]
    passes.append((last, _SHORT_FOLDER))
    for index, floor in passes:
        over = excess()
        if over <= 0:
            break
        name = fitted[index]
        keep = max(len(name) - over, min(floor, len(name)))
        if keep < len(name):
            fitted[index] = _truncate_chars(name, keep, keep_extension=index == last)
    if excess() > 0:
        raise UnsafeTargetError(
            f"no name fits within {limit} characters under {root!r}: the folder is too deep"
        )
    return tuple(fitted)


def _truncate_chars(name: str, max_chars: int, *, keep_extension: bool) -> str:
    # A character budget as a byte budget: shrink the bytes until the characters fit.
    max_bytes = min(len(name.encode()), MAX_NAME_BYTES)
    result = truncate_name(name, max_bytes, keep_extension=keep_extension)
    while len(result) > max_chars and max_bytes > 1:
        max_bytes -= max(1, len(result[max_chars:].encode()))
        result = truncate_name(name, max(max_bytes, 1), keep_extension=keep_extension)
    return result
