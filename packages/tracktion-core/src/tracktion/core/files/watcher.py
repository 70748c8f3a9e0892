"""Watching library roots: an initial scan, then live file events, each file once stable.

::

    watcher = LibraryWatcher(["/music"], emit=publish, known=store,
                             options=WatchOptions(ScanOptions(instance_id="w1")))
    await watcher.run()          # until cancelled

The watcher listens with ``watchfiles`` (inotify, FSEvents, ReadDirectoryChangesW, or
polling) *before* it scans, so nothing that changes during the scan is missed. Every
path the operating system reports is looked at again with ``os.stat``; what happened is
decided by comparing with what the watcher knows, never by trusting the kind of
notification (renames arrive as a deletion and a creation, a folder moved in as one
event for the folder):

* a new or changed audio file waits until it is **stable**: the same size and mtime for
  ``stability_s`` seconds (by the clock, or by its mtime being that old), so that a
  download or copy in progress is hashed once, when complete;
* a known file that disappears is held for a moment: if a file with its content appears
  meanwhile, it was **moved** (another folder) or **renamed** (same folder), keeping its
  lifecycle's ``correlation_id``; otherwise it is **deleted**;
* problems (unreadable files, files vanishing while hashed, symlink loops) are reported
  to ``on_problem`` and logged; none stops the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from watchfiles import awatch

from tracktion.contracts import FileEventType

from ..formats import audio_format
from ..hashing import FileDigest
from .events import (
    LibraryEvent,
    ProblemKind,
    ScanProblem,
    lifecycle_event,
    lifecycle_id,
)
from .scanner import (
    KnownFiles,
    LibraryScanner,
    ScanOptions,
    ScanStats,
    TrackedFile,
    hash_files,
    recover_correlation,
)
from .walk import FileStat, stat_file, walk

__all__ = ["EventSink", "LibraryWatcher", "ProblemSink", "WatchOptions"]

log = logging.getLogger("tracktion.files")

EventSink = Callable[[LibraryEvent], Awaitable[None]]
"""Receives each event (publishes it); an exception stops the watcher."""
ProblemSink = Callable[[ScanProblem], None]
"""Receives each problem (already logged)."""


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """How to watch.

    Attributes:
        scan: Identity, ignore rules and hashing threads (shared with the initial scan).
        stability_s: Seconds a file's size and mtime must stay unchanged before it is
            hashed (a download or copy in progress is not).
        debounce_ms: ``watchfiles`` gathers notifications for this long (ms) into a batch.
        step_ms: ``watchfiles`` checks for notifications this often (ms).
        force_polling: Poll instead of using OS notifications (network shares).
        poll_delay_ms: The polling interval (ms) when polling.
    """

    scan: ScanOptions = field(default_factory=ScanOptions)
    stability_s: float = 2.0
    debounce_ms: int = 200
    step_ms: int = 50
    force_polling: bool | None = None
    poll_delay_ms: int = 300

    def __post_init__(self) -> None:
        if not 0 <= self.stability_s <= 3600:
            raise ValueError(f"stability_s must be in 0..3600 seconds, not {self.stability_s}")
        if self.debounce_ms < 1 or self.step_ms < 1 or self.poll_delay_ms < 1:
            raise ValueError("debounce_ms, step_ms and poll_delay_ms must be at least 1 ms")

    @property
    def tick_s(self) -> float:
        """How often pending files are looked at again (seconds)."""
        return min(max(self.stability_s / 4, 0.02), 0.25)


@dataclass(slots=True)
class _Pending:
    state: tuple[int, int] | None = None
    since: float = 0.0
    checks: int = 0


@dataclass(slots=True)
class _Gone:
    path: str
    tracked: TrackedFile
    since: float


class LibraryWatcher:
    """Scan ``roots``, then report every change to their audio files (see the module docs).

    Attributes:
        ready: Set once the initial scan is done and live changes are being handled.
        scan_stats: The initial scan's counts.
        live_events: Events emitted after the initial scan.
    """

    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]],
        *,
        emit: EventSink,
        known: KnownFiles | None = None,
        options: WatchOptions | None = None,
        on_problem: ProblemSink | None = None,
    ) -> None:
        """Raises ``ScanError`` for no roots or nested roots."""
        self.options = options or WatchOptions()
        self._scanner = LibraryScanner(roots, known=known, options=self.options.scan)
        self.roots = self._scanner.roots
        self._known = known
        self._emit = emit
        self._on_problem = on_problem
        self.ready = asyncio.Event()
        self.live_events = 0
        self._tracked: dict[str, TrackedFile] = self._scanner.tracked
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._pending: dict[str, _Pending] = {}
        self._gone: dict[str, _Gone] = {}

    @property
    def scan_stats(self) -> ScanStats:
        """The initial scan's counts (final once :attr:`ready` is set)."""
        return self._scanner.stats

    async def run(self) -> None:
        """Scan, then watch until cancelled. Raises what ``emit`` raises, and catalog
        failures of the initial scan (``BackendError``)."""
        stop = asyncio.Event()
        collector = asyncio.create_task(self._collect(stop), name="watch library roots")
        # Let the collector set up the OS watches before the scan lists anything.
        for _ in range(3):
            await asyncio.sleep(0)
        try:
            async for item in self._scanner.scan():
                if isinstance(item, ScanProblem):
                    self._report(item, logged=True)
                else:
                    await self._emit(item)
            self.ready.set()
            pool = ThreadPoolExecutor(self.options.scan.hash_workers, thread_name_prefix="hash")
            try:
                while True:
                    if collector.done():
                        collector.result()  # the OS watch failed: raise why
                    await self._step(pool)
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.options.tick_s)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
        finally:
            stop.set()
            collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await collector

    # -- notifications ---------------------------------------------------------------------

    async def _collect(self, stop: asyncio.Event) -> None:
        options = self.options
        async for changes in awatch(
            *self.roots,
            watch_filter=None,
            debounce=options.debounce_ms,
            step=options.step_ms,
            stop_event=stop,
            force_polling=options.force_polling,
            poll_delay_ms=options.poll_delay_ms,
            ignore_permission_denied=True,
        ):
            for _, path in changes:
                self._dirty.add(path)
            self._wake.set()

    def _root_of(self, path: str) -> str | None:
        for root in self.roots:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                return root
        return None

    # -- one round of decisions ------------------------------------------------------------

    async def _step(self, pool: ThreadPoolExecutor) -> None:
        await self._absorb_dirty()
        ready = self._check_pending()
        if ready:
            await self._hash_ready(ready, pool)
        await self._settle_gone()

    async def _absorb_dirty(self) -> None:
        dirty, self._dirty = self._dirty, set()
        rules = self.options.scan.ignore
        for path in sorted(dirty):
            root = self._root_of(path)
            if root is None or rules.reason(os.path.relpath(path, root)) is not None:
                continue
            if os.path.isdir(path):
                if _links_to_ancestor(path):
                    self._report(
                        ScanProblem(
                            ProblemKind.SYMLINK_LOOP,
                            path,
                            f"{path}: symbolic link to {os.path.realpath(path)}, "
                            "a folder already watched",
                        )
                    )
                    continue
                found = await asyncio.to_thread(walk, root, path, rules=rules)
                for problem in found.problems:
                    self._report(problem)
                for item in found.files:
                    self._pending.setdefault(item.path, _Pending())
                continue
            if audio_format(path) is not None:
                self._pending.setdefault(path, _Pending())
            prefix = path.rstrip(os.sep) + os.sep
            for known in [p for p in self._tracked if p.startswith(prefix)]:
                self._pending.setdefault(known, _Pending())  # a folder moved or deleted

    def _check_pending(self) -> list[FileStat]:
        now, wall = time.monotonic(), time.time()
        stability = self.options.stability_s
        ready: list[FileStat] = []
        for path, pending in list(self._pending.items()):
            item = stat_file(path)
            if isinstance(item, ScanProblem) and item.kind is not ProblemKind.VANISHED:
                del self._pending[path]
                self._report(item)
                continue
            if not isinstance(item, FileStat):  # gone (or no longer a regular file)
                del self._pending[path]
                self._forget(path, now)
                continue
            tracked = self._tracked.get(path)
            if tracked is not None and (tracked.size_bytes, tracked.mtime_ns) == (
                item.size_bytes,
                item.mtime_ns,
            ):
                del self._pending[path]  # touched, not changed
                continue
            state = (item.size_bytes, item.mtime_ns)
            if pending.state != state:
                pending.state, pending.since, pending.checks = state, now, 0
                if stability > 0:
                    continue
            pending.checks += 1
            quiet_since = wall - item.mtime_ns / 1e9
            if now - pending.since >= stability or (
                pending.checks > 1 and quiet_since >= stability
            ):
                del self._pending[path]
                ready.append(item)
        return ready

    def _forget(self, path: str, now: float) -> None:
        tracked = self._tracked.pop(path, None)
        if tracked is not None:
            self._gone[path] = _Gone(path, tracked, now)

    async def _hash_ready(self, ready: list[FileStat], pool: ThreadPoolExecutor) -> None:
        workers = self.options.scan.hash_workers
        async for item, outcome in hash_files(ready, pool, workers):
            if isinstance(outcome, ScanProblem):
                if outcome.kind is ProblemKind.CHANGING:
                    self._pending.setdefault(item.path, _Pending())  # not stable after all
                elif outcome.kind is ProblemKind.VANISHED:
                    self._forget(item.path, time.monotonic())
                else:
                    self._report(outcome)
                continue
            await self._present(item, outcome)

    async def _present(self, item: FileStat, digest: FileDigest) -> None:
        root = self._root_of(item.path)
        assert root is not None, "pending paths are under a root"
        at = datetime.fromtimestamp(item.seen_at, UTC)
        tracked = self._tracked.get(item.path)
        source = None if tracked is not None else await self._source_of(item, digest)
        kind = FileEventType.CREATED
        old_path = None
        if tracked is not None:
            kind = FileEventType.MODIFIED
            correlation = tracked.correlation_id or await self._correlation(item.path, tracked)
        elif source is not None:
            del self._gone[source.path]
            old_path = source.path
            same_folder = os.path.dirname(old_path) == os.path.dirname(item.path)
            kind = FileEventType.RENAMED if same_folder else FileEventType.MOVED
            correlation = source.tracked.correlation_id or await self._correlation(
                old_path, source.tracked
            )
        else:
            correlation = lifecycle_id(item.path, digest.sha256)
        self._tracked[item.path] = TrackedFile(
            root,
            item.size_bytes,
            item.mtime_ns,
            item.ctime_ns,
            digest.sha256,
            digest.xxh128,
            correlation,
        )
        await self._send(
            lifecycle_event(
                kind,
                path=item.path,
                root=root,
                fmt=item.fmt,
                at=at,
                instance_id=self.options.scan.instance_id,
                correlation_id=correlation,
                digest=digest,
                mtime_ns=item.mtime_ns,
                ctime_ns=item.ctime_ns,
                old_path=old_path,
            )
        )

    async def _source_of(self, item: FileStat, digest: FileDigest) -> _Gone | None:
        """The vanished file that ``item`` is (same content; for files whose content the
        watcher never read, same size and mtime: the catalog checks the content)."""
        matches: list[_Gone] = []
        for gone in self._gone.values():
            await self._fill_content(gone)
            if gone.tracked.sha256 is not None:
                if gone.tracked.sha256 == digest.sha256:
                    matches.append(gone)
            elif (gone.tracked.size_bytes, gone.tracked.mtime_ns) == (
                item.size_bytes,
                item.mtime_ns,
            ):
                matches.append(gone)
        if not matches:
            return None
        name, folder = os.path.basename(item.path), os.path.dirname(item.path)
        matches.sort(
            key=lambda gone: (
                os.path.basename(gone.path) != name,
                os.path.dirname(gone.path) != folder,
            )
        )
        return matches[0]

    async def _fill_content(self, gone: _Gone) -> None:
        tracked = gone.tracked
        if tracked.sha256 is not None or self._known is None:
            return
        record = await self._known.get_file(gone.path)
        if record is not None and (record.size_bytes, record.mtime_ns) == (
            tracked.size_bytes,
            tracked.mtime_ns,
        ):
            tracked.sha256, tracked.xxh128 = record.sha256, record.xxh128
            tracked.correlation_id = tracked.correlation_id or await recover_correlation(
                self._known, record
            )

    async def _correlation(self, path: str, tracked: TrackedFile) -> UUID:
        if self._known is not None and (record := await self._known.get_file(path)):
            correlation = await recover_correlation(self._known, record)
        else:
            correlation = lifecycle_id(path, tracked.sha256 or "")
        tracked.correlation_id = correlation
        return correlation

    async def _settle_gone(self) -> None:
        if not self._gone:
            return
        now = time.monotonic()
        grace = self.options.debounce_ms / 1000 + 2 * self.options.tick_s
        waiting_sizes = {
            pending.state[0] for pending in self._pending.values() if pending.state is not None
        }
        unseen = any(pending.state is None for pending in self._pending.values())
        for gone in list(self._gone.values()):
            if now - gone.since < grace:
                continue
            if gone.tracked.size_bytes in waiting_sizes or unseen:
                continue  # a file that may be this one is still settling
            del self._gone[gone.path]
            await self._fill_content(gone)
            tracked = gone.tracked
            fmt = audio_format(gone.path)
            assert fmt is not None
            correlation = tracked.correlation_id or await self._correlation(gone.path, tracked)
            digest = (
                FileDigest(tracked.sha256, tracked.xxh128, tracked.size_bytes)
                if tracked.sha256 is not None and tracked.xxh128 is not None
                else None
            )
            await self._send(
                lifecycle_event(
                    FileEventType.DELETED,
                    path=gone.path,
                    root=tracked.root,
                    fmt=fmt,
                    at=datetime.now(UTC),
                    instance_id=self.options.scan.instance_id,
                    correlation_id=correlation,
                    digest=digest,
                    mtime_ns=tracked.mtime_ns,
                    ctime_ns=tracked.ctime_ns,
                )
            )

    async def _send(self, event: LibraryEvent) -> None:
        self.live_events += 1
        log.info("%s %s", event.routing_key, event.path)
        await self._emit(event)

    def _report(self, problem: ScanProblem, *, logged: bool = False) -> None:
        if not logged:
            log.warning("%s (%s)", problem.message, problem.kind.value)
        if self._on_problem is not None:
            self._on_problem(problem)


def _links_to_ancestor(path: str) -> bool:
    """Whether ``path`` is a symbolic link to a folder that contains it (a loop)."""
    if not os.path.islink(path):
        return False
    target = os.path.realpath(path)
    parent = os.path.realpath(os.path.dirname(path))
    return parent == target or parent.startswith(target.rstrip(os.sep) + os.sep)
