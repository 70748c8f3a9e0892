"""The tracklist service: CUE generation, validation and conversion, and tracklists of mixes.

It consumes the topology's ``tracklist`` queues:

* ``cue.generation.single`` / ``cue.generation.batch``: render the latest version of a
  stored tracklist for one or several profiles, validate the bytes (against the audio when
  ``validate_audio``), write valid sheets atomically to the output directory, record them
  as catalog CUE files, and publish ``cue.generation.complete`` /
  ``cue.generation.batch.complete`` with the path, size, SHA-256, validation report and
  processing and queue times. A job that fails publishes ``success: false`` with the error.
* ``cue.validation``: validate a stored CUE file (and its audio); the report is the job's
  result in the catalog (the specification defines no reply message).
* ``cue.conversion``: convert a stored CUE file to another profile, written and recorded
  like a generated one; the job's result names the new file and what was dropped.
* ``tracklist.generate``: import a recorded mix's tracklist (sidecar CUE/text/M3U files, or
  a 1001tracklists URL in its tags), match it to the catalog and store it as a version.

Every request is a catalog job (the request's job id). Handlers record the message as
processed in the transaction that stores their effect; a redelivered generation request
republishes the stored reply under the same message id.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import anyio

from tracktion.contracts import (
    BatchCueGenerationComplete,
    BatchCueGenerationRequest,
    CueConversionRequest,
    CueFormat,
    CueFormatResult,
    CueGenerationComplete,
    CueGenerationRequest,
    CueValidationRequest,
    TracklistGenerationRequest,
    ValidationReport,
)
from tracktion.core.bus import Delivery, MessageBus, Subscription
from tracktion.core.cache import Cache
from tracktion.core.catalog import CatalogStore, CatalogTransaction, JobStatus
from tracktion.core.cue import CueError, convert_cue, parse_cue, validate_cue, write_cue
from tracktion.core.errors import PermanentError, TransientError
from tracktion.core.tracklists import (
    DEFAULT_THRESHOLD,
    DURATION_FEATURE,
    PROTECTED_HOST_MIN_INTERVAL_S,
    GeneratedCue,
    MatchResult,
    TracklistBlockedError,
    TracklistError,
    TracklistFetcher,
    TracklistFetchError,
    estimate_start_times,
    generate_cue,
    load_candidates,
    load_tracklist,
    match_tracklist,
    save_tracklist,
    write_generated_cue,
)

from ._tracklist_sources import find_tracklist
from .runtime import Ports

__all__ = ["SERVICE", "TracklistOptions", "TracklistService", "build"]

log = logging.getLogger("tracktion.services.tracklist")

SERVICE = "tracklist"
"""The consumer name of the topology's tracklist queues and of processed messages."""
_Reply = TypeVar("_Reply", CueGenerationComplete, BatchCueGenerationComplete)
_NAMESPACE = uuid.UUID("0b8f3c7e-5d0a-4a7c-9e61-3c2d8f1a4b55")


@dataclass(frozen=True, slots=True)
class TracklistOptions:
    """How the tracklist service works.

    Attributes:
        output_dir: Where generated and converted CUE files are written (created).
        page_cache_dir: The 1001tracklists page cache; ``None`` disables online sources.
        fetch_min_interval_s: Least pause between two page requests to one host (3 s at
            least for 1001tracklists.com, whatever is set).
        match_threshold: Least score, in [0, 1], for an entry to take a recording.
        drain_timeout_s: On shutdown, how long handlers in progress may take to finish.
    """

    output_dir: Path
    page_cache_dir: Path | None = None
    fetch_min_interval_s: float = PROTECTED_HOST_MIN_INTERVAL_S
    match_threshold: float = DEFAULT_THRESHOLD
    drain_timeout_s: float = 30.0


def _ms(seconds: float) -> float:
    return max(0.0, round(seconds * 1000.0, 3))


def _failure(fmt: CueFormat, error: str, report: ValidationReport | None = None) -> CueFormatResult:
    return CueFormatResult(format=fmt, success=False, error=error, validation_report=report)


class TracklistService:
    """Consumes the tracklist queues; see the module documentation."""

    def __init__(
        self,
        bus: MessageBus,
        catalog: CatalogStore,
        options: TracklistOptions,
        *,
        fetcher: TracklistFetcher | None = None,
        pacing: Cache | None = None,
    ) -> None:
        """Build the service; without a ``fetcher``, one is made when
        ``options.page_cache_dir`` is set, sharing the pause per host with every fetcher
        given the same ``pacing`` cache (the system's: see ``TracklistFetcher``)."""
        self._bus = bus
        self._catalog = catalog
        self._options = options
        self._fetcher = fetcher
        if fetcher is None and options.page_cache_dir is not None:
            self._fetcher = TracklistFetcher(
                cache_dir=options.page_cache_dir,
                min_interval_s=options.fetch_min_interval_s,
                pacing=pacing,
            )

    @property
    def fetcher(self) -> TracklistFetcher | None:
        """The fetcher of online tracklists (closed when :meth:`run` ends); ``None``:
        online sources are disabled."""
        return self._fetcher

    def queues(self) -> list[str]:
        """The queues this service consumes, from the bus's topology."""
        return [q.name for q in self._bus.topology.work_queues() if q.consumer == SERVICE]

    async def run(self) -> None:
        """Consume until cancelled; then let handlers in progress finish (or requeue them)."""
        subscriptions: list[Subscription] = []
        try:
            for queue in self.queues():  # one by one: a failure leaves the earlier to cancel
                subscription = await self._bus.subscribe(queue, self.handle, prefetch=4)
                subscriptions.append(subscription)
            log.info("tracklist: consuming %s", ", ".join(self.queues()))
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                for subscription in subscriptions:
                    await subscription.cancel(timeout=self._options.drain_timeout_s)
                if self._fetcher is not None:
                    await self._fetcher.aclose()

    async def handle(self, delivery: Delivery) -> None:
        """Handle one delivery of any of the service's queues."""
        match delivery.message:
            case CueGenerationRequest() as request:
                await self._generate_single(delivery, request)
            case BatchCueGenerationRequest() as batch:
                await self._generate_batch(delivery, batch)
            case CueValidationRequest() as validation:
                await self._validate(delivery, validation)
            case CueConversionRequest() as conversion:
                await self._convert(delivery, conversion)
            case TracklistGenerationRequest() as generation:
                await self._generate_tracklist(delivery, generation)
            case other:
                raise PermanentError(
                    f"the tracklist service does not handle {type(other).__name__}"
                )

    # -- CUE generation --------------------------------------------------------------------

    async def _generate_single(self, delivery: Delivery, request: CueGenerationRequest) -> None:
        started = time.monotonic()
        queue_ms = _ms((datetime.now(UTC) - request.timestamp).total_seconds())
        reply_id = uuid.uuid5(_NAMESPACE, f"{delivery.message_id}:complete")
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                reply = await self._stored_reply(tx, request.job_id, CueGenerationComplete)
            else:
                await _start_job(tx, request.job_id, "cue_generation", request)
                result = await self._produce(
                    tx,
                    request.tracklist_id,
                    request.format,
                    audio_path=request.audio_file_path,
                    validate_audio=request.validate_audio,
                )
                reply = CueGenerationComplete(
                    message_id=reply_id,
                    timestamp=datetime.now(UTC),
                    correlation_id=request.correlation_id,
                    priority=request.priority,
                    original_message_id=request.message_id,
                    job_id=request.job_id,
                    tracklist_id=request.tracklist_id,
                    **result.model_dump(exclude={"format"}),
                    processing_time_ms=_ms(time.monotonic() - started),
                    queue_time_ms=queue_ms,
                )
                await _finish_job(tx, request.job_id, result.success, reply, result.error)
        if reply is not None:
            await self._bus.publish(reply)

    async def _generate_batch(self, delivery: Delivery, request: BatchCueGenerationRequest) -> None:
        started = time.monotonic()
        queue_ms = _ms((datetime.now(UTC) - request.timestamp).total_seconds())
        reply_id = uuid.uuid5(_NAMESPACE, f"{delivery.message_id}:batch-complete")
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                reply = await self._stored_reply(
                    tx, request.batch_job_id, BatchCueGenerationComplete
                )
            else:
                await _start_job(tx, request.batch_job_id, "batch_cue_generation", request)
                results = [
                    await self._produce(
                        tx,
                        request.tracklist_id,
                        fmt,
                        audio_path=request.audio_file_path,
                        validate_audio=request.validate_audio,
                    )
                    for fmt in request.formats
                ]
                if not results:
                    results = [_failure(CueFormat.STANDARD, "the batch names no format")]
                success = all(result.success for result in results)
                reply = BatchCueGenerationComplete(
                    message_id=reply_id,
                    timestamp=datetime.now(UTC),
                    correlation_id=request.correlation_id,
                    priority=request.priority,
                    original_message_id=request.message_id,
                    batch_job_id=request.batch_job_id,
                    tracklist_id=request.tracklist_id,
                    success=success,
                    results=results,
                    processing_time_ms=_ms(time.monotonic() - started),
                    queue_time_ms=queue_ms,
                )
                errors = [f"{r.format.value}: {r.error}" for r in results if r.error]
                error = "; ".join(errors) or None
                await _finish_job(tx, request.batch_job_id, success, reply, error)
        if reply is not None:
            await self._bus.publish(reply)

    async def _stored_reply(
        self, tx: CatalogTransaction, job_id: UUID, kind: type[_Reply]
    ) -> _Reply | None:
        job = await tx.get_job(job_id)
        stored = job.result if job is not None and isinstance(job.result, dict) else {}
        reply = stored.get("reply")
        if reply is None:
            log.warning("tracklist: job %s has no stored reply to republish", job_id)
            return None
        return kind.model_validate(reply)

    async def _produce(
        self,
        tx: CatalogTransaction,
        tracklist_id: UUID,
        fmt: CueFormat,
        *,
        audio_path: str | None,
        validate_audio: bool,
    ) -> CueFormatResult:
        """Render, validate, write and record one sheet; a failure is a result, not raised."""
        try:
            stored = await load_tracklist(tx, tracklist_id)
        except TracklistError as exc:
            return _failure(fmt, str(exc))
        tracklist = stored.tracklist
        if not tracklist.is_fully_timed:
            durations = {}
            for entry in tracklist.entries:
                if entry.recording_id is not None:
                    found = await tx.get_analysis(entry.recording_id, DURATION_FEATURE)
                    value = found[DURATION_FEATURE].value if found else None
                    if isinstance(value, int | float) and value > 0:
                        durations[entry.recording_id] = float(value)
            tracklist = estimate_start_times(tracklist, durations)
        audio_file = audio_path or await self._mix_file(tx, stored.header.mix_recording_id)
        try:
            generated = await anyio.to_thread.run_sync(
                partial(
                    generate_cue,
                    tracklist,
                    profile=fmt.value,
                    audio_file=audio_file or f"{tracklist_id}.wav",
                    audio_path=audio_path if validate_audio else None,
                )
            )
        except TracklistError as exc:
            return _failure(fmt, str(exc))
        report = generated.report.to_contract()
        if not generated.is_valid:
            problems = "; ".join(str(issue) for issue in generated.report.errors[:5])
            return _failure(fmt, f"the {fmt.value} sheet is invalid: {problems}", report)
        path = self._options.output_dir / f"{tracklist_id}.v{stored.version}.{fmt.value}.cue"
        try:
            await anyio.to_thread.run_sync(partial(self._write, generated=generated, path=path))
        except TracklistError as exc:
            return _failure(fmt, str(exc), report)
        cue = await tx.add_cue_file(
            tracklist_id,
            version=stored.version,
            format=fmt,
            path=str(path),
            checksum_sha256=generated.checksum_sha256,
            size_bytes=generated.size_bytes,
        )
        return CueFormatResult(
            format=fmt,
            success=True,
            cue_file_id=cue.id,
            file_path=str(path),
            file_size=generated.size_bytes,
            checksum=generated.checksum_sha256,
            validation_report=report,
        )

    def _write(self, *, generated: GeneratedCue, path: Path) -> None:
        try:
            self._options.output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TracklistError(f"{self._options.output_dir}: {exc.strerror or exc}") from exc
        write_generated_cue(generated, path, overwrite=True)

    async def _mix_file(self, tx: CatalogTransaction, recording_id: UUID | None) -> str | None:
        if recording_id is None:
            return None
        files = await tx.files_of(recording_id)
        return files[0].path if files else None

    # -- validation and conversion ---------------------------------------------------------

    async def _validate(self, delivery: Delivery, request: CueValidationRequest) -> None:
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                return
            cue = await tx.get_cue_file(request.cue_file_id)
            if cue is None:
                raise PermanentError(f"no CUE file {request.cue_file_id} in the catalog")
            await _start_job(tx, request.validation_job_id, "cue_validation", request)
            try:
                data = await anyio.Path(cue.path).read_bytes()
            except OSError as exc:
                error = f"{cue.path}: cannot read: {exc.strerror or exc}"
                await _finish_job(tx, request.validation_job_id, False, None, error)
                return
            report = await anyio.to_thread.run_sync(
                partial(
                    validate_cue,
                    data,
                    profile=cue.format.value,
                    audio_path=request.audio_file_path,
                    source=cue.path,
                )
            )
            checksum = hashlib.sha256(data).hexdigest()
            result = {
                **report.to_dict(),
                "cue_file_id": str(cue.id),
                "checksum": checksum,
                "checksum_matches": checksum == cue.checksum_sha256,
            }
            await _finish_job(tx, request.validation_job_id, True, result, None)

    async def _convert(self, delivery: Delivery, request: CueConversionRequest) -> None:
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                return
            source = await tx.get_cue_file(request.source_cue_file_id)
            if source is None:
                raise PermanentError(f"no CUE file {request.source_cue_file_id} in the catalog")
            job_id = request.conversion_job_id
            await _start_job(tx, job_id, "cue_conversion", request)
            target = request.target_format
            path = self._options.output_dir / f"{Path(source.path).stem}.to-{target.value}.cue"
            try:
                data = await anyio.Path(source.path).read_bytes()
                converted = await anyio.to_thread.run_sync(
                    partial(_convert_and_write, data, source.path, target, path, request)
                )
            except (OSError, CueError) as exc:
                await _finish_job(tx, job_id, False, None, f"{source.path}: {exc}")
                return
            written, dropped = converted
            checksum = hashlib.sha256(written).hexdigest()
            cue = await tx.add_cue_file(
                source.tracklist_id,
                version=source.version,
                format=target,
                path=str(path),
                checksum_sha256=checksum,
                size_bytes=len(written),
            )
            result = {
                "cue_file_id": str(cue.id),
                "file_path": str(path),
                "file_size": len(written),
                "checksum": checksum,
                "format": target.value,
                "dropped": dropped,
            }
            await _finish_job(tx, job_id, True, result, None)

    # -- tracklists of mixes ---------------------------------------------------------------

    async def _generate_tracklist(
        self, delivery: Delivery, request: TracklistGenerationRequest
    ) -> None:
        if await self._catalog.is_processed(SERVICE, delivery.message_id):
            return
        job_id = uuid.uuid5(_NAMESPACE, f"{delivery.message_id}:tracklist")
        async with self._catalog.transaction() as tx:
            if await tx.get_recording(request.recording_id) is None:
                raise PermanentError(f"no recording {request.recording_id} in the catalog")
            mix_paths = [record.path for record in await tx.files_of(request.recording_id)]
            tag_values = [tag.value for tag in await tx.get_tags(request.recording_id)]
        matched: MatchResult | None = None
        warnings: list[str] = []
        error: str | None = None
        try:
            imported = await find_tracklist(
                request.source_hint,
                mix_paths=mix_paths,
                tag_values=tag_values,
                fetcher=self._fetcher,
            )
        except TracklistBlockedError as exc:
            error = str(exc)
        except TracklistFetchError as exc:
            raise TransientError(str(exc)) from exc
        except TracklistError as exc:
            error = str(exc)
        else:
            warnings = [str(warning) for warning in imported.warnings]
            candidates = await load_candidates(self._catalog)
            matched = match_tracklist(
                imported.tracklist, candidates, threshold=self._options.match_threshold
            )
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                return
            await _start_job(tx, job_id, "tracklist_generation", request)
            if matched is None:
                await _finish_job(tx, job_id, False, None, error)
                return
            tracklist = matched.tracklist
            stored = await save_tracklist(
                tx,
                tracklist,
                mix_recording_id=request.recording_id,
                note=f"generated from {tracklist.source}",
            )
            result = {
                "tracklist_id": str(stored.id),
                "version": stored.version,
                "source": tracklist.source,
                "entries": len(tracklist.entries),
                "matched": matched.matched,
                "warnings": warnings,
            }
            await _finish_job(tx, job_id, True, result, None)
        log.info("tracklist: stored tracklist %s for recording %s", stored.id, request.recording_id)


def _convert_and_write(
    data: bytes, source: str, target: CueFormat, path: Path, request: CueConversionRequest
) -> tuple[bytes, list[dict[str, Any]]]:
    parsed = parse_cue(data, source=source)
    sheet = parsed.sheet
    if not request.preserve_metadata:
        sheet = replace(
            sheet, rems=(), tracks=tuple(replace(track, rems=()) for track in sheet.tracks)
        )
    conversion = convert_cue(sheet if not request.preserve_metadata else parsed, to=target.value)
    path.parent.mkdir(parents=True, exist_ok=True)
    rendered = write_cue(conversion.sheet, path, target.value, overwrite=True)
    dropped = [change for change in conversion.to_dict()["changes"] if change["kind"] == "dropped"]
    return rendered.data, dropped


async def _start_job(tx: CatalogTransaction, job_id: UUID, kind: str, request: Any) -> None:
    if await tx.get_job(job_id) is None:
        await tx.create_job(
            kind,
            job_id=job_id,
            payload=request.model_dump(mode="json"),
            correlation_id=getattr(request, "correlation_id", None),
        )
    job = await tx.get_job(job_id)
    if job is not None and job.status is JobStatus.QUEUED:
        await tx.update_job(job_id, status=JobStatus.RUNNING)


async def _finish_job(
    tx: CatalogTransaction, job_id: UUID, success: bool, result: object, error: str | None
) -> None:
    job = await tx.get_job(job_id)
    if job is None or job.status.is_final:
        return
    stored: object = result
    if isinstance(result, CueGenerationComplete | BatchCueGenerationComplete):
        stored = {"reply": result.model_dump(mode="json")}
    await tx.update_job(
        job_id,
        status=JobStatus.SUCCEEDED if success else JobStatus.FAILED,
        result=stored,
        error=None if success else (error or "failed"),
    )


def build(ports: Ports) -> TracklistService:
    """The tracklist service on ``ports``: CUE files under ``<data dir>/cue``, pages cached
    under ``<data dir>/pages``, the pause per host kept with the API's fetcher (and every
    other tracklist worker's) through ``ports.cache``."""
    from .system import data_dir

    base = data_dir(ports.settings)
    return TracklistService(
        ports.bus,
        ports.catalog,
        TracklistOptions(output_dir=base / "cue", page_cache_dir=base / "pages"),
        pacing=ports.cache,
    )
