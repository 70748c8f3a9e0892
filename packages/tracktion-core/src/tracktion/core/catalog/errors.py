"""Errors of the catalog store, under the core error tree.

::

    TracktionError
     +-- BackendError
     |    +-- BackendUnavailableError      the database could not be reached (after retries)
     |    +-- CatalogConflictError         a uniqueness or reference constraint, or a state
     |    |                                transition, rejected a write
     |    +-- CatalogSchemaError           the database is not at the schema revision this
     |                                     code needs (run ``tracktion db upgrade``)
     +-- CatalogNotFoundError (LookupError) the row an operation names does not exist
     +-- CatalogInputError (ValueError)     an argument is malformed (a naive timestamp, a
                                            confidence outside [0, 1], a bad digest)

Driver exceptions (``asyncpg``, ``sqlite3``) and SQLAlchemy's never leave the store: they
are translated into these or into ``BackendError``/``BackendUnavailableError``.
"""

from __future__ import annotations

from tracktion.contracts import TracktionError

from ..errors import BackendError

__all__ = [
    "CatalogConflictError",
    "CatalogInputError",
    "CatalogNotFoundError",
    "CatalogSchemaError",
]


class CatalogConflictError(BackendError):
    """A write conflicts with stored data: a duplicate key, a reference to a missing row,
    or a state transition the row's current state does not allow.

    The unit of work it happened in can only be rolled back. When it comes from two
    writers racing for the same key, running the unit of work again usually succeeds.
    """


class CatalogSchemaError(BackendError):
    """The database's schema revision is not the one this version of Tracktion needs."""


class CatalogNotFoundError(TracktionError, LookupError):
    """An operation names a file, recording, tracklist, proposal or job that is not stored."""


class CatalogInputError(TracktionError, ValueError):
    """An argument is malformed; the message names it. Nothing was written."""
