"""Applying a batch of renames through a journal: all of it or none of it, and undo.

:meth:`Applier.apply` checks every move, writes the whole batch to the journal (folder
creations first, then moves), and only then touches the disk, one step at a time: make
the folder or move the file without overwriting (:func:`~.moves.move_no_replace`), flush
the folder, mark the step ``done``. If a step fails, every step already done is rolled
back and :class:`RenameApplyError` is raised.

If the process dies part-way, :meth:`Applier.recover` (run at start-up) settles every
batch still ``planned``: by default it rolls the batch back to the exact previous tree;
with ``finish=True`` it completes it. It looks at the disk for each step, so it is right
whether the crash came before a move, inside it (``link`` done, ``unlink`` not), or after
it but before the journal was marked. :meth:`Applier.undo` rolls back a finished batch:
files go back, folders the batch created are removed when empty.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from ..catalog import JournalEntry, JournalState, JournalStep
from .errors import RecoveryError, RenameApplyError, RenameError
from .journal import Journal, is_folder_step
from .moves import MoveMethod, fsync_directory, move_no_replace

__all__ = ["Applier", "BatchResult", "Hook", "Move"]

Hook = Callable[[str, JournalEntry | None], None]
"""Called with an event name after every change to the disk or the journal:
``journaled`` (the batch is written), ``linked`` (between link and unlink), ``moved``
(a step's effect is on disk), ``marked`` (its new state is journaled). An exception it
raises stops everything where it is, as a crash would: tests inject crashes this way."""


@dataclass(frozen=True, slots=True)
class Move:
    """One file to rename: ``old_path`` to ``new_path`` (absolute paths), with the
    catalog proposal it comes from, if any."""

    old_path: str
    new_path: str
    proposal_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A batch that was applied, rolled back, finished or undone.

    Attributes:
        batch_id: The journal batch.
        entries: Its steps, in journal order, with their final states.
    """

    batch_id: UUID
    entries: tuple[JournalEntry, ...]

    @property
    def moved(self) -> tuple[JournalEntry, ...]:
        """The file moves (not folder creations)."""
        return tuple(entry for entry in self.entries if not is_folder_step(entry))


class Applier:
    """Applies, recovers and undoes rename batches (see the module documentation).

    Args:
        journal: Where batches are written down.
        root: The library root: every path of a batch must lie inside it.
        method: How files are moved (see :class:`~.moves.MoveMethod`).
        durable: ``fsync`` folders after every move (off only in tests of logic).
        hook: See :data:`Hook`.
    """

    def __init__(
        self,
        journal: Journal,
        root: str,
        *,
        method: MoveMethod = MoveMethod.AUTO,
        durable: bool = True,
        hook: Hook | None = None,
    ) -> None:
        self.journal = journal
        self.root = os.path.realpath(root)
        self.method = method
        self.durable = durable
        self.hook = hook

    def _event(self, name: str, entry: JournalEntry | None) -> None:
        if self.hook is not None:
            self.hook(name, entry)

    # -- planning --------------------------------------------------------------------------

    def plan(self, moves: Sequence[Move]) -> list[JournalStep]:
        """The journal steps for ``moves``: missing folders (parents first), then moves.

        Raises:
            RenameError: a path outside the root, a missing source, an existing target,
                or two moves to one target; nothing is journaled or moved.
        """
        folders: list[str] = []
        targets: set[str] = set()
        real_folders: dict[str, str] = {}
        steps: list[JournalStep] = []
        for move in moves:
            old, new = os.path.abspath(move.old_path), os.path.abspath(move.new_path)
            for path in (old, new):
                if not self._inside(path, real_folders):
                    raise RenameError(f"{path!r} is outside the library root {self.root!r}")
            if old == new:
                raise RenameError(f"{old!r} would be renamed to itself")
            if not os.path.lexists(old) or os.path.isdir(old):
                raise RenameError(f"{old!r} is not a file")
            if os.path.lexists(new):
                raise RenameError(f"{new!r} exists: it is never overwritten")
            if new in targets:
                raise RenameError(f"two files would be renamed to {new!r}")
            targets.add(new)
            for folder in self._missing_folders(os.path.dirname(new)):
                if folder in targets:
                    raise RenameError(f"{folder!r} would be both a file and a folder")
                if folder not in folders:
                    folders.append(folder)
            steps.append(JournalStep(old, new, move.proposal_id))
        if targets & set(folders):
            raise RenameError("a target would be both a file and a folder")
        return [JournalStep(folder, folder) for folder in folders] + steps

    def _inside(self, path: str, real_folders: dict[str, str]) -> bool:
        folder = os.path.dirname(path)
        if folder not in real_folders:
            real_folders[folder] = os.path.realpath(folder)
        real = os.path.join(real_folders[folder], os.path.basename(path))
        return os.path.commonpath([self.root, real]) == self.root and real != self.root

    def _missing_folders(self, folder: str) -> list[str]:
        missing: list[str] = []
        while not os.path.isdir(folder):
            if os.path.lexists(folder):
                raise RenameError(f"{folder!r} exists and is not a folder")
            missing.append(folder)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        return list(reversed(missing))

    # -- applying --------------------------------------------------------------------------

    async def apply(self, moves: Sequence[Move], *, batch_id: UUID | None = None) -> BatchResult:
        """Apply ``moves`` as one batch (see the module documentation).

        Raises:
            RenameError: the batch is invalid (see :meth:`plan`); nothing happened.
            RenameApplyError: a step failed; the steps done were rolled back.
        """
        steps = self.plan(moves)
        batch_id = batch_id or uuid4()
        entries = await self.journal.append(batch_id, steps)
        self._event("journaled", None)
        for entry in entries:
            try:
                self._forward(entry)
            except OSError as exc:
                if not is_folder_step(entry) and not _same(entry.old_path, entry.new_path):
                    # A failed move changed nothing: whatever is at the target is not ours.
                    await self.journal.mark(entry, JournalState.UNDONE)
                await self._rollback(batch_id)
                raise RenameApplyError(
                    f"rename step {entry.step} ({entry.old_path!r} -> {entry.new_path!r}) "
                    f"failed: {exc}; the batch was rolled back",
                    batch_id=batch_id,
                    step=entry.step,
                ) from exc
            self._event("moved", entry)
            await self.journal.mark(entry, JournalState.DONE)
            self._event("marked", entry)
        return BatchResult(batch_id, tuple(await self.journal.entries(batch_id)))

    def _forward(self, entry: JournalEntry) -> None:
        if is_folder_step(entry):
            os.mkdir(entry.new_path)
        else:
            move_no_replace(
                entry.old_path,
                entry.new_path,
                self.method,
                on_linked=lambda: self._event("linked", entry),
            )
        self._flush(entry)

    def _flush(self, entry: JournalEntry) -> None:
        if not self.durable:
            return
        for folder in {os.path.dirname(entry.old_path), os.path.dirname(entry.new_path)}:
            if os.path.isdir(folder):
                fsync_directory(folder)

    # -- recovery and undo -----------------------------------------------------------------

    async def recover(self, *, finish: bool = False) -> list[BatchResult]:
        """Settle every batch a crash left with ``planned`` steps: roll it back to the
        previous tree, or with ``finish=True`` complete it.

        Raises:
            RecoveryError: a step's files match neither side of it; that batch's other
                steps are still settled where possible, that step stays as it was.
        """
        results: list[BatchResult] = []
        for batch_id in await self.journal.incomplete():
            if finish:
                await self._finish(batch_id)
            else:
                await self._rollback(batch_id)
            results.append(BatchResult(batch_id, tuple(await self.journal.entries(batch_id))))
        return results

    async def undo(self, batch_id: UUID) -> BatchResult:
        """Restore the tree as it was before the batch: move every file back, remove the
        folders the batch created (when empty). Undoing twice is a no-op.

        Raises:
            RenameError: an unknown batch, or a moved file whose old name is taken again
                or which is gone (nothing is moved then).
        """
        entries = await self.journal.entries(batch_id)
        if not entries:
            raise RenameError(f"no rename batch {batch_id}")
        for entry in entries:
            if entry.state is not JournalState.DONE or is_folder_step(entry):
                continue
            if os.path.lexists(entry.old_path) and not _same(entry.old_path, entry.new_path):
                raise RenameError(f"cannot undo: {entry.old_path!r} exists again")
            if not os.path.lexists(entry.new_path) and not os.path.lexists(entry.old_path):
                raise RenameError(f"cannot undo: {entry.new_path!r} is gone")
        await self._rollback(batch_id)
        return BatchResult(batch_id, tuple(await self.journal.entries(batch_id)))

    async def _rollback(self, batch_id: UUID) -> None:
        problems: list[str] = []
        for entry in reversed(await self.journal.entries(batch_id)):
            if entry.state is JournalState.UNDONE:
                continue
            try:
                self._backward(entry)
            except (OSError, RecoveryError) as exc:
                problems.append(str(exc))
                continue
            self._event("moved", entry)
            await self.journal.mark(entry, JournalState.UNDONE)
            self._event("marked", entry)
        if problems:
            raise RecoveryError(f"batch {batch_id}: " + "; ".join(problems))

    def _backward(self, entry: JournalEntry) -> None:
        old, new = entry.old_path, entry.new_path
        if is_folder_step(entry):
            if os.path.isdir(new) and not os.listdir(new):
                os.rmdir(new)
                self._flush(entry)
            return
        old_exists, new_exists = os.path.lexists(old), os.path.lexists(new)
        if old_exists and new_exists:
            self._drop_duplicate_name(entry, keep=old, drop=new)
        elif new_exists:
            move_no_replace(new, old, self.method)
        elif not old_exists:
            raise RecoveryError(f"{old!r} and {new!r} are both missing")
        self._flush(entry)

    async def _finish(self, batch_id: UUID) -> None:
        problems: list[str] = []
        for entry in await self.journal.entries(batch_id):
            if entry.state is not JournalState.PLANNED:
                continue
            try:
                self._settle_forward(entry)
            except (OSError, RecoveryError) as exc:
                problems.append(str(exc))
                continue
            self._event("moved", entry)
            await self.journal.mark(entry, JournalState.DONE)
            self._event("marked", entry)
        if problems:
            raise RecoveryError(f"batch {batch_id}: " + "; ".join(problems))

    def _settle_forward(self, entry: JournalEntry) -> None:
        old, new = entry.old_path, entry.new_path
        if is_folder_step(entry):
            if not os.path.isdir(new):
                os.mkdir(new)
            return
        old_exists, new_exists = os.path.lexists(old), os.path.lexists(new)
        if old_exists and new_exists:
            self._drop_duplicate_name(entry, keep=new, drop=old)
        elif old_exists:
            move_no_replace(old, new, self.method)
        elif not new_exists:
            raise RecoveryError(f"{old!r} and {new!r} are both missing")
        self._flush(entry)

    @staticmethod
    def _drop_duplicate_name(entry: JournalEntry, *, keep: str, drop: str) -> None:
        """Both names exist after a crash inside a move: two links of one file (link
        done, unlink not), or the empty placeholder of an exclusive move."""
        if _same(keep, drop):
            os.unlink(drop)
            return
        placeholder = entry.new_path
        info = os.lstat(placeholder)
        if stat.S_ISREG(info.st_mode) and info.st_size == 0:
            if drop == placeholder:
                os.unlink(placeholder)
                return
            if keep == placeholder:  # finishing: the real file still has to move onto it
                os.rename(entry.old_path, placeholder)
                return
        raise RecoveryError(
            f"{entry.old_path!r} and {entry.new_path!r} are different files; "
            "the rename cannot be settled without losing one"
        )


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samestat(os.lstat(a), os.lstat(b))
    except FileNotFoundError:
        return False
