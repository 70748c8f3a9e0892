"""File events as scanners and watchers produce them, and the problems they report.

A :class:`LibraryEvent` is a contract (:class:`~tracktion.contracts.FileDiscoveredEvent`
or :class:`~tracktion.contracts.FileLifecycleEvent`) with what travels beside it:

* ``message_id``, derived from the event's content, path and file state (never from
  the clock or the watcher), so that two watchers of one folder, or one watcher
  restarted mid-scan, publish the same id for the same observation and idempotent
  consumers apply it once;
* ``mtime_ns``, the file's modification time (the contract has no field for it), which
  the catalog keeps so that a rescan can skip unchanged files. On the bus it travels in
  the :data:`MTIME_HEADER` header.

A file's *lifecycle* (created, modified, moved..., deleted) shares one
``correlation_id``: :func:`lifecycle_id` of the path and content it started with.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tracktion.contracts import (
    FileDiscoveredEvent,
    FileEventType,
    FileInfo,
    FileLifecycleEvent,
)

from ..formats import AudioFormat
from ..hashing import FileDigest

__all__ = [
    "MTIME_HEADER",
    "FileContract",
    "LibraryEvent",
    "ProblemKind",
    "ScanProblem",
    "discovered_event",
    "lifecycle_event",
    "lifecycle_id",
    "mtime_from_headers",
]

MTIME_HEADER = "x-tracktion-mtime-ns"
"""The bus header with the file's ``st_mtime_ns`` (nanoseconds since the Unix epoch)."""

_NAMESPACE = uuid.UUID("5b0f6c2e-8d1a-4f47-9a53-7f0e2c6d9b11")

FileContract = FileDiscoveredEvent | FileLifecycleEvent
"""The two file event contracts."""


class ProblemKind(StrEnum):
    """Why a path could not be cataloged (none of these stops a scan or a watcher)."""

    ROOT_MISSING = "root_missing"
    """A library root does not exist or is not a folder."""
    UNREADABLE = "unreadable"
    """A file or folder cannot be read (permissions, I/O error)."""
    VANISHED = "vanished"
    """The file disappeared between being listed and being hashed."""
    CHANGING = "changing"
    """The file changed size while being hashed (still being written)."""
    SYMLINK_LOOP = "symlink_loop"
    """A symbolic link leads back to a folder already being scanned."""
    BROKEN_SYMLINK = "broken_symlink"
    """A symbolic link points to nothing."""


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """A path the scanner or watcher had to leave out, and why (also logged)."""

    kind: ProblemKind
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: ``{"problem": kind, "path": ..., "message": ...}``."""
        return {"problem": self.kind.value, "path": self.path, "message": self.message}


@dataclass(frozen=True, slots=True)
class LibraryEvent:
    """A file event with its idempotency key and the file's modification time."""

    message: FileContract
    message_id: str
    mtime_ns: int | None
    """``st_mtime_ns`` of the file; ``None`` for deletions."""

    @property
    def kind(self) -> str:
        """``discovered``, ``created``, ``modified``, ``deleted``, ``moved`` or ``renamed``."""
        if isinstance(self.message, FileDiscoveredEvent):
            return "discovered"
        return self.message.event_type.value

    @property
    def routing_key(self) -> str:
        """``file.<kind>``."""
        return f"file.{self.kind}"

    @property
    def path(self) -> str:
        """The file's (new) path."""
        if isinstance(self.message, FileDiscoveredEvent):
            return self.message.file_info.path
        return self.message.file_path

    @property
    def old_path(self) -> str | None:
        """The path a moved or renamed file came from."""
        return None if isinstance(self.message, FileDiscoveredEvent) else self.message.old_path

    @property
    def root(self) -> str:
        """The library root (``watched_directory``)."""
        return self.message.watched_directory

    @property
    def size_bytes(self) -> int | None:
        """The file's size (``None`` for deletions)."""
        if isinstance(self.message, FileDiscoveredEvent):
            return self.message.file_info.size_bytes
        return self.message.size_bytes

    @property
    def sha256(self) -> str | None:
        """The content's SHA-256 (``None`` for deletions)."""
        if isinstance(self.message, FileDiscoveredEvent):
            return self.message.file_info.sha256_hash
        return self.message.sha256_hash

    @property
    def xxh128(self) -> str | None:
        """The content's XXH3-128 (``None`` for deletions)."""
        if isinstance(self.message, FileDiscoveredEvent):
            return self.message.file_info.xxh128_hash
        return self.message.xxh128_hash

    def headers(self) -> dict[str, int]:
        """The bus headers to publish the event with."""
        return {} if self.mtime_ns is None else {MTIME_HEADER: self.mtime_ns}

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data: routing key, message id, mtime and the message."""
        return {
            "routing_key": self.routing_key,
            "message_id": self.message_id,
            "mtime_ns": self.mtime_ns,
            "message": self.message.to_dict(),
        }


def lifecycle_id(path: str, sha256: str) -> uuid.UUID:
    """The ``correlation_id`` of a file's lifecycle that starts at ``path`` with content
    ``sha256``: the same in every watcher that sees it start."""
    return uuid.uuid5(_NAMESPACE, f"lifecycle\0{path}\0{sha256}")


def _message_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\0".join(str(part) for part in parts)))


def discovered_event(
    *,
    path: str,
    root: str,
    fmt: AudioFormat,
    digest: FileDigest,
    mtime_ns: int,
    ctime_ns: int,
    at: datetime,
    instance_id: str,
    correlation_id: uuid.UUID | None = None,
) -> LibraryEvent:
    """A ``file.discovered`` event for a file found by a scan.

    ``ctime_ns`` (``st_ctime_ns``) enters the message id only: a file deleted and written
    again with the same bytes and mtime is a new state, not a redelivery.
    """
    message = FileDiscoveredEvent(
        correlation_id=correlation_id or lifecycle_id(path, digest.sha256),
        timestamp=at,
        file_info=FileInfo(
            path=path,
            extension=os.path.splitext(path)[1],
            size_bytes=digest.size_bytes,
            sha256_hash=digest.sha256,
            xxh128_hash=digest.xxh128,
        ),
        file_type=fmt.file_type,
        instance_id=instance_id,
        watched_directory=root,
        format_family=fmt.format_family,
    )
    key = _message_id("present", path, digest.sha256, digest.size_bytes, mtime_ns, ctime_ns)
    return LibraryEvent(message, key, mtime_ns)


def lifecycle_event(
    kind: FileEventType,
    *,
    path: str,
    root: str,
    fmt: AudioFormat,
    at: datetime,
    instance_id: str,
    correlation_id: uuid.UUID,
    digest: FileDigest | None = None,
    mtime_ns: int | None = None,
    ctime_ns: int | None = None,
    old_path: str | None = None,
) -> LibraryEvent:
    """A ``file.<kind>`` event. ``digest``, ``mtime_ns`` and ``ctime_ns`` are required for
    every kind but ``deleted``, where they describe the state last seen (if known);
    ``old_path`` is required for ``moved`` and ``renamed``.

    Raises:
        ContractValidationError: a required field is missing (the contract's rules).
    """
    message = FileLifecycleEvent.parse(
        {
            "correlation_id": str(correlation_id),
            "timestamp": at.isoformat(),
            "event_type": kind.value,
            "file_path": path,
            "old_path": old_path,
            "size_bytes": None
            if kind is FileEventType.DELETED or not digest
            else digest.size_bytes,
            "sha256_hash": None if kind is FileEventType.DELETED or not digest else digest.sha256,
            "xxh128_hash": None if kind is FileEventType.DELETED or not digest else digest.xxh128,
            "file_type": fmt.file_type,
            "instance_id": instance_id,
            "watched_directory": root,
        }
    )
    sha = digest.sha256 if digest else ""
    if kind is FileEventType.DELETED:
        # Without the state that was deleted, only the time tells two deletions apart.
        state = (mtime_ns, ctime_ns) if mtime_ns is not None else (at.isoformat(),)
        key = _message_id("deleted", path, sha, *state)
        return LibraryEvent(message, key, None)
    assert digest is not None  # the contract requires it for every other kind
    if mtime_ns is None:
        raise ValueError(f"mtime_ns is required for a {kind.value} event of {path}")
    if old_path is not None:
        key = _message_id("moved", old_path, path, sha, digest.size_bytes, mtime_ns, ctime_ns)
    else:
        key = _message_id("present", path, sha, digest.size_bytes, mtime_ns, ctime_ns)
    return LibraryEvent(message, key, mtime_ns)


def mtime_from_headers(headers: Mapping[str, object]) -> int | None:
    """The file's ``st_mtime_ns`` from bus headers, or ``None`` when absent or malformed."""
    value = headers.get(MTIME_HEADER)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value
