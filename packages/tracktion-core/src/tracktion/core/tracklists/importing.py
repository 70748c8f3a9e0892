"""One entry point for every tracklist source: a file of any supported kind, or a URL.

The kind is told by the file's extension (``.cue``, ``.m3u``/``.m3u8``, ``.json``,
``.html``/``.htm``, ``.txt``), else by its content (``#EXTM3U``, a ``TRACK``/``FILE``
command, ``<html``, a JSON object), else it is read as plain text.
"""

from __future__ import annotations

import json
import os
import re
from enum import StrEnum
from pathlib import Path

from .errors import TracklistFormatError
from .fetch import TracklistFetcher
from .html1001 import parse_1001_page
from .m3u import parse_m3u
from .model import ImportResult, Tracklist
from .text import parse_text

__all__ = ["SourceKind", "detect_kind", "import_source", "import_tracklist", "read_tracklist"]

_MAX_FILE_BYTES = 16 * 1024 * 1024
_CUE_RE = re.compile(r"^\s*(TRACK\s+\d+\s+\w+|FILE\s+\S)", re.IGNORECASE | re.MULTILINE)


class SourceKind(StrEnum):
    """The formats a tracklist is read from."""

    TEXT = "text"
    CUE = "cue"
    M3U = "m3u"
    JSON = "json"
    HTML = "1001tracklists"


_BY_SUFFIX = {
    ".txt": SourceKind.TEXT,
    ".cue": SourceKind.CUE,
    ".m3u": SourceKind.M3U,
    ".m3u8": SourceKind.M3U,
    ".json": SourceKind.JSON,
    ".html": SourceKind.HTML,
    ".htm": SourceKind.HTML,
}


def detect_kind(source: str, data: bytes) -> SourceKind:
    """The kind of ``data`` named ``source``: by extension, else by content."""
    by_suffix = _BY_SUFFIX.get(Path(source).suffix.lower())
    if by_suffix is not None:
        return by_suffix
    head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith("#EXTM3U"):
        return SourceKind.M3U
    if head[:1] == "{":
        return SourceKind.JSON
    if head[:200].lower().startswith(("<!doctype html", "<html")):
        return SourceKind.HTML
    if _CUE_RE.search(head):
        return SourceKind.CUE
    return SourceKind.TEXT


def import_tracklist(data: bytes, *, source: str, kind: SourceKind | None = None) -> ImportResult:
    """Read a tracklist of ``kind`` (detected when ``None``) from ``data``.

    Raises:
        TracklistFormatError: the data is not a tracklist of that kind; the message names
            ``source`` and, where it has one, the line.
        TracklistBlockedError: a saved page is a captcha page.
    """
    kind = kind or detect_kind(source, data)
    if kind is SourceKind.TEXT:
        return parse_text(data, source=source)
    if kind is SourceKind.M3U:
        return parse_m3u(data, source=source)
    if kind is SourceKind.HTML:
        return parse_1001_page(data, url=source)
    if kind is SourceKind.CUE:
        from .cuesheet import parse_cue_tracklist

        return parse_cue_tracklist(data, source=source)
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TracklistFormatError(source, f"not JSON: {exc}") from None
    return ImportResult(Tracklist.from_dict(document, source=source))


def read_tracklist(path: str | os.PathLike[str], *, kind: SourceKind | None = None) -> ImportResult:
    """Read the tracklist file at ``path`` (at most 16 MiB).

    Raises:
        TracklistFormatError: the file is missing, unreadable, too large, or not a
            tracklist (see :func:`import_tracklist`).
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            data = file.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise TracklistFormatError(name, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise TracklistFormatError(name, f"larger than {_MAX_FILE_BYTES} bytes: no tracklist")
    return import_tracklist(data, source=name, kind=kind)


async def import_source(source: str, *, fetcher: TracklistFetcher | None = None) -> ImportResult:
    """Read a tracklist from a path, or from an http(s) URL with ``fetcher``.

    Raises:
        TracklistFormatError: see :func:`read_tracklist`; also a URL without a fetcher.
        TracklistFetchError, TracklistBlockedError, TracklistPageError: for URLs.
    """
    if source.startswith(("http://", "https://")):
        if fetcher is None:
            raise TracklistFormatError(source, "fetching a URL needs a fetcher (a page cache)")
        return await fetcher.import_url(source)
    return read_tracklist(source)
