"""Bytes to text for the line-based importers, refusing binary data and empty input."""

from __future__ import annotations

from .errors import TracklistFormatError

__all__ = ["decode_text"]

_SNIFF_BYTES = 8192
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_RATIO = 0.01


def decode_text(data: str | bytes, source: str) -> str:
    """The text of ``data``: UTF-8 (with or without BOM), else Windows-1252.

    Raises:
        TracklistFormatError: ``data`` is empty or blank, or binary (NUL bytes, or more
            than 1 % control characters); the message names ``source``.
    """
    if isinstance(data, bytes):
        nul = data.find(b"\x00", 0, _SNIFF_BYTES)
        if nul >= 0:
            raise TracklistFormatError(
                source, f"binary data, not a text tracklist (NUL byte at offset {nul})"
            )
        raw = data.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    else:
        text = data.removeprefix("\ufeff")
    if not text.strip():
        raise TracklistFormatError(source, "empty input: no tracks")
    sample = text[:_SNIFF_BYTES]
    if "\x00" in sample:
        raise TracklistFormatError(source, "binary data, not a text tracklist (NUL character)")
    controls = sum(1 for char in sample if ord(char) < 32 and char not in _ALLOWED_CONTROLS)
    if controls > max(1, len(sample) * _MAX_CONTROL_RATIO):
        raise TracklistFormatError(
            source, f"binary data, not a text tracklist ({controls} control characters)"
        )
    return text
