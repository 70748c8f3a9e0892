"""Bytes to text for CUE sheets: byte order marks, UTF-16 without one, UTF-8, cp1252."""

from __future__ import annotations

import codecs

from .errors import CueParseError
from .issues import CueIssue, Severity

__all__ = ["MAX_SHEET_BYTES", "decode_sheet"]

MAX_SHEET_BYTES = 16 * 1024 * 1024
"""The largest input read as a CUE sheet (a 10,000-track sheet is under 2 MiB)."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters never found in text: their presence marks binary data.
_BINARY = frozenset(chr(code) for code in range(32)) - {"\t", "\n", "\r", "\x0c", "\x1a"}
_BINARY_SHARE = 0.02


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte of ``head`` is NUL (ASCII in UTF-16)."""
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    half = len(head) // 2
    if odd_nuls >= 0.9 * half and even_nuls == 0:
        return "utf-16-le"
    if even_nuls >= 0.9 * half and odd_nuls == 0:
        return "utf-16-be"
    return None


def decode_sheet(
    data: bytes, source: str, encoding: str | None = None
) -> tuple[str, str, list[CueIssue]]:
    """Decode a sheet: returns the text, the encoding used, and warnings about the bytes.

    Without ``encoding``: a byte order mark decides; else NUL-interleaved ASCII is
    UTF-16; else strict UTF-8; else cp1252 (Windows' Western code page, which CDRWIN-era
    tools wrote); else Latin-1, which reads any byte.

    Raises:
        CueParseError: the input is empty, larger than :data:`MAX_SHEET_BYTES`, binary, or
            not in the given ``encoding``.
    """
    if len(data) > MAX_SHEET_BYTES:
        raise CueParseError(
            source, f"is {len(data)} bytes; a CUE sheet is at most {MAX_SHEET_BYTES} bytes"
        )
    issues: list[CueIssue] = []
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise CueParseError(source, f"unknown text encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise CueParseError(
                source,
                f"is not {encoding}: {exc.reason} at byte offset {exc.start}",
                _line_at(data, exc.start),
            ) from None
        used = encoding
    else:
        text, used = _detect(data, source, issues)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CueParseError(source, "is empty; expected a CUE sheet")
    binary = sum(1 for char in text if char in _BINARY)
    if "\x00" in text or binary > _BINARY_SHARE * len(text):
        offset = next(i for i, char in enumerate(text) if char in _BINARY)
        raise CueParseError(
            source,
            f"holds binary data (control character {text[offset]!r}); not a CUE sheet",
            text.count("\n", 0, offset) + 1,
        )
    return text, used, issues


def _detect(data: bytes, source: str, issues: list[CueIssue]) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _lenient(data, codec, source, issues), codec
    guessed = _utf16_without_bom(data[:512])
    if guessed is not None:
        return _lenient(data, guessed, source, issues), guessed
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _lenient(data: bytes, codec: str, source: str, issues: list[CueIssue]) -> str:
    """Decode in a codec the byte order mark declared, replacing (and reporting) bad bytes."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        issues.append(
            CueIssue(
                "encoding",
                f"{source} declares {codec} but {exc.reason} at byte offset {exc.start}; "
                "replaced the bad bytes with U+FFFD",
                None,
                Severity.WARNING,
            )
        )
        return data.decode(codec, errors="replace")


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
