"""Listing the audio files under a folder: ``os.scandir`` with ignore rules, one stat each.

Runs in a worker thread (it blocks). Symbolic links to folders are followed unless they
lead back to a folder already listed (a loop, reported); unreadable folders are
reported and remembered, so that their files are not mistaken for deleted ones.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..formats import AudioFormat, audio_format
from .events import ProblemKind, ScanProblem
from .ignore import IgnoreRules

__all__ = ["FileStat", "WalkResult", "stat_file", "walk"]


@dataclass(frozen=True, slots=True)
class FileStat:
    """An audio file as listed: its path, format and ``os.stat`` figures."""

    path: str
    fmt: AudioFormat
    size_bytes: int
    mtime_ns: int
    ctime_ns: int
    seen_at: float
    """When it was stat'ed (seconds since the epoch, ``time.time()``)."""


@dataclass(slots=True)
class WalkResult:
    """What :func:`walk` found."""

    files: list[FileStat] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    ignored: int = 0
    unreadable: list[str] = field(default_factory=list)
    """Folders that could not be listed: what was known under them is not deleted."""


def stat_file(path: str) -> FileStat | ScanProblem | None:
    """The :class:`FileStat` of one path, a problem, or ``None`` when it is not an audio
    file (unsupported extension, a folder)."""
    fmt = audio_format(path)
    if fmt is None:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return ScanProblem(ProblemKind.BROKEN_SYMLINK, path, f"{path}: broken symbolic link")
        return ScanProblem(ProblemKind.VANISHED, path, f"{path}: vanished before it was read")
    except OSError as exc:
        return ScanProblem(ProblemKind.UNREADABLE, path, f"{path}: cannot be read: {exc.strerror}")
    if not _is_regular(st.st_mode):
        return None
    return FileStat(path, fmt, st.st_size, st.st_mtime_ns, st.st_ctime_ns, time.time())


def _is_regular(mode: int) -> bool:
    return (mode & 0o170000) == 0o100000


def walk(root: str, start: str | None = None, *, rules: IgnoreRules) -> WalkResult:
    """Every audio file under ``start`` (default: ``root``), ``root`` being the library
    root the ignore rules are relative to. Never raises for a file or folder it cannot
    read: those become problems."""
    result = WalkResult()
    top = start or root
    visited: set[tuple[int, int]] = set()
    try:
        st = os.stat(top)
        visited.add((st.st_dev, st.st_ino))
    except OSError as exc:
        result.problems.append(_unreadable(top, exc))
        result.unreadable.append(top)
        return result
    base = os.path.relpath(top, root).replace(os.sep, "/")
    stack: list[tuple[str, str]] = [(top, "" if base == "." else base)]
    while stack:
        directory, relative = stack.pop()
        for entry in _listing(directory, result):
            child = f"{relative}/{entry.name}" if relative else entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if _descend(entry, child, rules, visited, result):
                    stack.append((entry.path, child))
            else:
                _add_file(entry, child, rules, result)
    return result


def _unreadable(path: str, exc: OSError) -> ScanProblem:
    return ScanProblem(ProblemKind.UNREADABLE, path, f"{path}: cannot be read: {exc.strerror}")


def _listing(directory: str, result: WalkResult) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as listing:
            return list(listing)
    except FileNotFoundError:
        return []  # removed while being scanned: its files are gone
    except OSError as exc:
        result.problems.append(
            ScanProblem(
                ProblemKind.UNREADABLE,
                directory,
                f"{directory}: folder cannot be listed: {exc.strerror}",
            )
        )
        result.unreadable.append(directory)
        return []


def _descend(
    entry: os.DirEntry[str],
    relative: str,
    rules: IgnoreRules,
    visited: set[tuple[int, int]],
    result: WalkResult,
) -> bool:
    if rules.reason(relative) is not None:
        result.ignored += 1
        return False
    if entry.is_symlink():
        return _enter_link(entry.path, visited, result)
    try:
        own = entry.stat(follow_symlinks=False)
        visited.add((own.st_dev, own.st_ino))
    except OSError:
        pass  # listing it will report the problem
    return True


def _add_file(
    entry: os.DirEntry[str], relative: str, rules: IgnoreRules, result: WalkResult
) -> None:
    fmt = audio_format(entry.name)
    if fmt is None:
        return
    if rules.reason(relative) is not None:
        result.ignored += 1
        return
    seen_at = time.time()
    try:
        st = entry.stat()
    except FileNotFoundError:
        if entry.is_symlink():
            result.problems.append(
                ScanProblem(
                    ProblemKind.BROKEN_SYMLINK, entry.path, f"{entry.path}: broken symbolic link"
                )
            )
        return  # deleted between the listing and the stat: not there
    except OSError as exc:
        result.problems.append(_unreadable(entry.path, exc))
        return
    if _is_regular(st.st_mode):
        result.files.append(
            FileStat(entry.path, fmt, st.st_size, st.st_mtime_ns, st.st_ctime_ns, seen_at)
        )


def _enter_link(path: str, visited: set[tuple[int, int]], result: WalkResult) -> bool:
    """Whether to descend into the folder that the link ``path`` points to."""
    try:
        st = os.stat(path)
    except OSError as exc:
        result.problems.append(_unreadable(path, exc))
        return False
    key = (st.st_dev, st.st_ino)
    if key in visited:
        result.problems.append(
            ScanProblem(
                ProblemKind.SYMLINK_LOOP,
                path,
                f"{path}: symbolic link to {os.path.realpath(path)}, a folder already scanned",
            )
        )
        return False
    visited.add(key)
    return True
