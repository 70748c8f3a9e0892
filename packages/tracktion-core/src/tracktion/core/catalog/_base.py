"""What every repository of a unit of work shares: its connection and error translation.

The repositories (files, metadata, tracklists, renames, jobs) are mixins of one
:class:`~tracktion.core.catalog.CatalogTransaction`; each method runs its statements on
the transaction's connection through :meth:`RepositoryBase._execute`, the one place where
SQL reaches the driver and where driver errors become Tracktion errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from ..errors import BackendError
from ._resilience import translate

__all__ = ["BATCH_SIZE", "RepositoryBase", "chunked"]

BATCH_SIZE = 500
"""Rows per statement in bulk operations: far below SQLite's 32766 and asyncpg's 32767
bound parameters, large enough that round trips do not dominate."""

T = TypeVar("T")

Insert = sqlite.Insert | postgresql.Insert


def chunked(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RepositoryBase:
    """The connection of one unit of work, with error translation and poisoning.

    After a statement fails the transaction is unusable on PostgreSQL (every further
    statement fails until rollback) but not on SQLite; to behave the same on both, any
    failure marks the unit of work failed and later calls raise ``BackendError`` without
    touching the database. The unit of work is then rolled back when its block exits.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._failure: BaseException | None = None

    @property
    def failed(self) -> bool:
        """Whether a statement of this unit of work failed (it will be rolled back)."""
        return self._failure is not None

    async def _execute(
        self,
        statement: Executable,
        parameters: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
    ) -> CursorResult[Any]:
        """Run one statement; ``parameters`` as a sequence runs it once per mapping."""
        if self._failure is not None:
            raise BackendError(
                "this unit of work already failed and will be rolled back; "
                "start a new one to continue"
            ) from self._failure
        try:
            return await self._connection.execute(statement, parameters)
        except Exception as exc:
            error = translate(exc, "a catalog statement")
            if error is None:
                raise
            self._failure = error
            raise error from exc

    def _insert(self, table: Table) -> Insert:
        """The dialect's ``INSERT`` (with ``ON CONFLICT``) for ``table``."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)
