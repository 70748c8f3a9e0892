"""Where a rename batch is written down before anything moves.

A batch is a list of steps, each a move ``old_path -> new_path`` or, when the two are
equal, the creation of the folder ``new_path``. Steps start ``planned``, become ``done``
right after their effect, and ``undone`` when rolled back. Two journals:

- :class:`CatalogJournal`: the catalog's ``rename_journal`` table. Marking a step also
  moves the catalog's file record (and marks its proposal applied) in the same
  transaction, so the catalog and the disk never disagree for long.
- :class:`FileJournal`: an append-only JSON-lines file, flushed and ``fsync``-ed after
  every write; for tools and libraries without a catalog.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from ..catalog import (
    CatalogStore,
    CatalogTransaction,
    JournalEntry,
    JournalState,
    JournalStep,
    RenameStatus,
)
from ..catalog.errors import CatalogConflictError

__all__ = ["CatalogJournal", "FileJournal", "Journal", "is_folder_step"]


def is_folder_step(entry: JournalEntry | JournalStep) -> bool:
    """Whether the step creates a folder (``old_path == new_path``) instead of moving."""
    return entry.old_path == entry.new_path


class Journal(Protocol):
    """The journal port of :mod:`tracktion.core.rename.apply`."""

    async def append(self, batch_id: UUID, steps: Sequence[JournalStep]) -> list[JournalEntry]:
        """Write ``steps`` as ``planned`` (durably) and return them numbered."""
        ...

    async def mark(self, entry: JournalEntry, state: JournalState) -> None:
        """Durably record that ``entry`` reached ``state`` (repeating a state is a no-op)."""
        ...

    async def entries(self, batch_id: UUID) -> list[JournalEntry]:
        """A batch's steps in order (empty for an unknown batch)."""
        ...

    async def incomplete(self) -> list[UUID]:
        """Batches with a step still ``planned``: the ones to recover after a crash."""
        ...


class CatalogJournal:
    """The journal in the catalog database (see the module documentation).

    Args:
        store: The catalog.
        update_files: Move the catalog's file records along with the files.
    """

    def __init__(self, store: CatalogStore, *, update_files: bool = True) -> None:
        self.store = store
        self.update_files = update_files

    async def append(self, batch_id: UUID, steps: Sequence[JournalStep]) -> list[JournalEntry]:
        async with self.store.transaction() as tx:
            return await tx.append_journal(batch_id, steps)

    async def mark(self, entry: JournalEntry, state: JournalState) -> None:
        async with self.store.transaction() as tx:
            await tx.set_journal_state(entry.batch_id, entry.step, state)
            if not self.update_files or is_folder_step(entry):
                return
            # Both moves are no-ops when replayed: they need a live record at the source.
            if state is JournalState.DONE:
                await _move_record(tx, entry.old_path, entry.new_path)
                await _mark_applied(tx, entry.proposal_id)
            elif state is JournalState.UNDONE:
                await _move_record(tx, entry.new_path, entry.old_path)

    async def entries(self, batch_id: UUID) -> list[JournalEntry]:
        async with self.store.transaction() as tx:
            return await tx.journal(batch_id)

    async def incomplete(self) -> list[UUID]:
        async with self.store.transaction() as tx:
            return await tx.incomplete_batches()


async def _move_record(tx: CatalogTransaction, old: str, new: str) -> None:
    if await tx.get_file(old) is not None:
        await tx.move_file(old, new, datetime.now(UTC))


async def _mark_applied(tx: CatalogTransaction, proposal_id: UUID | None) -> None:
    if proposal_id is None:
        return
    proposal = await tx.get_rename_proposal(proposal_id)
    if proposal is None or proposal.status is RenameStatus.APPLIED:
        return
    try:
        if proposal.status is not RenameStatus.APPROVED:
            await tx.set_rename_status(proposal_id, RenameStatus.APPROVED)
        await tx.set_rename_status(proposal_id, RenameStatus.APPLIED)
    except CatalogConflictError:
        pass  # a proposal changed meanwhile keeps its status; the file did move


class FileJournal:
    """A journal in one JSON-lines file, ``fsync``-ed after every write.

    One process writes a journal at a time: the file is read once, when first needed
    (after a restart: the state a crash left), and kept in memory with every write.

    Args:
        path: The journal file (created when missing; its folder must exist).
        durable: ``fsync`` after every write (turn off only for tests of logic).
    """

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.path = os.fspath(path)
        self.durable = durable
        self._batches: dict[UUID, dict[int, JournalEntry]] | None = None

    def _state(self) -> dict[UUID, dict[int, JournalEntry]]:
        if self._batches is None:
            self._batches = self._load()
        return self._batches

    def _write(self, records: Sequence[dict[str, object]]) -> None:
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        with open(self.path, "a+b") as file:
            if file.tell() > 0:
                file.seek(-1, os.SEEK_END)
                if file.read(1) != b"\n":
                    text = "\n" + text  # end a line a crash cut short; it is skipped
            file.write(text.encode())
            file.flush()
            if self.durable:
                os.fsync(file.fileno())

    def _load(self) -> dict[UUID, dict[int, JournalEntry]]:
        batches: dict[UUID, dict[int, JournalEntry]] = {}
        try:
            with open(self.path, encoding="utf-8") as file:
                lines = file.readlines()
        except FileNotFoundError:
            return batches
        now = datetime.now(UTC)
        for line in lines:
            try:
                record = json.loads(line) if line.endswith("\n") else None
            except ValueError:
                record = None
            if not isinstance(record, dict):
                continue  # a write cut short by a crash: it never completed
            batch = UUID(record["batch"])
            steps = batches.setdefault(batch, {})
            step = int(record["step"])
            state = JournalState(record["state"])
            if "old" in record:
                proposal = record.get("proposal")
                steps[step] = JournalEntry(
                    batch,
                    step,
                    record["old"],
                    record["new"],
                    None if proposal is None else UUID(proposal),
                    state,
                    now,
                    now,
                )
            elif step in steps:
                old = steps[step]
                steps[step] = JournalEntry(
                    batch,
                    step,
                    old.old_path,
                    old.new_path,
                    old.proposal_id,
                    state,
                    old.created_at,
                    now,
                )
        return batches

    async def append(self, batch_id: UUID, steps: Sequence[JournalStep]) -> list[JournalEntry]:
        existing = self._state().setdefault(batch_id, {})
        first = max(existing, default=-1) + 1
        now = datetime.now(UTC)
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
            for index, step in enumerate(steps)
        ]
        self._write(
            [
                {
                    "batch": str(batch_id),
                    "step": entry.step,
                    "old": entry.old_path,
                    "new": entry.new_path,
                    "proposal": None if entry.proposal_id is None else str(entry.proposal_id),
                    "state": entry.state.value,
                }
                for entry in entries
            ]
        )
        existing.update((entry.step, entry) for entry in entries)
        return entries

    async def mark(self, entry: JournalEntry, state: JournalState) -> None:
        self._write([{"batch": str(entry.batch_id), "step": entry.step, "state": state.value}])
        steps = self._state().setdefault(entry.batch_id, {})
        known = steps.get(entry.step, entry)
        steps[entry.step] = replace(known, state=state, updated_at=datetime.now(UTC))

    async def entries(self, batch_id: UUID) -> list[JournalEntry]:
        steps = self._state().get(batch_id, {})
        return [steps[step] for step in sorted(steps)]

    async def incomplete(self) -> list[UUID]:
        return [
            batch
            for batch, steps in self._state().items()
            if any(entry.state is JournalState.PLANNED for entry in steps.values())
        ]
