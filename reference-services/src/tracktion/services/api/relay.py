"""The relay from the bus to WebSocket subscribers, on a queue of this API instance's own.

The canonical topology binds no queue to ``analysis.progress`` on purpose: every API
instance needs its own copy of each progress, completion and error event, to relay it to
the clients connected to that instance. The relay adds a private queue to the bus's
topology (``api.relay.<instance>``: non-durable, exclusive, auto-deleted, no
dead-lettering), bound on the events exchange to ``analysis.progress``,
``analysis.complete`` and ``error.*``, declares it, consumes it, and removes it again when
it stops. Messages queued while no instance runs are not kept: progress is ephemeral.

Each event also moves the job that requested the analysis (job id = the request's
correlation id, see the ``analyze`` route) along; that runs on a separate task so that
the database never delays delivery to the clients.

The relay also consumes the ``api`` work queues of the CUE generation replies
(``cue.generation.complete`` and ``cue.generation.batch.complete``), competing
with the other API instances: the tracklist service already finished the job in the
transaction that made the reply, so a reply only finishes a job still open, and is
otherwise acknowledged (the queues must not grow without a reader). A batch reply whose
correlation id names a batch job of the API (``POST /v1/cue/generate/batch``) also
settles that job: its progress, and its result once every tracklist is done (see
:mod:`.cue_batches`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from tracktion.contracts import (
    AnalysisCompleteEvent,
    AnalysisProgressEvent,
    AnalysisStatus,
    BatchCueGenerationComplete,
    Binding,
    CueGenerationComplete,
    ErrorEvent,
    ExchangeRole,
    Queue,
    Topology,
    TracktionError,
)
from tracktion.contracts.websocket import (
    AnalysisCompleteData,
    ErrorDetails,
    ProgressData,
    RecordingErrorData,
    RecordingUpdate,
)
from tracktion.core.bus import Delivery, MessageBus, Subscription
from tracktion.core.catalog import (
    CatalogConflictError,
    CatalogNotFoundError,
    CatalogStore,
    JobStatus,
)

from .cue_batches import settle_batch
from .metrics import ApiMetrics
from .websocket import ConnectionManager

__all__ = [
    "API_CONSUMER",
    "CUE_REPLY_KEYS",
    "RELAYED_KEYS",
    "BusRelay",
    "reply_queues",
    "to_update",
    "with_relay_queue",
    "without_queue",
]

log = logging.getLogger("tracktion.api.relay")

RELAYED_KEYS = ("analysis.progress", "analysis.complete", "error.*")
"""The events-exchange routing keys the relay queue is bound to."""

API_CONSUMER = "api"
"""The consumer name of the topology's work queues the API reads."""
CUE_REPLY_KEYS = ("cue.generation.complete", "cue.generation.batch.complete")
"""The CUE exchange's routing keys of the generation replies the relay reads."""

_JOB_BACKLOG = 10_000
_FAILED = {AnalysisStatus.FAILED: JobStatus.FAILED, AnalysisStatus.CANCELLED: JobStatus.CANCELLED}


def to_update(message: object) -> RecordingUpdate | None:
    """The WebSocket update for a bus event, ``None`` for events about no recording."""
    match message:
        case AnalysisProgressEvent():
            data: ProgressData | AnalysisCompleteData | RecordingErrorData = ProgressData(
                progress=message.progress,
                status=message.status,
                message=message.message,
                timestamp=message.timestamp.timestamp(),
            )
        case AnalysisCompleteEvent():
            data = AnalysisCompleteData(
                results=message.results, timestamp=message.timestamp.timestamp()
            )
        case ErrorEvent(recording_id=None):
            return None
        case ErrorEvent():
            details = ErrorDetails.model_validate(
                {
                    **message.details,
                    "error_code": message.error_code,
                    "file_path": message.file_path,
                }
            )
            data = RecordingErrorData(
                error=message.error, details=details, timestamp=message.timestamp.timestamp()
            )
        case _:
            return None
    assert message.recording_id is not None
    return RecordingUpdate(recording_id=message.recording_id, data=data)


class BusRelay:
    """Consumes this instance's relay queue and fans events out to subscribers."""

    def __init__(
        self,
        bus: MessageBus,
        catalog: CatalogStore,
        manager: ConnectionManager,
        metrics: ApiMetrics,
        *,
        instance_id: str | None = None,
    ) -> None:
        self._bus = bus
        self._catalog = catalog
        self._manager = manager
        self._metrics = metrics
        self.queue = f"api.relay.{instance_id or uuid.uuid4().hex}"
        self._subscription: Subscription | None = None
        self._replies: list[Subscription] = []
        self._jobs: asyncio.Queue[tuple[uuid.UUID, JobStatus, float, str | None]] = asyncio.Queue(
            _JOB_BACKLOG
        )
        self._job_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Declare the relay queue and start consuming it.

        Raises ``BackendError`` when the broker refuses the queue.
        """
        self._bus.topology = with_relay_queue(self._bus.topology, self.queue)
        await self._bus.declare()
        self._job_task = asyncio.create_task(self._track_jobs(), name="api job tracking")
        # One at a time: a recording's progress must reach clients in order.
        self._subscription = await self._bus.subscribe(self.queue, self._handle, prefetch=1)
        for queue in reply_queues(self._bus.topology):
            self._replies.append(await self._bus.subscribe(queue, self._handle_reply, prefetch=8))

    async def stop(self) -> None:
        """Stop consuming, remove the queue from the topology, finish job updates."""
        if self._subscription is not None:
            await self._subscription.cancel(timeout=2.0)
            self._subscription = None
        for reply in self._replies:
            await reply.cancel(timeout=2.0)
        self._replies.clear()
        self._bus.topology = without_queue(self._bus.topology, self.queue)
        if self._job_task is not None:
            self._job_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._job_task

    async def _handle(self, delivery: Delivery) -> None:
        message = delivery.message
        update = to_update(message)
        if update is None:
            return
        self._manager.publish(update)
        self._metrics.relayed.labels(update.data.type).inc()
        correlation = getattr(message, "correlation_id", None)
        if correlation is None:
            return
        match message:
            case AnalysisProgressEvent():
                status = _FAILED.get(message.status, JobStatus.RUNNING)
                if message.status is AnalysisStatus.COMPLETED:
                    status = JobStatus.SUCCEEDED
                job = (correlation, status, message.progress, message.message or None)
            case AnalysisCompleteEvent():
                job = (correlation, JobStatus.SUCCEEDED, 1.0, None)
            case _:
                assert isinstance(message, ErrorEvent)
                job = (correlation, JobStatus.FAILED, 0.0, message.error)
        try:
            self._jobs.put_nowait(job)
        except asyncio.QueueFull:
            self._metrics.errors.labels("relay_jobs_backlog").inc()

    async def _handle_reply(self, delivery: Delivery) -> None:
        """Finish the job of a CUE generation reply if it is still open; settle the API
        batch job a batch reply belongs to."""
        match delivery.message:
            case CueGenerationComplete() as reply:
                job_id, error = reply.job_id, reply.error
            case BatchCueGenerationComplete() as reply:
                job_id = reply.batch_job_id
                error = "; ".join(f"{r.format.value}: {r.error}" for r in reply.results if r.error)
            case _:
                return
        status = JobStatus.SUCCEEDED if reply.success else JobStatus.FAILED
        with contextlib.suppress(CatalogNotFoundError, CatalogConflictError):
            # Not a job of this deployment, or already final (the usual case).
            await self._catalog.update_job(
                job_id,
                status=status,
                result={"reply": reply.model_dump(mode="json")},
                error=None if reply.success else (error or "failed"),
            )
        batch = reply.correlation_id
        if isinstance(reply, BatchCueGenerationComplete) and batch is not None and batch != job_id:
            await settle_batch(self._catalog, batch)

    async def _track_jobs(self) -> None:
        while True:
            job_id, status, progress, text = await self._jobs.get()
            try:
                if status is JobStatus.FAILED:
                    await self._catalog.update_job(job_id, status=status, error=text or "failed")
                elif status is JobStatus.SUCCEEDED:
                    await self._catalog.update_job(job_id, status=status)
                else:
                    await self._catalog.update_job(
                        job_id, status=status, progress=progress, message=text
                    )
            except (CatalogNotFoundError, CatalogConflictError):
                pass  # not a job of the API, or already final (another instance did it)
            except TracktionError as exc:
                self._metrics.errors.labels("relay_jobs").inc()
                log.warning("could not update job %s: %s", job_id, exc)


def reply_queues(topology: Topology) -> list[str]:
    """The ``api`` work queues the CUE generation replies (:data:`CUE_REPLY_KEYS`) reach."""
    cue = topology.exchange_for(ExchangeRole.CUE).name
    owners = {queue.name: queue.consumer for queue in topology.queues}
    found = (name for key in CUE_REPLY_KEYS for name in topology.route(cue, key))
    return [name for name in dict.fromkeys(found) if owners.get(name) == API_CONSUMER]


def with_relay_queue(topology: Topology, queue: str) -> Topology:
    """``topology`` plus a private relay queue bound to :data:`RELAYED_KEYS`."""
    events = topology.exchange_for(ExchangeRole.EVENTS).name
    declared = Queue(
        name=queue,
        consumer="api",
        durable=False,
        exclusive=True,
        auto_delete=True,
        description="Progress, results and errors for this API instance's WebSocket clients.",
    )
    bindings = tuple(Binding(exchange=events, queue=queue, routing_key=key) for key in RELAYED_KEYS)
    return Topology(
        exchanges=topology.exchanges,
        queues=(*topology.queues, declared),
        bindings=(*topology.bindings, *bindings),
    )


def without_queue(topology: Topology, queue: str) -> Topology:
    """``topology`` without ``queue`` and its bindings."""
    return Topology(
        exchanges=topology.exchanges,
        queues=tuple(q for q in topology.queues if q.name != queue),
        bindings=tuple(b for b in topology.bindings if b.queue != queue),
    )
