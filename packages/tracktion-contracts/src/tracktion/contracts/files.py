"""File events published by the watcher on the ``file_events`` exchange."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self

from pydantic import StringConstraints, model_validator

from ._base import Contract, Part
from ._types import (
    Identifier,
    Lax,
    NonEmptyPath,
    NonNegativeInt,
    Sha256Hex,
    Timestamp,
    Uuid,
    Xxh128Hex,
)

__all__ = [
    "FileDiscoveredEvent",
    "FileEventType",
    "FileInfo",
    "FileLifecycleEvent",
]

FormatToken = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_+-]{0,31}$")]
"""A lower-case format name such as ``mp3``, ``flac`` or ``mp4``."""

Extension = Annotated[str, StringConstraints(pattern=r"^\.[A-Za-z0-9]{1,16}$")]
"""A file-name extension with its leading dot, such as ``.mp3``."""


class FileEventType(StrEnum):
    """What happened to a file after the initial scan (``file.<value>`` routing keys)."""

    CREATED = "created"
    MODIFIED = "modified"
    DELETED = "deleted"
    MOVED = "moved"
    RENAMED = "renamed"


class FileInfo(Part):
    """A discovered file: where it is, how big, and its content hashes."""

    path: NonEmptyPath
    extension: Extension
    size_bytes: NonNegativeInt
    sha256_hash: Sha256Hex
    xxh128_hash: Xxh128Hex


class FileDiscoveredEvent(Contract):
    """A file found by a watcher's initial scan of a library root (``file.discovered``)."""

    MESSAGE_TYPE: ClassVar[str] = "file_discovered"

    correlation_id: Uuid
    """Identifies this file's lifecycle; every later event for the file carries it."""
    timestamp: Timestamp
    event_type: Literal["file_discovered"] = "file_discovered"
    file_info: FileInfo
    file_type: FormatToken
    instance_id: Identifier
    """The watcher instance that saw the file."""
    watched_directory: NonEmptyPath
    """The library root being scanned."""
    format_family: FormatToken
    """The container family (``mp4`` for ``.m4a``, ``ogg`` for ``.oga``/``.opus``...)."""


class FileLifecycleEvent(Contract):
    """A change to a file after the initial scan (``file.created`` ... ``file.renamed``).

    ``old_path`` is required for ``moved`` and ``renamed``. The size and both hashes are
    required for every event but ``deleted``, whose file can no longer be read.
    """

    MESSAGE_TYPE: ClassVar[str] = "file_lifecycle"

    correlation_id: Uuid
    timestamp: Timestamp
    event_type: Annotated[FileEventType, Lax]
    file_path: NonEmptyPath
    old_path: NonEmptyPath | None = None
    size_bytes: NonNegativeInt | None = None
    sha256_hash: Sha256Hex | None = None
    xxh128_hash: Xxh128Hex | None = None
    file_type: FormatToken
    instance_id: Identifier
    watched_directory: NonEmptyPath

    @property
    def routing_key(self) -> str:
        """``file.<event_type>``, the key this event is published with."""
        return f"file.{self.event_type.value}"

    @model_validator(mode="after")
    def _check_event_fields(self) -> Self:
        if self.event_type in (FileEventType.MOVED, FileEventType.RENAMED):
            if self.old_path is None:
                raise ValueError(f"old_path is required for a {self.event_type.value} event")
            if self.old_path == self.file_path:
                raise ValueError("old_path and file_path must differ")
        if self.event_type is not FileEventType.DELETED:
            absent = [
                name
                for name in ("size_bytes", "sha256_hash", "xxh128_hash")
                if getattr(self, name) is None
            ]
            if absent:
                raise ValueError(
                    f"{', '.join(absent)} required for a {self.event_type.value} event"
                )
        return self
