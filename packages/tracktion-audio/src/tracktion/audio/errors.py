"""Errors of tracktion.audio: every one names the input and carries a stable code."""

from __future__ import annotations

from enum import StrEnum

from tracktion.contracts import TracktionError

__all__ = ["AudioError", "ErrorCode"]


class ErrorCode(StrEnum):
    """Why a file could not be read or analyzed (stable: shown in ``--json`` output)."""

    NOT_FOUND = "not_found"
    """The path does not exist or is not a regular file."""
    UNREADABLE = "unreadable"
    """The file exists but cannot be opened (permissions, I/O error)."""
    EMPTY_FILE = "empty_file"
    """The file has zero bytes."""
    NOT_AUDIO = "not_audio"
    """No decoder recognizes the content (e.g. text with an audio extension)."""
    CORRUPT = "corrupt"
    """The audio stream is damaged or truncated beyond what can be decoded."""
    UNSUPPORTED = "unsupported"
    """The format is recognized but no available decoder reads it."""
    TOO_SHORT = "too_short"
    """Too little audio for the requested feature."""
    TAG_WRITE_FAILED = "tag_write_failed"
    """Tags could not be written; the original file is untouched."""
    ANALYSIS_FAILED = "analysis_failed"
    """An unexpected failure inside an analysis step (a bug: please report it)."""


class AudioError(TracktionError):
    """A file could not be decoded, analyzed or tagged.

    Attributes:
        code: Why, as a stable :class:`ErrorCode`.
        path: The input it concerns (a path, or ``None`` for an in-memory signal).
    """

    def __init__(self, code: ErrorCode, message: str, path: str | None = None) -> None:
        self.code = code
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)
        self.detail = message
