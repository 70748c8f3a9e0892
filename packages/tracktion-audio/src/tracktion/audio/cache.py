"""A persistent cache of analysis results, keyed by file content and algorithm version.

A file is identified by the XXH3-128 hash of its bytes, so a renamed, moved or copied file
is not analyzed again, and an edited one is. The key also holds the algorithm version
and the analysis options: an upgrade or other options never return stale results.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs
import xxhash

__all__ = ["AnalysisCache", "content_hash", "default_cache_path", "process_cache"]

_CHUNK = 1 << 20


def content_hash(path: str | os.PathLike[str]) -> str:
    """XXH3-128 of the file's bytes as 32 hex digits (streamed in 1 MiB chunks)."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache_path() -> Path:
    """``<user cache dir>/tracktion/analysis.sqlite3`` (the directory is created)."""
    directory = Path(platformdirs.user_cache_dir("tracktion", appauthor=False))
    directory.mkdir(parents=True, exist_ok=True)
    return directory / "analysis.sqlite3"


class AnalysisCache:
    """JSON analysis results in a SQLite file, safe for several processes at once.

    The cache can be deleted at any time; it only saves work.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self._local = threading.local()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS results ("
                " key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    @staticmethod
    def key(content: str, version: str, options: dict[str, Any]) -> str:
        """The cache key of a file's content analyzed by ``version`` with ``options``."""
        return f"{content}:{version}:{json.dumps(options, sort_keys=True)}"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored result, or ``None``."""
        row = self._connect().execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` (JSON-serializable) under ``key``."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO results (key, value, stored_at) VALUES (?, ?, ?)",
                (key, json.dumps(value), time.time()),
            )

    def close(self) -> None:
        """Close this thread's connection."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


# One cache per process and file: a pool worker opens its SQLite connection once.
_PROCESS_CACHES: dict[str, AnalysisCache] = {}


def process_cache(path: str | None) -> AnalysisCache | None:
    """This process's :class:`AnalysisCache` for the file at ``path`` (opened on first
    use and kept), or ``None`` when ``path`` is ``None`` (no cache)."""
    if path is None:
        return None
    if path not in _PROCESS_CACHES:
        _PROCESS_CACHES[path] = AnalysisCache(path)
    return _PROCESS_CACHES[path]
