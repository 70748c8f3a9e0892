"""The rename service: proposals after analysis, safe renames on request, pattern analysis
and feedback.

It consumes the topology's queues whose consumer is ``rename``:

* ``analysis.complete`` (``rename_queue``): builds a proposal for the analyzed file from
  its catalog tags and the analysis (the template the user's feedback ranks best, else
  the configured one), stores it, and publishes ``rename.generated`` once committed;
* ``rename.request`` (``file_rename.request``): renames one file to the suggested name
  through the catalog journal (no overwrite, crash-safe), moves its catalog record, and
  answers ``rename.response`` (``success: false`` with the reason when it cannot);
* ``rename.pattern.analyze`` (``file_rename.pattern``): infers the files' naming
  patterns; the specification defines no reply, so the report is stored as the result of
  a ``rename.pattern`` job with the request's correlation id (and logged);
* ``rename.feedback`` (``file_rename.feedback``): stores the verdict as a
  ``rename.feedback`` job (the catalog has no feedback table), approves or rejects the
  proposal, and so ranks templates and teaches the parser the user's names.

At start it settles rename batches a crash interrupted (rolled back).
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import anyio

from tracktion.contracts import (
    AnalysisCompleteEvent,
    FeedbackType,
    PatternAnalysisRequest,
    RenameFeedback,
    RenameGeneratedEvent,
    RenameRequest,
    RenameResponse,
)
from tracktion.core.bus import Delivery, MessageBus, Subscription, idempotent
from tracktion.core.catalog import (
    CatalogConflictError,
    CatalogStore,
    CatalogTransaction,
    JobStatus,
    JournalState,
    RenameProposal,
    RenameStatus,
)
from tracktion.core.errors import PermanentError, TransientError
from tracktion.core.rename import (
    PRESETS,
    Applier,
    CatalogJournal,
    FeedbackRecord,
    FieldValue,
    Move,
    NamePattern,
    ProposalOptions,
    ProposalStatus,
    RenameError,
    SanitizeOptions,
    Template,
    TrackInfo,
    analyze_names,
    learned_patterns,
    plan_renames,
    rank_templates,
    resolve_template,
    sanitize_parts,
    split_extension,
)

from .runtime import Ports

__all__ = [
    "FEEDBACK_JOB",
    "PATTERN_JOB",
    "SERVICE",
    "RenameService",
    "RenameServiceOptions",
    "build",
    "feedback_records",
    "fields_from_tags",
    "key_formatter",
    "library_root_of",
]

log = logging.getLogger("tracktion.services.rename")

SERVICE: Final = "rename"
"""The consumer name of the rename queues and of processed messages."""
FEEDBACK_JOB: Final = "rename.feedback"
"""The job type that stores a feedback verdict (payload: the verdict and its proposal)."""
PATTERN_JOB: Final = "rename.pattern"
"""The job type that stores a pattern analysis (result: the report)."""
_NAMESPACE: Final = uuid.UUID("5d0c8f63-3f0e-4a43-9a59-8e2b8a1f4c21")
_NUMERIC: Final = frozenset({"year", "track", "bpm", "energy"})
_TAG_NAMES: Final[Mapping[str, str]] = {"album_artist": "albumartist"}
_FEEDBACK_PAGE: Final = 500
_FEEDBACK_LIMIT: Final = 5000


def key_formatter(key: str, notation: str) -> str:
    """Keys in any notation through :mod:`tracktion.audio.notation`; ``camelot_sortable``
    is the zero-padded Camelot code (``08A``)."""
    from tracktion.audio.notation import camelot_sortable, format_key

    if notation == "camelot_sortable":
        return camelot_sortable(key)
    return format_key(key, notation)


def fields_from_tags(tags: Mapping[str, Any]) -> dict[str, FieldValue]:
    """Template fields from tag values by name (``album_artist`` -> ``albumartist``;
    ``year``, ``track``, ``bpm`` as numbers when they read as one)."""
    fields: dict[str, FieldValue] = {}
    for name, value in tags.items():
        key = _TAG_NAMES.get(name, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key in _NUMERIC and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                continue
            fields[key] = int(number) if number.is_integer() else number
        elif isinstance(value, str | int | float):
            fields[key] = value
    return fields


def library_root_of(path: str, roots: Sequence[str]) -> str:
    """The configured library root holding ``path`` (the deepest), else its folder."""
    absolute = os.path.abspath(path)
    holding = [
        os.path.abspath(root)
        for root in roots
        if os.path.commonpath([os.path.abspath(root), absolute]) == os.path.abspath(root)
    ]
    return max(holding, key=len) if holding else os.path.dirname(absolute)


@dataclass(frozen=True, slots=True)
class RenameServiceOptions:
    """How the rename service works.

    Attributes:
        template: A template or preset name for proposals when feedback ranks none higher.
        library_roots: The library folders; targets must stay inside the one holding the
            file (a file outside them is renamed only within its own folder).
        sanitize: The file-system profile of new names.
        key_notation: The notation of a plain ``{key}``.
        sidecars: Move same-stem ``.cue``/``.lrc``/``.jpg``... files along.
        learn: Pick the template the user's feedback ranks best, and read names with the
            patterns learned from their modifications.
        prefetch: Messages handled at once per queue.
        drain_timeout_s: How long in-flight messages may finish on shutdown.
    """

    template: str = PRESETS["artist-title-mix"]
    library_roots: tuple[str, ...] = ()
    sanitize: SanitizeOptions = field(default_factory=SanitizeOptions)
    key_notation: str = "camelot_sortable"
    sidecars: bool = True
    learn: bool = True
    prefetch: int = 8
    drain_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        resolve_template(self.template)  # a syntax error surfaces at start-up, not per file


class RenameService:
    """The rename service (see the module documentation)."""

    def __init__(
        self, bus: MessageBus, catalog: CatalogStore, options: RenameServiceOptions | None = None
    ) -> None:
        self._bus = bus
        self._catalog = catalog
        self._options = options or RenameServiceOptions()
        self._journal = CatalogJournal(catalog)
        self._patterns = idempotent(catalog, SERVICE, self._pattern)
        self._feedback = idempotent(catalog, SERVICE, self._on_feedback)

    @property
    def queues(self) -> list[str]:
        """The queues this service consumes, from the bus's topology."""
        return [q.name for q in self._bus.topology.work_queues() if q.consumer == SERVICE]

    async def run(self) -> None:
        """Settle interrupted batches, then consume until cancelled; then let handlers in
        progress finish (or requeue)."""
        await self.recover()
        subscriptions: list[Subscription] = []
        try:
            for queue in self.queues:  # one by one: a failure leaves the earlier ones to cancel
                subscription = await self._bus.subscribe(
                    queue, self.handle, prefetch=self._options.prefetch
                )
                subscriptions.append(subscription)
            log.info("rename: consuming %s", ", ".join(self.queues))
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                for subscription in subscriptions:
                    await subscription.cancel(timeout=self._options.drain_timeout_s)

    async def recover(self) -> list[uuid.UUID]:
        """Roll back every rename batch a crash left unfinished; returns their ids.

        Raises ``RecoveryError`` when a batch's files match neither side of a step."""
        # Recovery moves only what the journal names, so the root plays no part.
        settled = await Applier(self._journal, os.sep).recover()
        for batch in settled:
            log.warning("rename: rolled back interrupted batch %s", batch.batch_id)
        return [batch.batch_id for batch in settled]

    async def handle(self, delivery: Delivery) -> None:
        """Handle one delivery (each kind idempotent by ``message_id``).

        Raises ``PermanentError`` for messages that can never succeed (after publishing
        the failure reply where the specification has one).
        """
        message = delivery.message
        if isinstance(message, AnalysisCompleteEvent):
            await self._on_analysis(delivery, message)
        elif isinstance(message, RenameRequest):
            await self._on_request(delivery, message)
        elif isinstance(message, PatternAnalysisRequest):
            await self._patterns(delivery)
        elif isinstance(message, RenameFeedback):
            await self._feedback(delivery)
        else:
            raise PermanentError(f"the rename service does not take {type(message).__name__}")

    # -- proposals after analysis ------------------------------------------------------------

    async def _on_analysis(self, delivery: Delivery, message: AnalysisCompleteEvent) -> None:
        event_id = str(uuid.uuid5(_NAMESPACE, f"generated\0{delivery.message_id}"))
        async with self._catalog.transaction() as tx:
            if not await tx.mark_processed(SERVICE, delivery.message_id):
                event = await self._latest_event(tx, message)
            else:
                event = await self._propose(tx, message)
        if event is not None:  # published after the commit; a redelivery republishes
            await self._bus.publish(event, message_id=event_id)

    async def _propose(
        self, tx: CatalogTransaction, message: AnalysisCompleteEvent
    ) -> RenameGeneratedEvent | None:
        record = await tx.get_file(message.file_path)
        if record is None:
            raise PermanentError(f"no live file {message.file_path!r} in the catalog")
        tags = {tag.key: tag.value for tag in await tx.get_tags(record.recording_id)}
        results = message.results
        analysis: dict[str, FieldValue] = {
            "bpm": results.bpm,
            "key": results.camelot or results.key,
            "energy": results.energy_level,
        }
        template, patterns = await self._choices(tx)
        info = TrackInfo(
            message.file_path, fields_from_tags(tags), analysis, record.id, record.recording_id
        )
        root = library_root_of(message.file_path, self._options.library_roots)
        [proposal] = plan_renames([info], template, root, self._proposal_options(patterns))
        if proposal.status is ProposalStatus.UNCHANGED:
            log.info("rename: %s already has its name", message.file_path)
            return None
        stored = await tx.propose_rename(
            record.id,
            proposal.new_path,
            template=template.source,
            fields=dict(proposal.fields),
            confidence=proposal.confidence,
            reasons=proposal.reasons,
        )
        if proposal.status is ProposalStatus.REJECTED:
            await tx.set_rename_status(stored.id, RenameStatus.REJECTED, reason=proposal.conflict)
        return self._event(stored, message)

    async def _latest_event(
        self, tx: CatalogTransaction, message: AnalysisCompleteEvent
    ) -> RenameGeneratedEvent | None:
        record = await tx.get_file(message.file_path)
        if record is None:
            return None
        proposals = await tx.list_rename_proposals(file_id=record.id, limit=1000)
        if not proposals:
            return None
        return self._event(proposals[-1], message)

    @staticmethod
    def _event(stored: RenameProposal, message: AnalysisCompleteEvent) -> RenameGeneratedEvent:
        return RenameGeneratedEvent(
            proposal_id=stored.id,
            recording_id=message.recording_id,
            original_path=stored.old_path,
            proposed_path=stored.new_path,
            template=stored.template,
            confidence=stored.confidence,
            correlation_id=message.correlation_id,
            timestamp=datetime.now(UTC),
        )

    def _proposal_options(self, patterns: Sequence[NamePattern]) -> ProposalOptions:
        return ProposalOptions(
            sanitize=self._options.sanitize,
            key_formatter=key_formatter,
            key_notation=self._options.key_notation,
            patterns=tuple(patterns),
            sidecars=self._options.sidecars,
        )

    async def _choices(self, tx: CatalogTransaction) -> tuple[Template, list[NamePattern]]:
        configured = resolve_template(self._options.template)
        if not self._options.learn:
            return configured, []
        records = await feedback_records(tx)
        if not records:
            return configured, []
        ranked = rank_templates(records, [configured.source, *PRESETS.values()])
        best = ranked[0]
        template = resolve_template(best.template) if best.votes else configured
        return template, learned_patterns(records)

    # -- renames on request ------------------------------------------------------------------

    async def _on_request(self, delivery: Delivery, message: RenameRequest) -> None:
        batch_id = uuid.uuid5(_NAMESPACE, f"request\0{delivery.message_id}")
        reply_id = str(uuid.uuid5(_NAMESPACE, f"response\0{delivery.message_id}"))
        entries = await self._journal.entries(batch_id)
        if entries and all(e.state is JournalState.DONE for e in entries):
            moved = [e for e in entries if e.old_path == message.file_path]
            await self._reply(message, reply_id, new_path=moved[0].new_path if moved else None)
            return
        if any(e.state is JournalState.PLANNED for e in entries):
            raise TransientError(f"rename batch {batch_id} is being applied")
        try:
            new_path = self._target(message)
            root = library_root_of(message.file_path, self._options.library_roots)
            moves = [Move(message.file_path, new_path)]
            if self._options.sidecars:
                stem = os.path.splitext(new_path)[0]
                folder = os.path.dirname(message.file_path)
                old_stem = os.path.splitext(os.path.basename(message.file_path))[0]
                for name in sorted(os.listdir(folder)):
                    side_stem, ext = os.path.splitext(name)
                    if side_stem == old_stem and ext.lower() in _SIDECARS:
                        moves.append(Move(os.path.join(folder, name), stem + ext))
            if message.options.backup_original:
                _backup(message.file_path)
            await Applier(self._journal, root).apply(moves, batch_id=batch_id)
        except (RenameError, OSError) as exc:
            error = str(exc) or type(exc).__name__
            await self._reply(message, reply_id, error=error)
            raise PermanentError(f"cannot rename {message.file_path!r}: {error}") from exc
        await self._reply(message, reply_id, new_path=new_path)

    def _target(self, message: RenameRequest) -> str:
        path = message.file_path
        if not os.path.isfile(path):
            raise RenameError(f"{path!r} is not a file")
        suggested = message.suggested_name.replace("\\", "/")
        if suggested.startswith("/") or any(p == ".." for p in suggested.split("/")):
            raise RenameError(f"the suggested name {message.suggested_name!r} leaves the folder")
        parts = [part for part in suggested.split("/") if part not in ("", ".")]
        _, ext = split_extension(os.path.basename(path))
        if not parts:
            raise RenameError(f"the suggested name {message.suggested_name!r} is empty")
        keep = message.options.preserve_extension and ext
        if keep and split_extension(parts[-1])[1].lower() != ext.lower():
            parts[-1] += ext
        safe = sanitize_parts(parts, self._options.sanitize)
        return os.path.join(os.path.dirname(os.path.abspath(path)), *safe)

    async def _reply(
        self,
        message: RenameRequest,
        reply_id: str,
        *,
        new_path: str | None = None,
        error: str | None = None,
    ) -> None:
        response = RenameResponse(
            original_path=message.file_path,
            new_path=new_path,
            success=error is None,
            error=error,
            correlation_id=message.correlation_id,
        )
        await self._bus.publish(response, message_id=reply_id)

    # -- pattern analysis and feedback -------------------------------------------------------

    async def _pattern(self, delivery: Delivery, tx: CatalogTransaction) -> None:
        message = delivery.message
        assert isinstance(message, PatternAnalysisRequest)
        patterns = learned_patterns(await feedback_records(tx)) if self._options.learn else []
        report = analyze_names(list(message.file_paths), patterns).to_dict()
        if not message.options.detect_patterns:
            report.pop("groups")
        if not message.options.suggest_improvements:
            report.pop("suggested_template")
        job_id = uuid.uuid5(_NAMESPACE, f"pattern\0{delivery.message_id}")
        await tx.create_job(
            PATTERN_JOB,
            payload={"file_count": len(message.file_paths)},
            correlation_id=message.correlation_id,
            job_id=job_id,
        )
        await tx.update_job(job_id, status=JobStatus.SUCCEEDED, result=report)
        log.info(
            "rename: patterns of %d files: %s (coverage %.0f%%)",
            report["total"],
            report["dominant"],
            100 * float(str(report["coverage"])),
        )

    async def _on_feedback(self, delivery: Delivery, tx: CatalogTransaction) -> None:
        message = delivery.message
        assert isinstance(message, RenameFeedback)
        proposal = await tx.get_rename_proposal(message.rename_id)
        if proposal is None:
            raise PermanentError(f"feedback on unknown rename proposal {message.rename_id}")
        chosen = message.message.strip() if message.feedback_type is FeedbackType.MODIFIED else ""
        job_id = uuid.uuid5(_NAMESPACE, f"feedback\0{delivery.message_id}")
        await tx.create_job(
            FEEDBACK_JOB,
            payload={
                "rename_id": str(message.rename_id),
                "feedback_type": message.feedback_type.value,
                "user_rating": message.user_rating,
                "message": message.message,
                "chosen_name": chosen or None,
                "template": proposal.template,
                "fields": dict(proposal.fields),
                "old_path": proposal.old_path,
                "new_path": proposal.new_path,
            },
            correlation_id=message.correlation_id,
            job_id=job_id,
        )
        await tx.update_job(job_id, status=JobStatus.SUCCEEDED)
        status = {
            FeedbackType.ACCEPTED: RenameStatus.APPROVED,
            FeedbackType.REJECTED: RenameStatus.REJECTED,
        }.get(message.feedback_type)
        if status is not None and proposal.status is not status:
            try:
                await tx.set_rename_status(proposal.id, status, reason=message.message or None)
            except CatalogConflictError:
                log.info("rename: proposal %s is %s; feedback kept", proposal.id, proposal.status)


_SIDECARS: Final = frozenset({".cue", ".lrc", ".jpg", ".jpeg", ".png", ".nfo", ".txt"})


def _backup(path: str) -> None:
    """Copy ``path`` to ``path.bak`` (never over an existing file)."""
    target = path + ".bak"
    with open(path, "rb") as source, open(target, "xb") as copy:
        shutil.copyfileobj(source, copy)
    shutil.copystat(path, target)


async def feedback_records(tx: CatalogTransaction) -> list[FeedbackRecord]:
    """Every stored feedback verdict (up to the 5,000 oldest), for ranking and learning."""
    records: list[FeedbackRecord] = []
    offset = 0
    while offset < _FEEDBACK_LIMIT:
        jobs = await tx.list_jobs(type=FEEDBACK_JOB, limit=_FEEDBACK_PAGE, offset=offset)
        for job in jobs:
            payload = job.payload
            rating = payload.get("user_rating")
            fields = payload.get("fields")
            records.append(
                FeedbackRecord(
                    template=str(payload.get("template", "")),
                    feedback=FeedbackType(str(payload.get("feedback_type"))),
                    rating=rating if isinstance(rating, int) else None,
                    chosen_name=str(payload["chosen_name"]) if payload.get("chosen_name") else None,
                    fields=fields_from_tags(fields) if isinstance(fields, dict) else {},
                )
            )
        if len(jobs) < _FEEDBACK_PAGE:
            break
        offset += _FEEDBACK_PAGE
    return records


def build(ports: Ports) -> RenameService:
    """The rename service on ``ports`` (library roots from the settings)."""
    options = RenameServiceOptions(library_roots=tuple(ports.settings.library_roots))
    return RenameService(ports.bus, ports.catalog, options)
