"""Schema migrations of the catalog database (Alembic), run programmatically.

The migration scripts ship inside this package (``migrations/``), so an installed wheel
can upgrade a database without an ``alembic.ini``: ``tracktion db upgrade`` and
:func:`open_catalog` (for the embedded SQLite file) call :func:`upgrade`.

One migration run is one transaction on both dialects (PostgreSQL and SQLite both have
transactional DDL), so a failed upgrade leaves the previous schema intact. Concurrent
runs are serialized: by an advisory lock on PostgreSQL and by the write lock
(``BEGIN IMMEDIATE``) on SQLite; the later run finds the schema current and does nothing.
SQLite runs with foreign keys off, as Alembic's batch mode (which rebuilds tables to alter
them) requires, and checks every foreign key before it commits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import URL, Connection, text

from ._engine import catalog_url, close_quietly, create_catalog_engine, open_transaction
from ._resilience import ReconnectPolicy, retrying, translate
from .errors import CatalogSchemaError

__all__ = ["current_revision", "downgrade", "head_revision", "upgrade"]

SCRIPT_LOCATION = Path(__file__).with_name("migrations")

# pg_advisory_xact_lock key shared by every Tracktion migration run ("tracktion" in ASCII,
# truncated to a signed 64-bit integer).
_ADVISORY_LOCK_KEY = int.from_bytes(b"trcktion", "big") >> 1


def _alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


@functools.cache
def head_revision() -> str:
    """The newest schema revision this version of Tracktion knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # only possible with an empty versions directory: a packaging bug
        raise CatalogSchemaError(f"no migration scripts found in {SCRIPT_LOCATION}")
    return head


def _revision_of(connection: Connection) -> str | None:
    """The revision recorded in the database of ``connection`` (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(
    url: str | None = None, revision: str = "head", *, reconnect: ReconnectPolicy | None = None
) -> None:
    """Migrate the catalog database at ``url`` (default: the embedded SQLite file) up to
    ``revision``; a database already there is left as is.

    Raises ``ConfigurationError`` for a bad URL, ``MissingExtraError`` without the
    PostgreSQL driver, ``BackendUnavailableError`` when the server cannot be reached within
    ``reconnect``'s budget, and ``CatalogSchemaError`` for an unknown revision (e.g. a
    database migrated by a newer Tracktion)."""
    await _run(catalog_url(url), reconnect, lambda config: command.upgrade(config, revision))


async def downgrade(
    url: str | None, revision: str, *, reconnect: ReconnectPolicy | None = None
) -> None:
    """Migrate the catalog database at ``url`` down to ``revision`` (``"base"``: drop every
    catalog table). Errors as for :func:`upgrade`."""
    await _run(catalog_url(url), reconnect, lambda config: command.downgrade(config, revision))


async def current_revision(
    url: str | None = None, *, reconnect: ReconnectPolicy | None = None
) -> str | None:
    """The schema revision of the catalog database at ``url``; None if it was never
    migrated. Errors as for :func:`upgrade`."""
    return await _run(catalog_url(url), reconnect, None)


async def _run(
    url: URL,
    reconnect: ReconnectPolicy | None,
    alembic_command: Callable[[Config], None] | None,
) -> str | None:
    """Run ``alembic_command`` (None: nothing) in one transaction; the revision after it."""
    engine = create_catalog_engine(url, foreign_keys=False, pooled=False)
    try:
        connection = await retrying(
            reconnect or ReconnectPolicy(),
            lambda: open_transaction(engine, write=alembic_command is not None),
            action="migrating the catalog",
        )
        try:
            if alembic_command is not None and url.get_backend_name() == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                )
            revision = await connection.run_sync(_in_transaction, alembic_command)
            await connection.commit()
        except BaseException as exc:
            await close_quietly(connection, rollback=True)
            error = translate(exc, "migrating the catalog")
            if error is None:
                raise
            raise error from exc
        await close_quietly(connection)
        return revision
    finally:
        await engine.dispose()


def _in_transaction(
    connection: Connection,
    alembic_command: Callable[[Config], None] | None,
) -> str | None:
    if alembic_command is not None:
        config = _alembic_config()
        # env.py runs the scripts on this connection, inside this transaction.
        config.attributes["connection"] = connection
        try:
            alembic_command(config)
        except CommandError as exc:
            raise CatalogSchemaError(f"cannot migrate the catalog: {exc}") from exc
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise CatalogSchemaError(
                    f"the migration left {len(broken)} broken foreign keys, e.g. {broken[0]!r}"
                )
    return _revision_of(connection)
