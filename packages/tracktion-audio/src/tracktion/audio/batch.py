"""Batch analysis of many files in a process pool, with a content-keyed result cache.

Each file is analyzed in a worker process: the worker hashes the file, returns a cached
result when one exists for that content, algorithm version and options, and otherwise
analyzes it and stores the result. A file that fails gives an item with an error; the
batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from threadpoolctl import threadpool_limits

from .analyzer import ALGORITHM_VERSION, DEFAULT_BPM_RANGE, DEFAULT_FEATURES, Feature, analyze_file
from .cache import AnalysisCache, content_hash, process_cache
from .errors import AudioError, ErrorCode
from .notation import KeyNotation, format_key

__all__ = [
    "BatchError",
    "BatchItem",
    "BatchOptions",
    "analyze_many",
    "analyze_one",
    "process_pool",
]


@dataclass(frozen=True, slots=True)
class BatchError:
    """Why one file of a batch could not be analyzed."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How every file of a batch is analyzed."""

    features: frozenset[Feature] = DEFAULT_FEATURES
    """What to compute: everything but the mood (add ``Feature.MOOD`` to opt in)."""
    bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE
    write_tags: KeyNotation | None = None
    """Write BPM, key (in this notation) and ReplayGain into each file (atomically)."""
    cache_path: str | None = None
    """The result cache file; ``None`` for no cache."""

    def cache_options(self) -> dict[str, Any]:
        return {"features": sorted(self.features), "bpm_range": list(self.bpm_range)}


@dataclass(frozen=True, slots=True)
class BatchItem:
    """The outcome for one file: its result (the JSON form) or its error."""

    path: str
    result: dict[str, Any] | None = None
    error: BatchError | None = None
    cached: bool = False
    tags_written: bool = field(default=False)


def analyze_many(
    paths: Iterable[str | os.PathLike[str]],
    options: BatchOptions | None = None,
    *,
    workers: int | None = None,
) -> Iterator[BatchItem]:
    """Analyze ``paths``; yield one :class:`BatchItem` per file as each finishes.

    ``workers`` processes run at once (default: the CPU count); ``workers=1`` runs in
    this process. At most a few files per worker are in flight, so a batch of 50,000
    paths costs no memory up front.
    """
    options = options or BatchOptions()
    names = (os.fspath(path) for path in paths)
    count = workers or os.cpu_count() or 1
    if count == 1:
        for name in names:
            yield analyze_one(name, options)
        return
    with process_pool(count) as pool:
        pending: set[Future[BatchItem]] = set()
        for name in names:
            pending.add(pool.submit(analyze_one, name, options))
            if len(pending) >= count * 3:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        for future in pending:
            yield future.result()


def process_pool(workers: int, *, preload: str = __name__) -> ProcessPoolExecutor:
    """A pool of ``workers`` analysis processes, as :func:`analyze_many` and the analysis
    service use.

    Workers fork from a server that imported ``preload`` (a module: by default the
    analysis stack) once, instead of each spending seconds importing scipy and librosa.
    Each worker uses one thread in the native libraries (BLAS, OpenMP): the pool spreads
    the cores already, and matrix products spreading over every core as well would only
    make the workers contend (the mood network costs a third less CPU on one BLAS thread
    than on the default ones). And each worker ends when the process that made the pool
    ends, however it ends: a pool worker waits on a queue whose other end it also holds,
    so a killed owner (SIGKILL, an out-of-memory kill) would otherwise leave it, its fork
    server and its resource tracker running for ever.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )


def _init_worker(owner_pid: int) -> None:
    threadpool_limits(limits=1)
    # Ctrl-C reaches the whole process group: the owner stops the pool, and a worker
    # would only print a KeyboardInterrupt traceback from its idle wait for work.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(owner_pid,), name="owner-watch", daemon=True).start()


def _exit_with(owner_pid: int) -> None:
    """Wait for process ``owner_pid`` to end, then end this process at once."""
    try:
        descriptor = os.pidfd_open(owner_pid)
    except (AttributeError, OSError):  # not Linux, or already gone
        while _alive(owner_pid):
            time.sleep(1.0)
    else:
        select.select([descriptor], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        pass
    return True


def analyze_one(path: str, options: BatchOptions) -> BatchItem:
    """Analyze one file for a batch (in a worker); never raises for a bad file."""
    cache = process_cache(options.cache_path)
    try:
        key = None
        if cache is not None:
            key = AnalysisCache.key(content_hash(path), ALGORITHM_VERSION, options.cache_options())
            stored = cache.get(key)
            if stored is not None:
                return BatchItem(path, {**stored, "path": path}, cached=True)
        analysis = analyze_file(path, features=options.features, bpm_range=options.bpm_range)
        result = analysis.to_dict()
        written = False
        if options.write_tags is not None:
            written = _write_tags(path, result, options.write_tags)
        if cache is not None:
            if written:  # new bytes, new content hash: cache the result under it too
                key = AnalysisCache.key(
                    content_hash(path), ALGORITHM_VERSION, options.cache_options()
                )
            assert key is not None
            cache.put(key, result)
        return BatchItem(path, result, tags_written=written)
    except AudioError as exc:
        return BatchItem(path, error=BatchError(exc.code.value, exc.detail))
    except OSError as exc:
        code = ErrorCode.NOT_FOUND if isinstance(exc, FileNotFoundError) else ErrorCode.UNREADABLE
        return BatchItem(path, error=BatchError(code.value, exc.strerror or str(exc)))


def _write_tags(path: str, result: dict[str, Any], notation: KeyNotation) -> bool:
    from .tags import write_analysis_tags

    key = result.get("key")
    bpm, gain = result.get("bpm"), result.get("replaygain_db")
    if bpm is None and key is None and gain is None:
        return False
    write_analysis_tags(
        path,
        bpm=bpm,
        key=format_key(key, notation) if key else None,
        replaygain_db=gain,
        replaygain_peak=_peak_ratio(result.get("true_peak_dbtp")),
    )
    return True


def _peak_ratio(dbtp: float | None) -> float | None:
    return None if dbtp is None else round(10 ** (dbtp / 20), 6)
