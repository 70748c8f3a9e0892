"""Catalog upsert rate for file records, beside a raw driver INSERT of the same rows.

For ``--files`` file observations (distinct contents, paths of a DJ library), on SQLite
(a temporary file, WAL) and on PostgreSQL (a temporary database; skipped if
``--postgres-url`` does not answer), each case on a fresh, migrated database:

* ``executemany INSERT (floor)``: the driver alone (aiosqlite / asyncpg) inserting the
  same rows, already converted to driver values, into a bare table with the columns of
  ``files`` and no index or constraint, in one transaction;
* ``upsert_files``: the bulk path of an initial scan, in one unit of work (batches of
  ``--batch-size``): a recording and a file per observation, indexes and checks included;
* ``upsert_files (rescan)``: the same observations again, all known and unchanged;
* ``raw INSERT, a transaction each``: the driver alone again, one row per committed
  transaction: the commit (an fsync) and round trips that any per-event write pays;
* ``upsert_file``: one call per observation, each its own committed transaction (what a
  watcher event costs).

Each case runs ``--repeats`` times on a fresh database; the best time is reported as
rows/s and as the ratio of its time per row to the floor's on the same backend.

    python benchmarks/catalog_upsert.py [--files 10000] [--batch-size 500] [--repeats 1]
        [--postgres-url URL] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiosqlite
import asyncpg
import sqlalchemy
from sqlalchemy import make_url

from tracktion.core.catalog import CatalogStore, FileObservation, open_catalog, upgrade

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

BARE_COLUMNS = (
    "id, recording_id, path, root, size_bytes, mtime_ns, sha256, xxh128, "
    "first_seen_at, last_seen_at, deleted_at"
)
SQLITE_BARE = (
    "CREATE TABLE bare_files (id CHAR(32), recording_id CHAR(32), path TEXT, root TEXT, "
    "size_bytes BIGINT, mtime_ns BIGINT, sha256 VARCHAR(64), xxh128 VARCHAR(32), "
    "first_seen_at DATETIME, last_seen_at DATETIME, deleted_at DATETIME)"
)
POSTGRES_BARE = (
    "CREATE TABLE bare_files (id uuid, recording_id uuid, path text, root text, "
    "size_bytes bigint, mtime_ns bigint, sha256 varchar(64), xxh128 varchar(32), "
    "first_seen_at timestamptz, last_seen_at timestamptz, deleted_at timestamptz)"
)


@dataclass(frozen=True)
class Result:
    backend: str
    case: str
    rows: int
    best_seconds: float
    rate: float
    """Rows per second."""
    floor_ratio: float
    """Time per row divided by that of the floor (raw executemany) on the same backend."""


def observations(count: int) -> list[FileObservation]:
    """``count`` observations of distinct files under one library root."""
    root = "/data/music"
    seen_at = datetime(2025, 3, 14, 21, 0, tzinfo=UTC)
    result = []
    for index in range(count):
        content = f"audio content {index}".encode()
        artist, album, track = index // 120, index // 12 % 10, index % 12 + 1
        result.append(
            FileObservation(
                path=f"{root}/Artist {artist:04}/Album {album}/{track:02} - Track {index}.flac",
                root=root,
                size_bytes=30_000_000 + index,
                mtime_ns=1_710_000_000_000_000_000 + index,
                sha256=hashlib.sha256(content).hexdigest(),
                xxh128=hashlib.blake2b(content, digest_size=16).hexdigest(),
                seen_at=seen_at,
            )
        )
    return result


def driver_rows(items: list[FileObservation], *, text_values: bool) -> list[tuple[Any, ...]]:
    """The rows of ``files`` as the driver takes them: SQLite gets UUIDs as 32 hex digits
    and timestamps as text (what SQLAlchemy sends it); asyncpg gets native values."""
    rows = []
    for item in items:
        ids: tuple[Any, Any] = (uuid.uuid4(), uuid.uuid4())
        seen: Any = item.seen_at
        if text_values:
            ids = (ids[0].hex, ids[1].hex)
            seen = item.seen_at.strftime("%Y-%m-%d %H:%M:%S.%f")
        file_columns = (item.path, item.root, item.size_bytes, item.mtime_ns)
        rows.append((*ids, *file_columns, item.sha256, item.xxh128, seen, seen, None))
    return rows


# -- backends ----------------------------------------------------------------------------


class Backend(Protocol):
    """Fresh databases of one kind, and the floor measured on one."""

    name: str

    def fresh(self) -> AbstractAsyncContextManager[str]:
        """A new empty database, dropped afterwards; yields its URL."""
        ...

    async def floor(self, items: list[FileObservation], *, one_by_one: bool = False) -> float:
        """Seconds for the raw driver to insert ``items`` into a bare table: with one
        ``executemany`` in one transaction, or ``one_by_one`` in a transaction each."""
        ...

    def describe(self) -> dict[str, str]:
        """Versions of the server and driver, for the report."""
        ...


class SQLiteBackend:
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[str]:
        path = self._directory / f"{uuid.uuid4().hex}.db"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    async def floor(self, items: list[FileObservation], *, one_by_one: bool = False) -> float:
        rows = driver_rows(items, text_values=True)
        path = self._directory / f"floor-{uuid.uuid4().hex}.db"
        # The catalog's own connection settings, so that only the SQL differs.
        async with aiosqlite.connect(path, isolation_level=None) as connection:
            for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
                await connection.execute(f"PRAGMA {pragma}")
            await connection.execute(SQLITE_BARE)
            insert = f"INSERT INTO bare_files ({BARE_COLUMNS}) VALUES ({', '.join('?' * 11)})"
            started = time.perf_counter()
            if one_by_one:
                for row in rows:
                    await connection.execute("BEGIN IMMEDIATE")
                    await connection.execute(insert, row)
                    await connection.execute("COMMIT")
            else:
                await connection.execute("BEGIN IMMEDIATE")
                await connection.executemany(insert, rows)
                await connection.execute("COMMIT")
            elapsed = time.perf_counter() - started
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return elapsed

    def describe(self) -> dict[str, str]:
        return {"sqlite": sqlite3.sqlite_version, "aiosqlite": aiosqlite.__version__}


class PostgresBackend:
    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._server_version = ""

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[str]:
        name = f"tracktion_bench_{uuid.uuid4().hex[:16]}"
        admin = await asyncpg.connect(self._admin_url)
        try:
            self._server_version = str(admin.get_server_version().major)
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        try:
            yield make_url(self._admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            admin = await asyncpg.connect(self._admin_url)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()

    async def floor(self, items: list[FileObservation], *, one_by_one: bool = False) -> float:
        rows = driver_rows(items, text_values=False)
        async with self.fresh() as url:
            plain = make_url(url).set(drivername="postgresql")
            connection = await asyncpg.connect(plain.render_as_string(hide_password=False))
            try:
                await connection.execute(POSTGRES_BARE)
                placeholders = ", ".join(f"${index + 1}" for index in range(11))
                insert = f"INSERT INTO bare_files ({BARE_COLUMNS}) VALUES ({placeholders})"
                started = time.perf_counter()
                if one_by_one:
                    for row in rows:
                        async with connection.transaction():
                            await connection.execute(insert, *row)
                else:
                    async with connection.transaction():
                        await connection.executemany(insert, rows)
                return time.perf_counter() - started
            finally:
                await connection.close()

    def describe(self) -> dict[str, str]:
        return {"postgresql_server": self._server_version, "asyncpg": asyncpg.__version__}


# -- cases -------------------------------------------------------------------------------


async def timed_on_fresh_store(
    backend: Backend,
    items: list[FileObservation],
    work: Callable[[CatalogStore, list[FileObservation]], Awaitable[object]],
    *,
    prepare: Callable[[CatalogStore, list[FileObservation]], Awaitable[object]] | None = None,
) -> float:
    async with backend.fresh() as url:
        await upgrade(url)
        async with await open_catalog(url, migrate=False) as store:
            if prepare is not None:
                await prepare(store, items)
            started = time.perf_counter()
            await work(store, items)
            return time.perf_counter() - started


async def bulk(store: CatalogStore, items: list[FileObservation], batch_size: int) -> None:
    results = await store.upsert_files(items, batch_size=batch_size)
    assert len(results) == len(items)


async def one_by_one(store: CatalogStore, items: list[FileObservation]) -> None:
    for item in items:
        await store.upsert_file(item)


async def run_backend(
    backend: Backend, items: list[FileObservation], batch_size: int, repeats: int
) -> list[Result]:
    def bulk_work(store: CatalogStore, batch: list[FileObservation]) -> Awaitable[None]:
        return bulk(store, batch, batch_size)

    cases: dict[str, Callable[[], Awaitable[float]]] = {
        "executemany INSERT (floor)": lambda: backend.floor(items),
        f"upsert_files (batches of {batch_size})": lambda: timed_on_fresh_store(
            backend, items, bulk_work
        ),
        "upsert_files (rescan, all known)": lambda: timed_on_fresh_store(
            backend, items, bulk_work, prepare=bulk_work
        ),
        "raw INSERT, a transaction each": lambda: backend.floor(items, one_by_one=True),
        "upsert_file (a transaction each)": lambda: timed_on_fresh_store(
            backend, items, one_by_one
        ),
    }
    results: list[Result] = []
    floor_per_row: float | None = None
    for case, measure in cases.items():
        best = min([await measure() for _ in range(repeats)])
        per_row = best / len(items)
        floor_per_row = floor_per_row or per_row
        results.append(
            Result(
                backend=backend.name,
                case=case,
                rows=len(items),
                best_seconds=best,
                rate=len(items) / best,
                floor_ratio=per_row / floor_per_row,
            )
        )
        print(f"  {backend.name}: {case}: {best:.2f}s", file=sys.stderr)
    return results


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def environment(backends: list[Backend]) -> dict[str, str]:
    env = {
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": str(os.cpu_count()),
    }
    for backend in backends:
        env |= backend.describe()
    return env


def print_table(results: list[Result], env: dict[str, str]) -> None:
    print(
        f"Python {env['python']}, SQLAlchemy {env['sqlalchemy']}, {env['system']} "
        f"{env['machine']} ({env['cpus']} CPUs); best of repeats, ratio to executemany"
    )
    header = f"{'backend':<11} {'case':<36} {'rows':>6} {'seconds':>8} {'rows/s':>9} {'x floor':>8}"
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.backend:<11} {result.case:<36} {result.rows:>6} "
            f"{result.best_seconds:>8.2f} {result.rate:>9,.0f} {result.floor_ratio:>7.1f}x"
        )


async def run(args: argparse.Namespace) -> tuple[list[Result], list[Backend]]:
    items = observations(args.files)
    backends: list[Backend] = []
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="tracktion-bench-") as directory:
        backends.append(SQLiteBackend(Path(directory)))
        if args.postgres_url and reachable(args.postgres_url):
            backends.append(PostgresBackend(args.postgres_url))
        elif args.postgres_url:
            print(f"PostgreSQL at {args.postgres_url} does not answer: skipped", file=sys.stderr)
        for backend in backends:
            results.extend(await run_backend(backend, items, args.batch_size, args.repeats))
    return results, backends


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=10_000, help="observations (10000)")
    parser.add_argument("--batch-size", type=int, default=500, help="upsert_files batch (500)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per case, best kept (1)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TRACKTION_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="an administrative PostgreSQL URL ('' skips PostgreSQL)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    if args.files < 1 or args.batch_size < 1 or args.repeats < 1:
        parser.error("--files, --batch-size and --repeats must be at least 1")

    results, backends = asyncio.run(run(args))
    env = environment(backends)
    if args.json:
        document = {
            "environment": env,
            "files": args.files,
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "results": [asdict(result) for result in results],
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(results, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
