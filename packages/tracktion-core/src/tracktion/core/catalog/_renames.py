"""Rename proposals and the rename journal.

A proposal is a suggestion for one file that a user or a policy approves or rejects. The
journal is what makes applying approved renames crash-safe: a batch is written as
``planned`` steps before any file moves, each step is marked ``done`` right after its
move, and ``undone`` when rolled back, so after a crash the steps still ``planned`` say
exactly which moves may or may not have happened and must be checked on disk.

Status changes are checked against the allowed transitions while the row is locked
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions hold the database
lock), so two workers cannot both apply one proposal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Row, func, insert, select, update

from . import _checks
from ._base import RepositoryBase
from .errors import CatalogConflictError, CatalogInputError, CatalogNotFoundError
from .records import (
    MAX_PATH_LENGTH,
    JournalEntry,
    JournalState,
    JournalStep,
    RenameProposal,
    RenameStatus,
)
from .schema import files, rename_journal, rename_proposals

__all__ = ["RenamesRepository"]

_PROPOSAL_MOVES: Mapping[RenameStatus, frozenset[RenameStatus]] = {
    RenameStatus.PROPOSED: frozenset({RenameStatus.APPROVED, RenameStatus.REJECTED}),
    RenameStatus.APPROVED: frozenset(
        {RenameStatus.APPLIED, RenameStatus.FAILED, RenameStatus.REJECTED}
    ),
    RenameStatus.FAILED: frozenset({RenameStatus.APPROVED, RenameStatus.REJECTED}),
    RenameStatus.REJECTED: frozenset({RenameStatus.APPROVED}),
    RenameStatus.APPLIED: frozenset(),
}

_JOURNAL_MOVES: Mapping[JournalState, frozenset[JournalState]] = {
    JournalState.PLANNED: frozenset({JournalState.DONE, JournalState.UNDONE}),
    JournalState.DONE: frozenset({JournalState.UNDONE}),
    JournalState.UNDONE: frozenset(),
}


def _proposal(row: Row[Any]) -> RenameProposal:
    return RenameProposal(
        id=row.id,
        file_id=row.file_id,
        recording_id=row.recording_id,
        old_path=row.old_path,
        new_path=row.new_path,
        template=row.template,
        fields=row.fields,
        confidence=row.confidence,
        reasons=tuple(row.reasons),
        status=RenameStatus(row.status),
        status_reason=row.status_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _entry(row: Row[Any]) -> JournalEntry:
    return JournalEntry(
        batch_id=row.batch_id,
        step=row.step,
        old_path=row.old_path,
        new_path=row.new_path,
        proposal_id=row.proposal_id,
        state=JournalState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class RenamesRepository(RepositoryBase):
    """Rename proposals and the crash-safe rename journal (mixin of the unit of work)."""

    # -- proposals -------------------------------------------------------------------------

    async def propose_rename(
        self,
        file_id: UUID,
        new_path: str,
        *,
        template: str,
        fields: Mapping[str, object],
        confidence: float,
        reasons: Sequence[str] = (),
    ) -> RenameProposal:
        """Propose moving a live file to ``new_path``; the proposal records the file's
        current path and recording, the naming ``template``, the ``fields`` it was filled
        with, a ``confidence`` in [0, 1] and human-readable ``reasons``. Raises
        ``CatalogNotFoundError`` if the file is not live, ``CatalogInputError`` for invalid
        values."""
        _checks.text(new_path, "new_path", max_length=MAX_PATH_LENGTH)
        _checks.text(template, "template")
        plain_fields = _checks.json_value(fields, "fields")
        if not isinstance(plain_fields, dict):
            raise CatalogInputError("fields must be a mapping of field names to values")
        confidence = _checks.probability(confidence, "confidence")
        if isinstance(reasons, str):
            raise CatalogInputError("reasons must be a sequence of strings, not one string")
        plain_reasons = [_checks.text(reason, "reason") for reason in reasons]
        found = await self._execute(
            select(files.c.path, files.c.recording_id).where(
                files.c.id == file_id, files.c.deleted_at.is_(None)
            )
        )
        target = found.first()
        if target is None:
            raise CatalogNotFoundError(f"no live file {file_id} to propose a rename for")
        proposal_id = uuid4()
        now = self._now()
        await self._execute(
            insert(rename_proposals).values(
                id=proposal_id,
                file_id=file_id,
                recording_id=target.recording_id,
                old_path=target.path,
                new_path=new_path,
                template=template,
                fields=plain_fields,
                confidence=confidence,
                reasons=plain_reasons,
                status=RenameStatus.PROPOSED.value,
                status_reason=None,
                created_at=now,
                updated_at=now,
            )
        )
        return RenameProposal(
            proposal_id,
            file_id,
            target.recording_id,
            target.path,
            new_path,
            template,
            plain_fields,
            confidence,
            tuple(plain_reasons),
            RenameStatus.PROPOSED,
            None,
            now,
            now,
        )

    async def get_rename_proposal(self, proposal_id: UUID) -> RenameProposal | None:
        """The proposal with this id."""
        result = await self._execute(
            select(rename_proposals).where(rename_proposals.c.id == proposal_id)
        )
        row = result.first()
        return None if row is None else _proposal(row)

    async def list_rename_proposals(
        self,
        *,
        status: RenameStatus | str | None = None,
        file_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RenameProposal]:
        """Proposals, oldest first; only those in ``status`` / for ``file_id`` when given."""
        limit, offset = _checks.page(limit, offset)
        query = select(rename_proposals)
        if status is not None:
            query = query.where(
                rename_proposals.c.status == _checks.member(RenameStatus, status, "status").value
            )
        if file_id is not None:
            query = query.where(rename_proposals.c.file_id == file_id)
        result = await self._execute(
            query.order_by(rename_proposals.c.created_at, rename_proposals.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_proposal(row) for row in result]

    async def set_rename_status(
        self, proposal_id: UUID, status: RenameStatus | str, *, reason: str | None = None
    ) -> RenameProposal:
        """Move a proposal to ``status`` (see :class:`RenameStatus` for the allowed moves),
        with an optional ``reason`` (why it was rejected or failed). Setting the status it
        already has is a no-op. Raises ``CatalogNotFoundError`` for an unknown proposal and
        ``CatalogConflictError`` for a move its current status does not allow."""
        status = _checks.member(RenameStatus, status, "status")
        _checks.optional_text(reason, "reason")
        found = await self._execute(
            select(rename_proposals).where(rename_proposals.c.id == proposal_id).with_for_update()
        )
        row = found.first()
        if row is None:
            raise CatalogNotFoundError(f"no rename proposal {proposal_id}")
        current = RenameStatus(row.status)
        if current == status:
            return _proposal(row)
        if status not in _PROPOSAL_MOVES[current]:
            raise CatalogConflictError(
                f"rename proposal {proposal_id} is {current.value}; it cannot become {status.value}"
            )
        result = await self._execute(
            update(rename_proposals)
            .where(rename_proposals.c.id == proposal_id)
            .values(status=status.value, status_reason=reason, updated_at=self._now())
            .returning(*rename_proposals.c)
        )
        return _proposal(result.one())

    # -- journal ---------------------------------------------------------------------------

    async def append_journal(
        self, batch_id: UUID, steps: Sequence[JournalStep]
    ) -> list[JournalEntry]:
        """Append ``steps`` to a batch's journal as ``planned``, numbered after its last
        step (from 0 for a new batch). Write them, commit, and only then move files."""
        checked = list(steps)
        for step in checked:
            if not isinstance(step, JournalStep):
                raise CatalogInputError(f"expected a JournalStep, got {type(step).__name__}")
        if not checked:
            return []
        found = await self._execute(
            select(func.max(rename_journal.c.step)).where(rename_journal.c.batch_id == batch_id)
        )
        last = found.scalar_one_or_none()
        first = 0 if last is None else last + 1
        now = self._now()
        entries = [
            JournalEntry(
                batch_id,
                first + index,
                step.old_path,
                step.new_path,
                step.proposal_id,
                JournalState.PLANNED,
                now,
                now,
            )
            for index, step in enumerate(checked)
        ]
        # Two writers appending to one batch collide on (batch_id, step): a conflict, not
        # a silent interleaving.
        await self._execute(
            insert(rename_journal),
            [
                {
                    "batch_id": entry.batch_id,
                    "step": entry.step,
                    "proposal_id": entry.proposal_id,
                    "old_path": entry.old_path,
                    "new_path": entry.new_path,
                    "state": entry.state.value,
                    "created_at": now,
                    "updated_at": now,
                }
                for entry in entries
            ],
        )
        return entries

    async def journal(self, batch_id: UUID) -> list[JournalEntry]:
        """A batch's steps in order (empty for an unknown batch)."""
        result = await self._execute(
            select(rename_journal)
            .where(rename_journal.c.batch_id == batch_id)
            .order_by(rename_journal.c.step)
        )
        return [_entry(row) for row in result]

    async def set_journal_state(
        self, batch_id: UUID, step: int, state: JournalState | str
    ) -> JournalEntry:
        """Mark one step ``done`` (after its move) or ``undone`` (after moving it back, or
        abandoning it before it ran). Setting the state it already has is a no-op, so
        recovery can replay. Raises ``CatalogNotFoundError`` for an unknown step and
        ``CatalogConflictError`` for a move back (``done`` -> ``planned``)."""
        state = _checks.member(JournalState, state, "state")
        _checks.non_negative(step, "step")
        found = await self._execute(
            select(rename_journal)
            .where(rename_journal.c.batch_id == batch_id, rename_journal.c.step == step)
            .with_for_update()
        )
        row = found.first()
        if row is None:
            raise CatalogNotFoundError(f"no step {step} in rename batch {batch_id}")
        current = JournalState(row.state)
        if current == state:
            return _entry(row)
        if state not in _JOURNAL_MOVES[current]:
            raise CatalogConflictError(
                f"step {step} of rename batch {batch_id} is {current.value}; it cannot "
                f"become {state.value}"
            )
        result = await self._execute(
            update(rename_journal)
            .where(rename_journal.c.batch_id == batch_id, rename_journal.c.step == step)
            .values(state=state.value, updated_at=self._now())
            .returning(*rename_journal.c)
        )
        return _entry(result.one())

    async def incomplete_batches(self) -> list[UUID]:
        """Batches with a step still ``planned``: after a crash, the ones to recover."""
        result = await self._execute(
            select(rename_journal.c.batch_id)
            .where(rename_journal.c.state == JournalState.PLANNED.value)
            .group_by(rename_journal.c.batch_id)
            .order_by(func.min(rename_journal.c.created_at), rename_journal.c.batch_id)
        )
        return [row.batch_id for row in result]
