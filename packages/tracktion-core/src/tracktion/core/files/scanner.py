"""Scanning library roots: list, skip what is unchanged, hash the rest, name the events.

::

    scanner = LibraryScanner(["/music"], known=store, options=ScanOptions(instance_id="w1"))
    async for item in scanner.scan():
        ...  # a LibraryEvent to publish, or a ScanProblem to report
    print(scanner.stats)

Against what the catalog knows (``known``: its :meth:`scan_state` of each root):

* a file whose size and mtime are unchanged is not read at all (``skipped_unchanged``);
* a new path is hashed; if its content is that of a known path which is gone, the file
  was moved or renamed while nobody watched (``file.moved`` / ``file.renamed``), else it
  is ``file.discovered``;
* a known path with another size or mtime is hashed again: ``file.modified``;
* a known path that is gone (and not moved) is ``file.deleted``. Nothing under a root
  that is missing, or under a folder that cannot be listed, is taken for deleted.

Hashing (:func:`~tracktion.core.hashing.hash_file`, one read for SHA-256 and XXH3-128)
runs in a pool of threads, in batches, so that small files do not pay a thread hop each.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from tracktion.contracts import FileEventType, TracktionError

from ..catalog import FileMove, FileRecord, ScanEntry
from ..formats import audio_format
from ..hashing import FileDigest, HashingError, hash_file
from .events import (
    LibraryEvent,
    ProblemKind,
    ScanProblem,
    discovered_event,
    lifecycle_event,
    lifecycle_id,
)
from .ignore import IgnoreRules
from .walk import FileStat, walk

__all__ = [
    "KnownFiles",
    "LibraryScanner",
    "ScanError",
    "ScanOptions",
    "ScanStats",
    "TrackedFile",
    "hash_files",
    "hash_problem",
    "normalize_roots",
    "recover_correlation",
]

log = logging.getLogger("tracktion.files")

_BATCH_FILES = 64
_BATCH_BYTES = 32 << 20


class ScanError(TracktionError, ValueError):
    """The roots given to a scanner or watcher are unusable (the message names them).

    Also a ``ValueError`` (a bad argument): callers catch it as one."""


class KnownFiles(Protocol):
    """What a scanner reads from the catalog (a :class:`~tracktion.core.catalog.CatalogStore`
    is one)."""

    async def scan_state(self, root: str) -> dict[str, ScanEntry]: ...

    async def get_file(self, path: str, *, include_deleted: bool = False) -> FileRecord | None: ...

    async def file_moves(self, file_id: UUID) -> list[FileMove]: ...


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How to scan.

    Attributes:
        instance_id: The ``instance_id`` of the events (the watcher's identity).
        ignore: What to leave out (hidden files, temp files, user globs).
        hash_workers: Threads hashing at once (1-64).
    """

    instance_id: str = "scanner"
    ignore: IgnoreRules = field(default_factory=IgnoreRules)
    hash_workers: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.hash_workers <= 64:
            raise ValueError(f"hash_workers must be in 1..64, not {self.hash_workers}")


@dataclass(slots=True)
class ScanStats:
    """Counts of one scan; ``seconds`` is its wall-clock duration."""

    files: int = 0
    bytes: int = 0
    hashed: int = 0
    skipped_unchanged: int = 0
    ignored: int = 0
    errors: int = 0
    events: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, int | float]:
        """JSON-ready counts."""
        return asdict(self)


@dataclass(slots=True)
class TrackedFile:
    """What a watcher remembers of a path: its state, content (when read) and lifecycle."""

    root: str
    size_bytes: int
    mtime_ns: int
    ctime_ns: int | None = None
    sha256: str | None = None
    xxh128: str | None = None
    correlation_id: UUID | None = None


def normalize_roots(roots: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    """Absolute, normalized, distinct roots. Raises :class:`ScanError` when none is given or
    one contains another (its files would belong to two roots)."""
    normalized: list[str] = []
    for root in roots:
        path = os.path.abspath(os.fspath(root))
        if path not in normalized:
            normalized.append(path)
    if not normalized:
        raise ScanError("at least one library root is needed")
    for outer in normalized:
        for inner in normalized:
            if inner != outer and inner.startswith(outer.rstrip(os.sep) + os.sep):
                raise ScanError(f"library root {inner} is inside library root {outer}")
    return tuple(normalized)


def hash_problem(path: str, error: HashingError) -> ScanProblem:
    """The problem a :class:`HashingError` stands for."""
    if error.errno == errno.ENOENT:
        return ScanProblem(ProblemKind.VANISHED, path, str(error))
    if "changed size" in str(error):
        return ScanProblem(ProblemKind.CHANGING, path, str(error))
    return ScanProblem(ProblemKind.UNREADABLE, path, str(error))


async def recover_correlation(known: KnownFiles | None, record: FileRecord) -> UUID:
    """The lifecycle id of a cataloged file: from the path it was first seen at (its move
    history) and its content. A file modified before the watcher restarted gets a new id."""
    if known is None:
        return lifecycle_id(record.path, record.sha256)
    moves = await known.file_moves(record.id)
    return lifecycle_id(moves[0].old_path if moves else record.path, record.sha256)


def _hash_batch(batch: Sequence[FileStat]) -> list[FileDigest | ScanProblem]:
    results: list[FileDigest | ScanProblem] = []
    for item in batch:
        try:
            digest = hash_file(item.path)
            after = os.stat(item.path)
        except HashingError as exc:
            results.append(hash_problem(item.path, exc))
            continue
        except FileNotFoundError:
            results.append(
                ScanProblem(ProblemKind.VANISHED, item.path, f"{item.path}: vanished while hashed")
            )
            continue
        except OSError as exc:
            results.append(
                ScanProblem(ProblemKind.UNREADABLE, item.path, f"{item.path}: {exc.strerror}")
            )
            continue
        if (after.st_size, after.st_mtime_ns) != (item.size_bytes, item.mtime_ns):
            results.append(
                ScanProblem(
                    ProblemKind.CHANGING, item.path, f"{item.path}: changed while being hashed"
                )
            )
            continue
        results.append(digest)
    return results


def _batches(files: Sequence[FileStat]) -> Iterable[list[FileStat]]:
    batch: list[FileStat] = []
    size = 0
    for item in files:
        if batch and (len(batch) >= _BATCH_FILES or size + item.size_bytes > _BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size_bytes
    if batch:
        yield batch


async def hash_files(
    files: Sequence[FileStat], pool: ThreadPoolExecutor, workers: int
) -> AsyncIterator[tuple[FileStat, FileDigest | ScanProblem]]:
    """Hash ``files`` in batches on ``pool``, ``2 * workers`` batches in flight, and yield
    each file with its digest or problem, in input order."""
    loop = asyncio.get_running_loop()
    pending: deque[tuple[list[FileStat], asyncio.Future[list[FileDigest | ScanProblem]]]] = deque()
    batches = iter(_batches(files))
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < 2 * workers:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                pending.append((batch, loop.run_in_executor(pool, _hash_batch, batch)))
            if not pending:
                return
            batch, future = pending.popleft()
            for item, outcome in zip(batch, await future, strict=True):
                yield item, outcome
    finally:
        for _, future in pending:
            future.cancel()


class LibraryScanner:
    """One scan of library roots against what the catalog knows (see the module docs).

    Attributes:
        roots: The normalized roots.
        stats: Counts, updated as the scan goes.
        tracked: Every file found, by path, with its state: what a watcher continues from.
    """

    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]],
        *,
        known: KnownFiles | None = None,
        options: ScanOptions | None = None,
    ) -> None:
        """Raises :class:`ScanError` for no roots or nested roots."""
        self.roots = normalize_roots(roots)
        self.known = known
        self.options = options or ScanOptions()
        self.stats = ScanStats()
        self.tracked: dict[str, TrackedFile] = {}

    async def scan(self) -> AsyncIterator[LibraryEvent | ScanProblem]:
        """Scan every root once; yield events and problems as they are found.

        Raises only for failures of the catalog (``BackendError``); file-system problems
        are yielded (and logged) instead.
        """
        started = time.perf_counter()
        options = self.options
        fresh: list[FileStat] = []
        changed: list[FileStat] = []
        known_roots: dict[str, dict[str, ScanEntry]] = {}
        protected: list[str] = []
        for root in self.roots:
            if not os.path.isdir(root):
                yield self._problem(
                    ScanProblem(
                        ProblemKind.ROOT_MISSING, root, f"{root}: library root is not a folder"
                    )
                )
                continue
            state = await self.known.scan_state(root) if self.known is not None else {}
            known_roots[root] = state
            found = await asyncio.to_thread(walk, root, rules=options.ignore)
            self.stats.ignored += found.ignored
            protected.extend(found.unreadable)
            for problem in found.problems:
                yield self._problem(problem)
            for item in found.files:
                self.stats.files += 1
                self.stats.bytes += item.size_bytes
                entry = state.pop(item.path, None)
                self.tracked[item.path] = TrackedFile(
                    root, item.size_bytes, item.mtime_ns, item.ctime_ns
                )
                if entry is None:
                    fresh.append(item)
                elif entry == (item.size_bytes, item.mtime_ns):
                    self.stats.skipped_unchanged += 1
                else:
                    changed.append(item)
        changed_paths = {item.path for item in changed}
        gone = await self._vanished(known_roots, protected)
        by_content: dict[str, list[FileRecord]] = {}
        for record in gone:
            by_content.setdefault(record.sha256, []).append(record)
        with ThreadPoolExecutor(options.hash_workers, thread_name_prefix="hash") as pool:
            async for item, outcome in hash_files([*changed, *fresh], pool, options.hash_workers):
                if isinstance(outcome, ScanProblem):
                    self.tracked.pop(item.path, None)
                    yield self._problem(outcome)
                    continue
                self.stats.hashed += 1
                known = item.path in changed_paths
                yield self._emit(await self._hashed(item, outcome, by_content, known=known))
        for records in by_content.values():
            for record in records:
                yield self._emit(await self._deleted(record))
        self.stats.seconds = time.perf_counter() - started

    async def _vanished(
        self, known_roots: dict[str, dict[str, ScanEntry]], protected: list[str]
    ) -> list[FileRecord]:
        prefixes = tuple(directory.rstrip(os.sep) + os.sep for directory in protected)
        records: list[FileRecord] = []
        for root, leftover in known_roots.items():
            for path in leftover:
                if path.startswith(prefixes) or self.known is None:
                    continue
                if self.options.ignore.is_ignored(os.path.relpath(path, root)):
                    continue  # ignored since it was cataloged: leave it to the user
                record = await self.known.get_file(path)
                if record is not None:
                    records.append(record)
        return records

    async def _hashed(
        self,
        item: FileStat,
        digest: FileDigest,
        by_content: dict[str, list[FileRecord]],
        *,
        known: bool,
    ) -> LibraryEvent:
        tracked = self.tracked[item.path]
        tracked.sha256, tracked.xxh128 = digest.sha256, digest.xxh128
        at = datetime.fromtimestamp(item.seen_at, UTC)
        kind: FileEventType | None = None
        old_path = None
        if known and self.known is not None and (record := await self.known.get_file(item.path)):
            kind = FileEventType.MODIFIED
            tracked.correlation_id = await recover_correlation(self.known, record)
        elif candidates := by_content.get(digest.sha256):
            source = _closest(candidates, item.path)
            candidates.remove(source)
            old_path = source.path
            tracked.correlation_id = await recover_correlation(self.known, source)
            same_folder = os.path.dirname(source.path) == os.path.dirname(item.path)
            kind = FileEventType.RENAMED if same_folder else FileEventType.MOVED
        else:
            tracked.correlation_id = lifecycle_id(item.path, digest.sha256)
        if kind is None:
            return discovered_event(
                path=item.path,
                root=tracked.root,
                fmt=item.fmt,
                digest=digest,
                mtime_ns=item.mtime_ns,
                ctime_ns=item.ctime_ns,
                at=at,
                instance_id=self.options.instance_id,
                correlation_id=tracked.correlation_id,
            )
        return lifecycle_event(
            kind,
            path=item.path,
            root=tracked.root,
            fmt=item.fmt,
            digest=digest,
            mtime_ns=item.mtime_ns,
            ctime_ns=item.ctime_ns,
            at=at,
            instance_id=self.options.instance_id,
            correlation_id=tracked.correlation_id,
            old_path=old_path,
        )

    async def _deleted(self, record: FileRecord) -> LibraryEvent:
        fmt = audio_format(record.path)
        assert fmt is not None, "the catalog holds audio files only"
        return lifecycle_event(
            FileEventType.DELETED,
            path=record.path,
            root=record.root,
            fmt=fmt,
            at=datetime.now(UTC),
            instance_id=self.options.instance_id,
            correlation_id=await recover_correlation(self.known, record),
            digest=FileDigest(record.sha256, record.xxh128, record.size_bytes),
            mtime_ns=record.mtime_ns,
        )

    def _emit(self, event: LibraryEvent) -> LibraryEvent:
        self.stats.events += 1
        return event

    def _problem(self, problem: ScanProblem) -> ScanProblem:
        self.stats.errors += 1
        log.warning("%s (%s)", problem.message, problem.kind.value)
        return problem


def _closest(candidates: list[FileRecord], path: str) -> FileRecord:
    """The vanished copy most likely to be the one moved to ``path``: same name, then same
    folder, then the first."""
    name, folder = os.path.basename(path), os.path.dirname(path)
    for candidate in candidates:
        if os.path.basename(candidate.path) == name:
            return candidate
    for candidate in candidates:
        if os.path.dirname(candidate.path) == folder:
            return candidate
    return candidates[0]
