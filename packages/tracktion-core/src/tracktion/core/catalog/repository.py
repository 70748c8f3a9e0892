"""The unit of work: every repository method, bound to one database transaction.

:class:`CatalogTransaction` is what ``async with store.transaction() as tx`` yields. Its
methods come from one mixin per area, each in its own module:

=========================  =================================================================
``_files``                 files and recordings: content-keyed upserts, moves, soft
                           deletion, retention
``_file_queries``          lookups of files and recordings, duplicates, scan state
``_metadata``              tags per source, analysis results per algorithm version
``_tracklists``            versioned tracklists, CUE files
``_renames``               rename proposals, the crash-safe rename journal
``_jobs``                  jobs with progress, processed-message records
``_search``                recording search by text, BPM, key, energy; per-recording lookups
=========================  =================================================================

All SQL of the catalog lives in these modules; services never write SQL of their own.
"""

from __future__ import annotations

from ._files import FilesRepository
from ._jobs import JobsRepository
from ._metadata import MetadataRepository
from ._renames import RenamesRepository
from ._search import SearchRepository
from ._tracklists import TracklistsRepository

__all__ = ["CatalogTransaction"]


class CatalogTransaction(
    FilesRepository,
    MetadataRepository,
    TracklistsRepository,
    RenamesRepository,
    JobsRepository,
    SearchRepository,
):
    """The repository methods of the catalog, all in one database transaction.

    Obtained from :meth:`CatalogStore.transaction`, which commits when its block ends and
    rolls back when it raises; not created directly. Its methods must be awaited one at a
    time (a transaction is one connection). Errors: ``CatalogInputError`` for malformed
    arguments (nothing is sent), ``CatalogNotFoundError`` and ``CatalogConflictError`` as
    each method says, ``BackendUnavailableError`` when the connection is lost, and
    ``BackendError`` for other database failures. After a database error the transaction
    accepts no further statements and is rolled back at the end of its block.
    """
