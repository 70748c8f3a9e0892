"""The catalog store: recordings, files, tags, analysis, tracklists, CUE files, renames,
jobs and processed messages, in SQLite (embedded default) or PostgreSQL.

::

    from tracktion.core.catalog import FileObservation, open_catalog

    async with await open_catalog() as store:      # ~/.local/share/tracktion/catalog.db
        result = await store.upsert_file(FileObservation(...))
        async with store.transaction() as tx:      # one unit of work
            ...

The URL picks the backend: ``sqlite+aiosqlite:///path/catalog.db`` or
``postgresql://user@host/db`` (needs ``pip install 'tracktion-core[postgres]'``).
Schema migrations are Alembic scripts shipped in this package; see :mod:`.migrate` and
``tracktion db upgrade``. Every public name is listed in ``__all__``.
"""

from ._engine import default_database_url
from ._resilience import ReconnectPolicy
from ._search import RecordingPage, RecordingSummary
from .errors import (
    CatalogConflictError,
    CatalogInputError,
    CatalogNotFoundError,
    CatalogSchemaError,
)
from .migrate import current_revision, downgrade, head_revision, upgrade
from .records import (
    RECORDING_NAMESPACE,
    AnalysisResult,
    CueFile,
    DuplicateGroup,
    FileMove,
    FileObservation,
    FileRecord,
    FileUpsert,
    Job,
    JobStatus,
    JournalEntry,
    JournalState,
    JournalStep,
    JsonValue,
    PurgeResult,
    Recording,
    RenameProposal,
    RenameStatus,
    ScanEntry,
    Tag,
    Tracklist,
    TracklistEntry,
    TracklistVersion,
    recording_id_for,
)
from .repository import CatalogTransaction
from .results import load_results, save_results
from .store import CatalogStore, open_catalog

__all__ = [
    "RECORDING_NAMESPACE",
    "AnalysisResult",
    "CatalogConflictError",
    "CatalogInputError",
    "CatalogNotFoundError",
    "CatalogSchemaError",
    "CatalogStore",
    "CatalogTransaction",
    "CueFile",
    "DuplicateGroup",
    "FileMove",
    "FileObservation",
    "FileRecord",
    "FileUpsert",
    "Job",
    "JobStatus",
    "JournalEntry",
    "JournalState",
    "JournalStep",
    "JsonValue",
    "PurgeResult",
    "ReconnectPolicy",
    "Recording",
    "RecordingPage",
    "RecordingSummary",
    "RenameProposal",
    "RenameStatus",
    "ScanEntry",
    "Tag",
    "Tracklist",
    "TracklistEntry",
    "TracklistVersion",
    "current_revision",
    "default_database_url",
    "downgrade",
    "head_revision",
    "load_results",
    "open_catalog",
    "recording_id_for",
    "save_results",
    "upgrade",
]
