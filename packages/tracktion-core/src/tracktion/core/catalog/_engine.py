"""Database URLs and engines of the catalog: the embedded SQLite file or PostgreSQL.

SQLite connections are set up on connect (WAL journal, foreign keys, busy timeout, full
fsync on commit) and take over transaction control from the ``sqlite3`` module, whose
legacy mode would skip ``BEGIN`` before reads. Write transactions start with
``BEGIN IMMEDIATE``: they take the write lock up front and wait for it (busy timeout)
instead of failing on a lock upgrade when another writer committed in between, which a
deferred transaction that reads before it writes would.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import URL, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from .._extras import require
from ..errors import ConfigurationError
from ._resilience import translate

__all__ = [
    "BEGIN_MODE",
    "catalog_url",
    "close_quietly",
    "create_catalog_engine",
    "default_database_url",
    "open_transaction",
    "redacted",
]

APP_NAME = "tracktion"
DATABASE_FILE = "catalog.db"

BEGIN_MODE = "tracktion_sqlite_begin"
"""Execution option naming the SQLite ``BEGIN`` mode of the next transaction."""

SQLITE_BUSY_TIMEOUT_MS = 15_000
DEFAULT_CONNECT_TIMEOUT_S = 10.0

_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+aiosqlite"})
_POSTGRES_DRIVERS = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})


def default_database_url(directory: str | os.PathLike[str] | None = None) -> str:
    """The embedded catalog: ``sqlite+aiosqlite:///<directory>/catalog.db``.

    The directory is ``directory``, by default platformdirs' ``user_data_dir("tracktion")``
    (``~/.local/share/tracktion`` on Linux); it is created if missing. Raises ``OSError``
    if it cannot be.
    """
    if directory is None:
        directory = platformdirs.user_data_dir(APP_NAME, appauthor=False)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return URL.create(
        "sqlite+aiosqlite", database=str(directory / DATABASE_FILE)
    ).render_as_string()


def catalog_url(url: str | None) -> URL:
    """``url`` parsed and pointed at the async driver of its database, or the default.

    Accepts ``sqlite:///path`` and ``sqlite+aiosqlite:///path`` (a file; relative paths are
    relative to the working directory), and ``postgresql://``, ``postgres://`` and
    ``postgresql+asyncpg://``. Raises ``ConfigurationError`` for anything else, including
    an in-memory SQLite database, which would vanish with its connection.
    """
    text = default_database_url() if url is None else url
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise ConfigurationError(f"not a database URL: {text!r}") from None
    if parsed.drivername in _SQLITE_DRIVERS:
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise ConfigurationError(
                "the catalog needs an SQLite file, not an in-memory database: "
                "use sqlite+aiosqlite:///path/to/catalog.db (a temporary file will do)"
            )
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+asyncpg")
    raise ConfigurationError(
        f"unsupported catalog database {redacted(parsed)!r}: use sqlite+aiosqlite:///path "
        "or postgresql://user@host/database"
    )


def redacted(url: URL) -> str:
    """``url`` as text with its password masked, for messages and logs."""
    return url.render_as_string(hide_password=True)


def _json_dumps(value: Any) -> str:
    # NaN and infinities are not JSON; PostgreSQL's json type would reject them late.
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def create_catalog_engine(
    url: URL,
    *,
    foreign_keys: bool = True,
    pooled: bool = True,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> AsyncEngine:
    """An engine for a URL from :func:`catalog_url`.

    ``foreign_keys=False`` is for SQLite migrations, which may rebuild tables (Alembic's
    batch mode) and must not cascade deletes while doing so. ``pooled=False`` opens one
    connection per use (migrations, one-off commands). ``connect_timeout_s`` bounds each
    PostgreSQL connection attempt. Raises ``MissingExtraError`` when the PostgreSQL driver
    (extra ``postgres``) is not installed.
    """
    options: dict[str, Any] = {"json_serializer": _json_dumps}
    if not pooled:
        options["poolclass"] = NullPool
    if url.get_backend_name() == "postgresql":
        # Imported by SQLAlchemy on first connect; checked first for a clear error.
        require("asyncpg", "postgres", "The PostgreSQL catalog store")
        return create_async_engine(
            url,
            pool_pre_ping=True,  # a connection that died in the pool is replaced, not used
            connect_args={"timeout": connect_timeout_s},
            **options,
        )
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _sqlite_setup(foreign_keys=foreign_keys))
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_setup(*, foreign_keys: bool) -> Any:
    def on_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        # None: the sqlite3 module emits no BEGIN of its own; _sqlite_begin does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            # FULL: a commit that returned is on disk, even after a power cut.
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    return on_connect


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(BEGIN_MODE, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


async def open_transaction(engine: AsyncEngine, *, write: bool) -> AsyncConnection:
    """A connection of ``engine`` with a transaction begun on it; ``write`` takes SQLite's
    write lock at once (``BEGIN IMMEDIATE``). Every failure raises
    ``BackendUnavailableError`` (caused by the driver's exception); whether it is worth
    retrying is for :func:`~._resilience.is_transient` to say."""
    connection = engine.connect()
    try:
        await connection.start()
        if engine.dialect.name == "sqlite":
            await connection.execution_options(**{BEGIN_MODE: "IMMEDIATE" if write else "DEFERRED"})
        await connection.begin()
    except BaseException as exc:
        await close_quietly(connection)
        error = translate(exc, "opening a catalog transaction", connecting=True)
        if error is None:
            raise
        raise error from exc
    return connection


async def close_quietly(connection: AsyncConnection, *, rollback: bool = False) -> None:
    """Roll back (when asked) and return ``connection`` to its pool, ignoring failures of a
    connection that is already broken: the error that broke it is the one to report."""
    with suppress(Exception):
        if rollback and connection.in_transaction():
            await connection.rollback()
    with suppress(Exception):
        await connection.close()
