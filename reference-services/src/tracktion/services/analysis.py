"""The analysis service: analyzes recordings on request, reports progress and results.

It consumes the analysis queue (``file.analyze`` from cataloging, ``analysis.request``
from the API, ``analysis.cancel`` at high priority, ``metadata.extract``) and the file
lifecycle events (a deleted file's pending analysis is dropped). Audio is analyzed in a
process pool by :mod:`tracktion.audio`, results are cached by content, and for each
recording it publishes ``analysis.progress`` updates, then ``analysis.complete`` (after
storing results, tags and the job in the catalog, so that the REST API agrees with the
WebSocket) or ``error.analysis``.

Delivery is at least once: the handler records the message as processed in the same
transaction that stores its results, and a redelivered message republishes the stored
outcome under the same message id instead of analyzing again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import anyio

from tracktion.audio.batch import process_pool
from tracktion.contracts import (
    AnalysisCancellation,
    AnalysisCompleteEvent,
    AnalysisProgressEvent,
    AnalysisRequest,
    AnalysisResults,
    AnalysisStatus,
    AnalysisType,
    ErrorEvent,
    FileAnalyzeRequest,
    FileEventType,
    FileLifecycleEvent,
    MetadataExtractionRequest,
)
from tracktion.core.bus import Delivery, MessageBus, Subscription
from tracktion.core.catalog import (
    CatalogStore,
    CatalogTransaction,
    JobStatus,
    load_results,
    save_results,
)
from tracktion.core.errors import PermanentError, TransientError

from . import _analysis_worker as worker
from .runtime import Ports

__all__ = ["AnalysisOptions", "AnalysisService", "build"]

log = logging.getLogger("tracktion.services.analysis")

SERVICE = "analysis"
JOB_TYPE = "analysis"
_NAMESPACE = uuid.UUID("6f1d7a52-2c57-4a38-9a1e-0c7f6b1d2e90")


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """How the analysis service works.

    Attributes:
        workers: Analysis processes (default: one per CPU); 0 analyzes in a thread of this
            process (tests, tiny deployments).
        bpm_range: The DJ tempo range results are folded into.
        cache_path: The content-keyed result cache (SQLite file); ``None`` for none.
        drain_timeout_s: On shutdown, how long analyses in progress may take to finish
            before their messages go back to the queue.
    """

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    bpm_range: tuple[float, float] = (70.0, 180.0)
    cache_path: str | None = None
    drain_timeout_s: float = 30.0


class AnalysisService:
    """Consumes analysis work; see the module documentation."""

    def __init__(self, bus: MessageBus, catalog: CatalogStore, options: AnalysisOptions) -> None:
        self._bus = bus
        self._catalog = catalog
        self._options = options
        self._cancelled: set[UUID] = set()
        self._running: dict[UUID, int] = {}
        self._executor: Executor | None = None

    async def run(self) -> None:
        """Consume until cancelled; then let analyses in progress finish (or requeue them)."""
        queues = [q.name for q in self._bus.topology.work_queues() if q.consumer == SERVICE]
        self._executor = _executor(self._options.workers)
        subscriptions: list[Subscription] = []
        try:
            if self._executor is not None:
                # Starting the fork server imports the analysis stack (seconds): in a
                # thread, so that a process sharing this event loop (the API of
                # ``tracktion up``) keeps answering meanwhile.
                await anyio.to_thread.run_sync(
                    _start_workers, self._executor, self._options.workers, abandon_on_cancel=True
                )
            # Room beyond the pool's size lets a cancellation overtake waiting work.
            prefetch = max(self._options.workers, 1) * 2
            for queue in queues:  # one by one: a failure leaves the earlier ones to cancel
                subscription = await self._bus.subscribe(queue, self.handle, prefetch=prefetch)
                subscriptions.append(subscription)
            log.info(
                "analysis: consuming %s with %d workers", ", ".join(queues), self._options.workers
            )
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                for subscription in subscriptions:
                    await subscription.cancel(timeout=self._options.drain_timeout_s)
                if self._executor is not None:
                    self._executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = None

    async def handle(self, delivery: Delivery) -> None:
        """Handle one delivery of either queue (also usable without :meth:`run`)."""
        message = delivery.message
        match message:
            case FileAnalyzeRequest() | AnalysisRequest():
                await self._analyze(delivery, message)
            case AnalysisCancellation():
                await self._cancel(message)
            case MetadataExtractionRequest():
                await self._extract_metadata(delivery, message)
            case FileLifecycleEvent() if message.event_type is FileEventType.DELETED:
                await self._drop_deleted(message)
            case _:
                pass  # other lifecycle events change nothing pending here

    # -- analysis ------------------------------------------------------------------------

    async def _analyze(
        self, delivery: Delivery, request: FileAnalyzeRequest | AnalysisRequest
    ) -> None:
        recording_id, correlation_id = request.recording_id, request.correlation_id
        if await self._already_done(delivery, request):
            return
        if recording_id in self._cancelled:
            self._cancelled.discard(recording_id)
            await self._finish_cancelled(delivery, request)
            return
        job_id = await self._start_job(delivery, request)
        log.info("analyzing %s (recording %s)", request.file_path, recording_id)
        await self._progress(recording_id, correlation_id, 0.05, AnalysisStatus.DECODING)
        started = time.perf_counter()
        self._running[recording_id] = self._running.get(recording_id, 0) + 1
        try:
            outcome = await self._run_in_pool(request)
        finally:
            self._running[recording_id] -= 1
            if not self._running[recording_id]:
                del self._running[recording_id]
        if recording_id in self._cancelled:
            self._cancelled.discard(recording_id)
            await self._finish_cancelled(delivery, request, job_id)
            return
        if isinstance(outcome, worker.Failure):
            await self._fail(delivery, request, job_id, outcome)
            return
        await self._progress(recording_id, correlation_id, 0.9, AnalysisStatus.SAVING)
        results = AnalysisResults.model_validate(outcome.results)
        elapsed_ms = (time.perf_counter() - started) * 1000
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                return  # another worker finished the same message meanwhile
            await save_results(tx, recording_id, results, outcome.algorithm_version)
            if outcome.tags:
                await tx.set_tags(recording_id, outcome.tags, source="file")
            await tx.update_job(
                job_id,
                status=JobStatus.SUCCEEDED,
                result={"cached": outcome.cached, "processing_time_ms": round(elapsed_ms, 1)},
            )
        await self._publish_complete(
            delivery, request, results, outcome.algorithm_version, elapsed_ms
        )
        await self._progress(recording_id, correlation_id, 1.0, AnalysisStatus.COMPLETED)

    async def _run_in_pool(
        self, request: FileAnalyzeRequest | AnalysisRequest
    ) -> worker.Success | worker.Failure:
        job = worker.Job(
            path=request.file_path,
            types=tuple(AnalysisType(t).value for t in request.analysis_types),
            bpm_range=self._options.bpm_range,
            cache_path=self._options.cache_path,
            xxh128=request.xxh128_hash if isinstance(request, FileAnalyzeRequest) else None,
        )
        if self._executor is None:  # handle() called directly, without run()
            return await anyio.to_thread.run_sync(worker.analyze, job)
        executor = self._executor
        try:
            # Submitted from a thread: a submission may start a worker process (or, after
            # a crash, the fork server again), which must not stall the event loop.
            future = await anyio.to_thread.run_sync(executor.submit, worker.analyze, job)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            # A worker died (killed, or a decoder crashed): every analysis it held fails
            # with this. Replace the pool once and let the bus retry the messages.
            if self._executor is executor:
                log.warning("analysis: a worker process died; starting a new pool")
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = _executor(self._options.workers)
            raise TransientError(f"the analysis of {job.path} lost its worker process") from exc

    async def _already_done(
        self, delivery: Delivery, request: FileAnalyzeRequest | AnalysisRequest
    ) -> bool:
        """A redelivery of a message whose results are stored: publish them again."""
        if not delivery.redelivered and delivery.attempt == 1:
            return False
        async with self._catalog.transaction() as tx:
            if not await tx.is_processed(SERVICE, delivery.message_id):
                return False
            results = await load_results(tx, request.recording_id)
        if results is not None:
            version = worker.algorithm_version()
            await self._publish_complete(delivery, request, results, version, 0.0)
        return True

    async def _publish_complete(
        self,
        delivery: Delivery,
        request: FileAnalyzeRequest | AnalysisRequest,
        results: AnalysisResults,
        version: str,
        elapsed_ms: float,
    ) -> None:
        event = AnalysisCompleteEvent(
            recording_id=request.recording_id,
            file_path=request.file_path,
            results=results,
            algorithm_version=version,
            processing_time_ms=round(elapsed_ms, 1),
            correlation_id=request.correlation_id,
            timestamp=_now(),
        )
        # A deterministic id: a republished outcome is recognized by idempotent consumers.
        await self._bus.publish(event, message_id=_derived_id(delivery.message_id, "complete"))

    async def _fail(
        self,
        delivery: Delivery,
        request: FileAnalyzeRequest | AnalysisRequest,
        job_id: UUID,
        failure: worker.Failure,
    ) -> None:
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                return
            await tx.update_job(job_id, status=JobStatus.FAILED, error=failure.message)
        log.warning(
            "analysis of %s failed: %s (%s)", request.file_path, failure.message, failure.code
        )
        await self._progress(
            request.recording_id,
            request.correlation_id,
            1.0,
            AnalysisStatus.FAILED,
            failure.message,
        )
        error = ErrorEvent(
            service=SERVICE,
            error_code=failure.code.upper(),
            error=failure.message,
            details={"code": failure.code},
            recording_id=request.recording_id,
            file_path=request.file_path,
            correlation_id=request.correlation_id,
            timestamp=_now(),
        )
        await self._bus.publish(error, message_id=_derived_id(delivery.message_id, "error"))

    async def _finish_cancelled(
        self,
        delivery: Delivery,
        request: FileAnalyzeRequest | AnalysisRequest,
        job_id: UUID | None = None,
    ) -> None:
        async with self._catalog.transaction() as tx:
            await tx.mark_processed(SERVICE, delivery.message_id)
            if job_id is None:
                job_id = await self._open_job(tx, delivery, request)
            await tx.update_job(job_id, status=JobStatus.CANCELLED, message="cancelled")
        await self._progress(
            request.recording_id, request.correlation_id, 1.0, AnalysisStatus.CANCELLED, "cancelled"
        )

    # -- jobs and progress ---------------------------------------------------------------

    async def _start_job(
        self, delivery: Delivery, request: FileAnalyzeRequest | AnalysisRequest
    ) -> UUID:
        async with self._catalog.transaction() as tx:
            job_id = await self._open_job(tx, delivery, request)
            await tx.update_job(job_id, status=JobStatus.RUNNING, message="analyzing")
        return job_id

    async def _open_job(
        self,
        tx: CatalogTransaction,
        delivery: Delivery,
        request: FileAnalyzeRequest | AnalysisRequest,
    ) -> UUID:
        """The job this request reports to: the one its requester opened (same correlation
        id, not finished), else one keyed by the message, created on first sight."""
        for job in await tx.list_jobs(type=JOB_TYPE, correlation_id=request.correlation_id):
            if not job.status.is_final:
                return job.id
        job_id = _derived_id_uuid(delivery.message_id, "job")
        if await tx.get_job(job_id) is None:
            payload = {"recording_id": str(request.recording_id), "file_path": request.file_path}
            await tx.create_job(
                JOB_TYPE, payload=payload, correlation_id=request.correlation_id, job_id=job_id
            )
        return job_id

    async def _progress(
        self,
        recording_id: UUID,
        correlation_id: UUID,
        progress: float,
        status: AnalysisStatus,
        message: str = "",
    ) -> None:
        event = AnalysisProgressEvent(
            recording_id=recording_id,
            progress=progress,
            status=status,
            message=message,
            correlation_id=correlation_id,
            timestamp=_now(),
        )
        await self._bus.publish(event)

    # -- cancellation, metadata, lifecycle -----------------------------------------------

    async def _cancel(self, message: AnalysisCancellation) -> None:
        """Mark the recording: a pending request is dropped when its turn comes, a running
        one's result is discarded. Cancelling what never comes is forgotten on restart."""
        self._cancelled.add(message.recording_id)
        log.info("analysis of recording %s cancelled", message.recording_id)

    async def _drop_deleted(self, event: FileLifecycleEvent) -> None:
        async with self._catalog.transaction() as tx:
            record = await tx.get_file(event.file_path, include_deleted=True)
            if record is None or record.recording_id is None:
                return
            live = await tx.files_of(record.recording_id)
        if not live:  # the last copy is gone: its pending analysis has nothing to read
            self._cancelled.add(record.recording_id)

    async def _extract_metadata(
        self, delivery: Delivery, message: MetadataExtractionRequest
    ) -> None:
        async with self._catalog.transaction() as tx:
            files = await tx.files_of(message.recording_id)
        if not files:
            raise PermanentError(f"recording {message.recording_id} has no live file to read")
        tags = await anyio.to_thread.run_sync(worker.read_file_tags, files[0].path)
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                return
            if tags:
                await tx.set_tags(message.recording_id, tags, source="file")


def build(ports: Ports) -> AnalysisService:
    """The analysis service on ``ports``, configured by their settings."""
    settings = ports.settings
    workers = (
        settings.analysis_workers if settings.analysis_workers is not None else os.cpu_count() or 1
    )
    return AnalysisService(
        ports.bus,
        ports.catalog,
        AnalysisOptions(workers=workers, cache_path=settings.analysis_cache_path),
    )


def _executor(workers: int) -> Executor | None:
    if workers <= 0:
        return None
    return process_pool(workers, preload=worker.__name__)


def _start_workers(executor: Executor, workers: int) -> None:
    """Start the pool's fork server and worker processes (blocking: run in a thread)."""
    for future in [executor.submit(worker.algorithm_version) for _ in range(workers)]:
        future.result()


def _now() -> datetime:
    return datetime.now(UTC)


def _derived_id_uuid(message_id: str, purpose: str) -> UUID:
    return uuid.uuid5(_NAMESPACE, f"{message_id}/{purpose}")


def _derived_id(message_id: str, purpose: str) -> str:
    return str(_derived_id_uuid(message_id, purpose))
