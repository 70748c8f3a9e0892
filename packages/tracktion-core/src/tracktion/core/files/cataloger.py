"""Applying file events to the catalog: the logic of the cataloging service and of
``tracktion scan``.

Each event becomes one catalog write in the caller's unit of work, keyed by content:

=======================  ================================================================
event                    catalog effect
=======================  ================================================================
discovered / created /   :meth:`upsert_file`: the path holds this content (new file, new
modified                 content of a known path, or a revived path)
moved / renamed          :meth:`upsert_file` with ``move_from``: the file row moves, keeping
                         its id, recording and history; an unknown source is an ordinary add
deleted                  :meth:`mark_deleted`: soft delete (purged after the retention)
=======================  ================================================================

An event older than what the catalog holds for the path is ignored (``stale``): its
timestamp is before the path's last sighting, or its mtime is before the stored one.
New content (a recording created by this event) is what needs analysis; a copy of known
content reuses the recording and so its analysis.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from tracktion.contracts import (
    CatalogChange,
    CatalogUpdatedEvent,
    FileAnalyzeRequest,
    FileDiscoveredEvent,
    FileEventType,
)

from ..catalog import (
    CatalogStore,
    CatalogTransaction,
    FileObservation,
    FileUpsert,
    ScanEntry,
)
from .events import LibraryEvent

__all__ = ["CatalogOutcome", "apply_event", "apply_events"]

_NAMESPACE = uuid.UUID("0d6f1b5e-3c1e-4b8e-8f0a-2a9c7e5d4b31")


@dataclass(frozen=True, slots=True)
class CatalogOutcome:
    """What applying one event did.

    Attributes:
        event: The event applied.
        change: The catalog change, or ``None`` when nothing visible changed (a repeated
            or stale event, the deletion of an unknown path, a touch).
        recording_id: The recording the path holds (held, for a deletion).
        duplicate_count: Other live files with the same content (0 unless counted).
        new_content: The event created the recording: its content needs analysis.
        stale: The event is older than the catalog's state of the path and was ignored.
    """

    event: LibraryEvent
    change: CatalogChange | None
    recording_id: UUID | None
    duplicate_count: int = 0
    new_content: bool = False
    stale: bool = False

    def catalog_updated(self, at: datetime | None = None) -> tuple[CatalogUpdatedEvent, str]:
        """The ``catalog.updated`` message for this change and its message id (derived
        from the event's, so a repeated publication is recognized downstream).

        Raises ``ValueError`` when nothing changed."""
        if self.change is None or self.recording_id is None:
            raise ValueError(f"{self.event.path}: no catalog change to announce")
        message = CatalogUpdatedEvent(
            recording_id=self.recording_id,
            change=self.change,
            file_path=self.event.path,
            old_path=self.event.old_path if self.change is CatalogChange.MOVED else None,
            duplicate_count=self.duplicate_count,
            correlation_id=self.event.message.correlation_id,
            timestamp=at or datetime.now(UTC),
        )
        return message, str(uuid.uuid5(_NAMESPACE, f"updated\0{self.event.message_id}"))

    def analyze_request(self, at: datetime | None = None) -> tuple[FileAnalyzeRequest, str]:
        """The ``file.analyze`` request for new content and its message id (one per
        recording). Raises ``ValueError`` when the content is not new."""
        if not self.new_content or self.recording_id is None or self.event.xxh128 is None:
            raise ValueError(f"{self.event.path}: its content is not new")
        message = FileAnalyzeRequest(
            recording_id=self.recording_id,
            file_path=self.event.path,
            sha256_hash=self.event.sha256,
            xxh128_hash=self.event.xxh128,
            correlation_id=self.event.message.correlation_id,
            timestamp=at or datetime.now(UTC),
        )
        return message, str(uuid.uuid5(_NAMESPACE, f"analyze\0{self.recording_id}"))


async def apply_event(
    tx: CatalogTransaction, event: LibraryEvent, *, count_duplicates: bool = True
) -> CatalogOutcome:
    """Apply one file event in the unit of work ``tx`` (see the module docs).

    ``count_duplicates`` fills :attr:`CatalogOutcome.duplicate_count` (one more query).
    Raises the catalog's errors (``CatalogInputError`` for a path it cannot store,
    ``BackendError`` for database failures).
    """
    message = event.message
    at = message.timestamp
    if not isinstance(message, FileDiscoveredEvent) and message.event_type is FileEventType.DELETED:
        held = await tx.get_file(event.path)
        if held is None:
            return CatalogOutcome(event, None, None)
        if not await tx.mark_deleted(event.path, at):
            return CatalogOutcome(event, None, held.recording_id, stale=True)
        return await _counted(
            tx, CatalogOutcome(event, CatalogChange.DELETED, held.recording_id), count_duplicates
        )
    sha256, xxh128, size = event.sha256, event.xxh128, event.size_bytes
    # The contract requires them for every event but a deletion.
    assert sha256 is not None
    assert xxh128 is not None
    assert size is not None
    held = await tx.get_file(event.path)
    if held is not None and event.mtime_ns is not None and event.mtime_ns < held.mtime_ns:
        return CatalogOutcome(event, None, held.recording_id, stale=True)
    mtime_ns = event.mtime_ns
    if mtime_ns is None:
        # Without the watcher's mtime, keep the stored one for the same content; else 0,
        # which only costs a re-hash at the next scan.
        mtime_ns = held.mtime_ns if held is not None and held.sha256 == sha256 else 0
    observation = FileObservation(
        path=event.path,
        root=event.root,
        size_bytes=size,
        mtime_ns=mtime_ns,
        sha256=sha256,
        xxh128=xxh128,
        seen_at=at,
    )
    result = await tx.upsert_file(observation, move_from=event.old_path)
    if result.stale:
        return CatalogOutcome(event, None, result.recording_id, stale=True)
    outcome = CatalogOutcome(
        event,
        _change(result),
        result.recording_id,
        new_content=result.recording_created,
    )
    return await _counted(tx, outcome, count_duplicates)


async def apply_events(
    store: CatalogStore, events: Sequence[LibraryEvent], *, count_duplicates: bool = False
) -> list[CatalogOutcome]:
    """Apply ``events`` in order in one unit of work (a scan's batch), committed on return.

    Runs of events that only say "this path holds this content" (discovered, created,
    modified) are written with :meth:`upsert_files`, a few statements per run instead of
    several per event, with the same rules as :func:`apply_event` (unless
    ``count_duplicates``, which needs one query per event).
    """
    outcomes: list[CatalogOutcome] = []
    async with store.transaction() as tx:
        states: dict[str, dict[str, ScanEntry]] = {}
        index = 0
        while index < len(events):
            end = index
            while end < len(events) and _is_presence(events[end]) and not count_duplicates:
                end += 1
            if end - index > 1:
                outcomes.extend(await _apply_presence(tx, events[index:end], states))
                index = end
                continue
            event = events[index]
            outcomes.append(await apply_event(tx, event, count_duplicates=count_duplicates))
            if event.root in states:  # the cached state of its root may be out of date
                del states[event.root]
            index += 1
    return outcomes


def _is_presence(event: LibraryEvent) -> bool:
    return event.sha256 is not None and event.old_path is None


async def _apply_presence(
    tx: CatalogTransaction,
    events: Sequence[LibraryEvent],
    states: dict[str, dict[str, ScanEntry]],
) -> list[CatalogOutcome]:
    outcomes: dict[int, CatalogOutcome] = {}
    observations: list[tuple[int, FileObservation]] = []
    for position, event in enumerate(events):
        if event.root not in states:
            states[event.root] = await tx.scan_state(event.root)
        held = states[event.root].get(event.path)
        if held is not None and event.mtime_ns is not None and event.mtime_ns < held.mtime_ns:
            outcomes[position] = CatalogOutcome(event, None, None, stale=True)
            continue
        assert event.sha256 is not None
        assert event.xxh128 is not None
        assert event.size_bytes is not None
        observation = FileObservation(
            path=event.path,
            root=event.root,
            size_bytes=event.size_bytes,
            mtime_ns=event.mtime_ns if event.mtime_ns is not None else 0,
            sha256=event.sha256,
            xxh128=event.xxh128,
            seen_at=event.message.timestamp,
        )
        observations.append((position, observation))
        states[event.root][event.path] = ScanEntry(observation.size_bytes, observation.mtime_ns)
    results = await tx.upsert_files([observation for _, observation in observations])
    for (position, _), result in zip(observations, results, strict=True):
        event = events[position]
        if result.stale:
            outcomes[position] = CatalogOutcome(event, None, result.recording_id, stale=True)
        else:
            outcomes[position] = CatalogOutcome(
                event, _change(result), result.recording_id, new_content=result.recording_created
            )
    return [outcomes[position] for position in range(len(events))]


def _change(result: FileUpsert) -> CatalogChange | None:
    if result.moved_from is not None:
        return CatalogChange.MOVED
    if result.file_created or result.revived:
        return CatalogChange.ADDED
    if result.content_changed:
        return CatalogChange.UPDATED
    return None


async def _counted(tx: CatalogTransaction, outcome: CatalogOutcome, count: bool) -> CatalogOutcome:
    if not count or outcome.change is None or outcome.recording_id is None:
        return outcome
    copies = len(await tx.files_of(outcome.recording_id))
    return CatalogOutcome(
        outcome.event,
        outcome.change,
        outcome.recording_id,
        duplicate_count=max(copies - 1, 0)
        if outcome.change is not CatalogChange.DELETED
        else copies,
        new_content=outcome.new_content,
        stale=outcome.stale,
    )
