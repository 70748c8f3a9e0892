"""Library scanning and watching: every audio file known by its content, within seconds.

* :mod:`.ignore`: what is not the user's audio (temp files, DJ software folders, globs);
* :mod:`.walk`: listing audio files with one ``stat`` each;
* :mod:`.scanner`: a scan of library roots against the catalog's state (unchanged
  files are not read again; moves while nobody watched are recognized by content);
* :mod:`.watcher`: the initial scan, then live events once each file is stable;
* :mod:`.events`: the events (contracts with idempotency keys) and problems;
* :mod:`.cataloger`: applying the events to the catalog (the cataloging logic).
"""

from .cataloger import CatalogOutcome, apply_event, apply_events
from .events import (
    MTIME_HEADER,
    FileContract,
    LibraryEvent,
    ProblemKind,
    ScanProblem,
    discovered_event,
    lifecycle_event,
    lifecycle_id,
    mtime_from_headers,
)
from .ignore import IGNORED_DIRECTORIES, IGNORED_NAMES, TEMP_PATTERNS, IgnoreRules
from .scanner import (
    KnownFiles,
    LibraryScanner,
    ScanError,
    ScanOptions,
    ScanStats,
    TrackedFile,
    hash_files,
    hash_problem,
    normalize_roots,
    recover_correlation,
)
from .walk import FileStat, WalkResult, stat_file, walk
from .watcher import EventSink, LibraryWatcher, ProblemSink, WatchOptions

__all__ = [
    "IGNORED_DIRECTORIES",
    "IGNORED_NAMES",
    "MTIME_HEADER",
    "TEMP_PATTERNS",
    "CatalogOutcome",
    "EventSink",
    "FileContract",
    "FileStat",
    "IgnoreRules",
    "KnownFiles",
    "LibraryEvent",
    "LibraryScanner",
    "LibraryWatcher",
    "ProblemKind",
    "ProblemSink",
    "ScanError",
    "ScanOptions",
    "ScanProblem",
    "ScanStats",
    "TrackedFile",
    "WalkResult",
    "WatchOptions",
    "apply_event",
    "apply_events",
    "discovered_event",
    "hash_files",
    "hash_problem",
    "lifecycle_event",
    "lifecycle_id",
    "mtime_from_headers",
    "normalize_roots",
    "recover_correlation",
    "stat_file",
    "walk",
]
