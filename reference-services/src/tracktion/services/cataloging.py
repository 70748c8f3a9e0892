"""The cataloging service: keeps the catalog of recordings and files from the file events.

It consumes the cataloging queues of the topology (those whose consumer is
``cataloging``): the file events (``file.discovered``, ``file.created`` ...
``file.renamed``) and the analysis results (``analysis.complete``). For each file event
it applies :func:`tracktion.core.files.apply_event` (recordings by content, files by
path, moves with their history, soft deletes; stale events ignored) and, in the same
unit of work that records the message as processed:

* publishes ``catalog.updated`` when the catalog changed;
* publishes ``file.analyze`` (the request the analysis queue takes from cataloging) when
  the event brought content never seen before; a copy of known content reuses the
  recording and so its analysis.

Published messages carry ids derived from the event's, so a redelivery whose first
attempt published but failed to commit publishes the same ids again and consumers drop
the repeats. A result of ``analysis.complete`` is announced as
``catalog.updated(change=analyzed)``. Soft-deleted files are purged after
``retention_s``, and processed-message records after ``processed_retention_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio

from tracktion.contracts import (
    AnalysisCompleteEvent,
    CatalogChange,
    CatalogUpdatedEvent,
    FileDiscoveredEvent,
    FileLifecycleEvent,
)
from tracktion.core.bus import Delivery, MessageBus, Subscription, idempotent
from tracktion.core.catalog import CatalogStore, CatalogTransaction
from tracktion.core.errors import PermanentError
from tracktion.core.files import CatalogOutcome, LibraryEvent, apply_event, mtime_from_headers

from .runtime import Ports

__all__ = ["SERVICE", "CatalogingOptions", "CatalogingService", "build"]

log = logging.getLogger("tracktion.services.cataloging")

SERVICE = "cataloging"
"""The consumer name of the topology's cataloging queues and of processed messages."""

_NAMESPACE = uuid.UUID("a4c1e7d0-5b2f-4c6e-9d8a-1f3b5c7e9a20")
_DAY_S = 24 * 60 * 60


@dataclass(frozen=True, slots=True)
class CatalogingOptions:
    """How the cataloging service works.

    Attributes:
        prefetch: Events handled at once per queue.
        retention_s: How long a soft-deleted file stays before it is purged (seconds).
        processed_retention_s: How long "message processed" records are kept; longer than
            any redelivery can arrive (the file events queue expires messages after 24 h).
        purge_interval_s: How often the purges run (seconds); 0 disables them.
        drain_timeout_s: On shutdown, how long handlers in progress may take to finish
            before their messages go back to the queue.
    """

    prefetch: int = 16
    retention_s: float = 30 * _DAY_S
    processed_retention_s: float = 7 * _DAY_S
    purge_interval_s: float = 60 * 60
    drain_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, not {self.prefetch}")
        for name in ("retention_s", "processed_retention_s", "purge_interval_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.processed_retention_s < _DAY_S:
            raise ValueError(
                "processed_retention_s must be at least a day (the queue's message TTL), "
                f"not {self.processed_retention_s}"
            )


class CatalogingService:
    """Keeps the catalog from file events and announces its changes (see the module docs)."""

    def __init__(
        self, bus: MessageBus, catalog: CatalogStore, options: CatalogingOptions | None = None
    ) -> None:
        self._bus = bus
        self._catalog = catalog
        self._options = options or CatalogingOptions()
        self._handler = idempotent(catalog, SERVICE, self._handle)

    @property
    def queues(self) -> list[str]:
        """The queues this service consumes, from the bus's topology."""
        return [q.name for q in self._bus.topology.work_queues() if q.consumer == SERVICE]

    async def run(self) -> None:
        """Consume until cancelled; then let handlers in progress finish (or requeue)."""
        subscriptions: list[Subscription] = []
        purger: asyncio.Task[None] | None = None
        try:
            for queue in self.queues:  # one by one: a failure leaves the earlier ones to cancel
                subscription = await self._bus.subscribe(
                    queue, self._handler, prefetch=self._options.prefetch
                )
                subscriptions.append(subscription)
            if self._options.purge_interval_s > 0:
                purger = asyncio.create_task(self._purge_periodically(), name="catalog purge")
            log.info("cataloging: consuming %s", ", ".join(self.queues))
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                if purger is not None:
                    purger.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await purger
                for subscription in subscriptions:
                    await subscription.cancel(timeout=self._options.drain_timeout_s)

    async def handle(self, delivery: Delivery) -> None:
        """Handle one delivery once (idempotent by ``message_id``); usable without :meth:`run`.

        Raises ``PermanentError`` for a message that is not for this service, and lets
        catalog and bus failures raise (the message is retried).
        """
        await self._handler(delivery)

    async def purge(self, now: datetime | None = None) -> tuple[int, int]:
        """Purge soft-deleted files older than the retention (and recordings nothing refers
        to any more), and old processed-message records. Returns (files, recordings)."""
        now = now or datetime.now(UTC)
        result = await self._catalog.purge_deleted(
            now - timedelta(seconds=self._options.retention_s)
        )
        await self._catalog.forget_processed(
            now - timedelta(seconds=self._options.processed_retention_s)
        )
        if result.files or result.recordings:
            log.info(
                "cataloging: purged %d deleted files and %d recordings",
                result.files,
                result.recordings,
            )
        return result.files, result.recordings

    async def _purge_periodically(self) -> None:
        while True:
            try:
                await self.purge()
            except Exception:  # a failed purge is retried next time; the service goes on
                log.exception("cataloging: purge failed")
            await asyncio.sleep(self._options.purge_interval_s)

    async def _handle(self, delivery: Delivery, tx: CatalogTransaction) -> None:
        message = delivery.message
        if isinstance(message, AnalysisCompleteEvent):
            await self._analyzed(delivery, message, tx)
            return
        if not isinstance(message, FileDiscoveredEvent | FileLifecycleEvent):
            raise PermanentError(
                f"cataloging cannot handle a {type(message).__name__} "
                f"(routing key {delivery.routing_key})"
            )
        event = LibraryEvent(message, delivery.message_id, mtime_from_headers(delivery.headers))
        outcome = await apply_event(tx, event)
        await self._announce(outcome)

    async def _announce(self, outcome: CatalogOutcome) -> None:
        event = outcome.event
        if outcome.stale:
            log.info("cataloging: ignored stale %s of %s", event.routing_key, event.path)
            return
        if outcome.change is not None:
            updated, updated_id = outcome.catalog_updated()
            await self._bus.publish(updated, message_id=updated_id)
        if outcome.new_content:
            request, request_id = outcome.analyze_request()
            await self._bus.publish(request, message_id=request_id)

    async def _analyzed(
        self, delivery: Delivery, message: AnalysisCompleteEvent, tx: CatalogTransaction
    ) -> None:
        if await tx.get_recording(message.recording_id) is None:
            log.info("cataloging: analysis of unknown recording %s ignored", message.recording_id)
            return
        copies = len(await tx.files_of(message.recording_id))
        updated = CatalogUpdatedEvent(
            recording_id=message.recording_id,
            change=CatalogChange.ANALYZED,
            file_path=message.file_path,
            duplicate_count=max(copies - 1, 0),
            correlation_id=message.correlation_id,
            timestamp=datetime.now(UTC),
        )
        message_id = str(uuid.uuid5(_NAMESPACE, f"analyzed\0{delivery.message_id}"))
        await self._bus.publish(updated, message_id=message_id)


def build(ports: Ports) -> CatalogingService:
    """The cataloging service on ``ports``."""
    return CatalogingService(ports.bus, ports.catalog)
