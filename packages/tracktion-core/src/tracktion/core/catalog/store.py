"""The catalog store: open a database, run units of work, call repository methods.

::

    async with await open_catalog() as store:              # the embedded SQLite file
        result = await store.upsert_file(observation)      # one transaction per call
        async with store.transaction() as tx:              # or one for several calls
            if await tx.mark_processed("cataloging", message_id):
                await tx.upsert_file(observation)

**Migrations on open.** The embedded SQLite catalog is upgraded when it is opened: it is
private to this installation, created on first use, and a user who upgrades Tracktion
should not have to run a command for it. A PostgreSQL catalog is shared by services that
may run different versions during a rollout, so it is never migrated implicitly: opening
it checks its revision and raises ``CatalogSchemaError`` unless it is current, and
``tracktion db upgrade`` (or ``migrate=True``) migrates it. Either default can be
overridden with ``migrate=``.

**Reconnection.** A connection that fails while a transaction is being started (server
down or restarting, connection dropped in the pool, SQLite lock held past the busy
timeout) is retried with exponential back-off within the :class:`ReconnectPolicy` budget;
read-only store methods are retried as a whole in the same way. A failure once a write
was sent is not retried: the transaction is rolled back, the caller gets
``BackendUnavailableError`` or ``BackendError`` and decides (a message consumer does not
acknowledge, so the message is redelivered). Nothing is reported done before its commit
returned. PostgreSQL connections are checked before use (``pool_pre_ping``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import BackendError
from ._engine import (
    DEFAULT_CONNECT_TIMEOUT_S,
    catalog_url,
    close_quietly,
    create_catalog_engine,
    default_database_url,
    open_transaction,
    redacted,
)
from ._resilience import ReconnectPolicy, retrying, translate
from .errors import CatalogSchemaError
from .migrate import _revision_of, head_revision, upgrade
from .repository import CatalogTransaction

__all__ = ["CatalogStore", "default_database_url", "open_catalog"]

P = ParamSpec("P")
R = TypeVar("R")

_Method = Callable[Concatenate[CatalogTransaction, P], Awaitable[R]]
_StoreMethod = Callable[Concatenate["CatalogStore", P], Coroutine[Any, Any, R]]


def _reads(method: _Method[P, R]) -> _StoreMethod[P, R]:
    """A store method running ``method`` in its own read-only transaction, retried as a
    whole on connection failures."""

    async def read(self: CatalogStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._read(lambda tx: method(tx, *args, **kwargs), method.__name__)

    return _describe(read, method, "a read-only transaction, retried on connection failures")


def _writes(method: _Method[P, R]) -> _StoreMethod[P, R]:
    """A store method running ``method`` in its own transaction, committed before it
    returns."""

    async def write(self: CatalogStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self.transaction() as tx:
            return await method(tx, *args, **kwargs)

    return _describe(write, method, "its own transaction, committed before it returns")


def _describe(wrapper: _StoreMethod[P, R], method: _Method[P, R], how: str) -> _StoreMethod[P, R]:
    name = method.__name__
    wrapper.__name__ = name
    wrapper.__qualname__ = f"CatalogStore.{name}"
    wrapper.__doc__ = f"{method.__doc__}\n\nRuns :meth:`CatalogTransaction.{name}` in {how}."
    # inspect.signature follows this to the repository method's parameters.
    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


class CatalogStore:
    """The catalog database: units of work (:meth:`transaction`) and, for single calls,
    every :class:`CatalogTransaction` method, each in its own transaction.

    Create it with :func:`open_catalog`; close it with :meth:`close` or ``async with``.
    Safe for concurrent use by many tasks of one event loop (each transaction has its
    own pooled connection).
    """

    def __init__(self, engine: AsyncEngine, url: URL, *, reconnect: ReconnectPolicy) -> None:
        """Wrap an engine made by :func:`create_catalog_engine`; prefer :func:`open_catalog`."""
        self._engine = engine
        self._url = url
        self._reconnect = reconnect
        self._closed = False

    @property
    def url(self) -> str:
        """The database URL, with its password masked."""
        return redacted(self._url)

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine, for components that share the catalog database (the SQL
        graph). Services use the repository methods; the store disposes of it on close."""
        return self._engine

    @property
    def reconnect(self) -> ReconnectPolicy:
        """The reconnection policy the store was opened with."""
        return self._reconnect

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    async def close(self) -> None:
        """Close every pooled connection. Transactions still open fail; idempotent."""
        self._closed = True
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[CatalogTransaction]:
        """A unit of work: the repository methods on one transaction, committed when the
        block ends and rolled back when it raises (or when a statement in it failed).

        Starting it is retried on connection failures within the reconnect budget; then
        raises ``BackendUnavailableError``. A failed commit raises
        ``BackendUnavailableError`` (the connection was lost: the outcome is unknown, so
        the work must be idempotent when repeated) or ``BackendError``.
        """
        connection = await self._begin(write=True)
        async with self._unit_of_work(connection) as tx:
            yield tx

    async def check_schema(self) -> str:
        """The database's schema revision, checked to be the one this code needs. Raises
        ``CatalogSchemaError`` when it is not (run ``tracktion db upgrade``)."""
        head = head_revision()
        current = await self._read(
            lambda tx: tx._connection.run_sync(_revision_of), "reading the schema revision"
        )
        if current != head:
            state = "empty (never migrated)" if current is None else f"at revision {current}"
            raise CatalogSchemaError(
                f"the catalog database {self.url} is {state}; this version of Tracktion "
                f"needs revision {head}: run `tracktion db upgrade --database URL`"
            )
        return head

    async def _begin(self, *, write: bool) -> AsyncConnection:
        if self._closed:
            raise BackendError("the catalog store is closed")
        return await retrying(
            self._reconnect,
            lambda: open_transaction(self._engine, write=write),
            action="starting a catalog transaction",
        )

    @asynccontextmanager
    async def _unit_of_work(self, connection: AsyncConnection) -> AsyncIterator[CatalogTransaction]:
        tx = CatalogTransaction(connection)
        try:
            yield tx
            if tx._failure is not None:
                raise BackendError(
                    "the unit of work was rolled back: a statement in it failed"
                ) from tx._failure
            try:
                await connection.commit()
            except Exception as exc:
                error = translate(exc, "committing a catalog transaction (outcome unknown)")
                if error is None:
                    raise
                raise error from exc
        except BaseException:
            await close_quietly(connection, rollback=True)
            raise
        await close_quietly(connection)

    async def _read(
        self, operation: Callable[[CatalogTransaction], Awaitable[R]], action: str
    ) -> R:
        async def attempt() -> R:
            if self._closed:
                raise BackendError("the catalog store is closed")
            connection = await open_transaction(self._engine, write=False)
            async with self._unit_of_work(connection) as tx:
                return await operation(tx)

        return await retrying(self._reconnect, attempt, action=action)

    # -- one transaction per call (see CatalogTransaction for each method's contract) ----

    upsert_file = _writes(CatalogTransaction.upsert_file)
    upsert_files = _writes(CatalogTransaction.upsert_files)
    move_file = _writes(CatalogTransaction.move_file)
    mark_deleted = _writes(CatalogTransaction.mark_deleted)
    touch_files = _writes(CatalogTransaction.touch_files)
    purge_deleted = _writes(CatalogTransaction.purge_deleted)
    get_file = _reads(CatalogTransaction.get_file)
    get_file_by_id = _reads(CatalogTransaction.get_file_by_id)
    files_of = _reads(CatalogTransaction.files_of)
    file_moves = _reads(CatalogTransaction.file_moves)
    get_recording = _reads(CatalogTransaction.get_recording)
    find_recording = _reads(CatalogTransaction.find_recording)
    duplicates = _reads(CatalogTransaction.duplicates)
    scan_state = _reads(CatalogTransaction.scan_state)

    set_tags = _writes(CatalogTransaction.set_tags)
    get_tags = _reads(CatalogTransaction.get_tags)
    save_analysis = _writes(CatalogTransaction.save_analysis)
    get_analysis = _reads(CatalogTransaction.get_analysis)
    has_analysis = _reads(CatalogTransaction.has_analysis)
    recordings_without_analysis = _reads(CatalogTransaction.recordings_without_analysis)

    create_tracklist = _writes(CatalogTransaction.create_tracklist)
    add_tracklist_version = _writes(CatalogTransaction.add_tracklist_version)
    get_tracklist = _reads(CatalogTransaction.get_tracklist)
    get_tracklist_version = _reads(CatalogTransaction.get_tracklist_version)
    add_cue_file = _writes(CatalogTransaction.add_cue_file)
    get_cue_file = _reads(CatalogTransaction.get_cue_file)
    cue_files_of = _reads(CatalogTransaction.cue_files_of)

    propose_rename = _writes(CatalogTransaction.propose_rename)
    get_rename_proposal = _reads(CatalogTransaction.get_rename_proposal)
    list_rename_proposals = _reads(CatalogTransaction.list_rename_proposals)
    set_rename_status = _writes(CatalogTransaction.set_rename_status)
    append_journal = _writes(CatalogTransaction.append_journal)
    journal = _reads(CatalogTransaction.journal)
    set_journal_state = _writes(CatalogTransaction.set_journal_state)
    incomplete_batches = _reads(CatalogTransaction.incomplete_batches)

    create_job = _writes(CatalogTransaction.create_job)
    update_job = _writes(CatalogTransaction.update_job)
    get_job = _reads(CatalogTransaction.get_job)
    list_jobs = _reads(CatalogTransaction.list_jobs)
    mark_processed = _writes(CatalogTransaction.mark_processed)
    is_processed = _reads(CatalogTransaction.is_processed)
    forget_processed = _writes(CatalogTransaction.forget_processed)

    search_recordings = _reads(CatalogTransaction.search_recordings)
    tracklists_of_recording = _reads(CatalogTransaction.tracklists_of_recording)
    rename_proposals_of_recording = _reads(CatalogTransaction.rename_proposals_of_recording)


async def open_catalog(
    url: str | None = None,
    *,
    migrate: bool | None = None,
    reconnect: ReconnectPolicy | None = None,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> CatalogStore:
    """Open the catalog database at ``url`` (default: :func:`default_database_url`).

    ``migrate`` upgrades the schema to the newest revision first; by default it does for
    SQLite and not for PostgreSQL (see the module documentation). Then the schema
    revision is checked. ``reconnect`` bounds the retries of unreachable databases;
    ``connect_timeout_s`` each PostgreSQL connection attempt.

    Raises ``ConfigurationError`` for an unsupported URL, ``MissingExtraError`` when the
    PostgreSQL driver is missing (``pip install 'tracktion-core[postgres]'``),
    ``BackendUnavailableError`` when the database cannot be reached, and
    ``CatalogSchemaError`` when its schema is not current.
    """
    parsed = catalog_url(url)
    policy = ReconnectPolicy() if reconnect is None else reconnect
    if migrate is None:
        migrate = parsed.get_backend_name() == "sqlite"
    engine = create_catalog_engine(parsed, connect_timeout_s=connect_timeout_s)
    store = CatalogStore(engine, parsed, reconnect=policy)
    try:
        if migrate:
            await upgrade(parsed.render_as_string(hide_password=False), reconnect=policy)
        await store.check_schema()
    except BaseException:
        await store.close()
        raise
    return store
