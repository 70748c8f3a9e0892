from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracktion.core.catalog import JournalEntry, JournalState
from tracktion.core.rename import (
    Applier,
    FileJournal,
    Move,
    MoveMethod,
    RenameApplyError,
    RenameError,
    move_no_replace,
    renameat2_available,
    sanitize_name,
)

from .trees import make_files, snapshot

METHODS = [
    pytest.param(
        MoveMethod.RENAMEAT2,
        marks=pytest.mark.skipif(not renameat2_available(), reason="no renameat2"),
    ),
    MoveMethod.LINK,
    MoveMethod.EXCLUSIVE,
]


class Crash(Exception):  # noqa: N818 - it stands for a crash, not an error
    """Stands for the process dying at a hook point."""


class CrashAt:
    """A hook that raises at its n-th call."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.calls = 0
        self.batch_id: UUID | None = None

    def __call__(self, event: str, entry: JournalEntry | None) -> None:
        self.calls += 1
        if entry is not None:
            self.batch_id = entry.batch_id
        if self.calls == self.at:
            raise Crash(f"{event} #{self.calls}")


def library(tmp_path: Path, count: int) -> tuple[Path, list[Move]]:
    root = tmp_path / "lib"
    names = [f"in/{i:03d} old.mp3" for i in range(count)]
    paths = make_files(root, names)
    moves = [
        Move(str(path), str(root / f"Genre {i % 3}" / f"Artist {i} - Title.mp3"))
        for i, path in enumerate(paths)
    ]
    return root, moves


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "count"),
    [(MoveMethod.AUTO, 100), (MoveMethod.LINK, 40), (MoveMethod.EXCLUSIVE, 15)],
)
async def test_a_crash_after_every_step_of_a_batch_is_rolled_back(
    tmp_path: Path, method: MoveMethod, count: int
) -> None:
    root, moves = library(tmp_path, count)
    reference, reference_moves = library(tmp_path / "reference", count)
    await Applier(FileJournal(tmp_path / "reference.j"), str(reference)).apply(reference_moves)
    before, applied = snapshot(root), snapshot(reference)
    journal_path = tmp_path / "journal.jsonl"
    at = 1
    while True:
        journal_path.unlink(missing_ok=True)
        applier = Applier(
            FileJournal(journal_path, durable=False),
            str(root),
            method=method,
            durable=False,
            hook=CrashAt(at),
        )
        try:
            await applier.apply(moves)
        except Crash:
            restart = Applier(
                FileJournal(journal_path, durable=False), str(root), method=method, durable=False
            )
            recovered = await restart.recover()
            if recovered:
                assert all(e.state is JournalState.UNDONE for e in recovered[0].entries)
                assert snapshot(root) == before, f"crash at hook call {at}"
            else:  # the crash came after the last step was journaled done: finished
                assert snapshot(root) == applied, f"crash at hook call {at}"
                await restart.undo(_only_batch(journal_path))
                assert snapshot(root) == before
            assert await restart.recover() == []
            at += 1
            continue
        break
    # The loop ends with the first run that did not crash: every point was covered
    # (journaled, then moved and marked per step, plus linked for link moves).
    assert at > 1 + 2 * (count + 3)
    assert snapshot(root) == applied


def _only_batch(journal_path: Path) -> UUID:
    import json

    return UUID(json.loads(journal_path.read_text().splitlines()[0])["batch"])


@pytest.mark.anyio
@pytest.mark.parametrize("method", [MoveMethod.LINK, MoveMethod.EXCLUSIVE])
async def test_recovery_can_finish_a_batch_instead(tmp_path: Path, method: MoveMethod) -> None:
    root, moves = library(tmp_path, 6)
    done = tmp_path / "done"
    reference, reference_moves = library(done, 6)
    await Applier(FileJournal(done / "j"), str(reference), durable=False).apply(reference_moves)
    expected = snapshot(reference)
    at = 1
    while True:
        for path in (tmp_path / "lib",):
            if path.exists():
                for current, dirs, files in os.walk(path, topdown=False):
                    for name in files:
                        os.unlink(os.path.join(current, name))
                    for name in dirs:
                        os.rmdir(os.path.join(current, name))
        root, moves = library(tmp_path, 6)
        journal = tmp_path / "journal.jsonl"
        journal.unlink(missing_ok=True)
        applier = Applier(
            FileJournal(journal, durable=False),
            str(root),
            method=method,
            durable=False,
            hook=CrashAt(at),
        )
        try:
            await applier.apply(moves)
        except Crash:
            restart = Applier(FileJournal(journal, durable=False), str(root), method=method)
            await restart.recover(finish=True)
            assert snapshot(root) == expected, f"crash at hook call {at}"
            at += 1
            continue
        break
    assert at > 12


@pytest.mark.anyio
async def test_apply_then_undo_restores_the_exact_tree(tmp_path: Path) -> None:
    root, moves = library(tmp_path, 20)
    (root / "Genre 1").mkdir()  # existed before: must survive the undo
    before = snapshot(root)
    applier = Applier(FileJournal(tmp_path / "j"), str(root))
    batch = await applier.apply(moves)
    assert len(batch.moved) == 20
    assert {e.new_path for e in batch.entries if e.old_path == e.new_path} == {
        str(root / "Genre 0"),
        str(root / "Genre 2"),
    }
    assert snapshot(root) != before
    undone = await applier.undo(batch.batch_id)
    assert all(e.state is JournalState.UNDONE for e in undone.entries)
    assert snapshot(root) == before
    await applier.undo(batch.batch_id)  # twice: nothing more to do
    assert snapshot(root) == before
    with pytest.raises(RenameError, match="no rename batch"):
        await applier.undo(UUID(int=1))


@pytest.mark.anyio
async def test_undo_refuses_when_an_old_name_is_taken_again(tmp_path: Path) -> None:
    root, moves = library(tmp_path, 2)
    applier = Applier(FileJournal(tmp_path / "j"), str(root))
    batch = await applier.apply(moves)
    Path(moves[0].old_path).write_bytes(b"a new file the user made")
    with pytest.raises(RenameError, match="exists again"):
        await applier.undo(batch.batch_id)
    assert Path(moves[0].old_path).read_bytes() == b"a new file the user made"
    assert Path(moves[0].new_path).exists()


@pytest.mark.anyio
async def test_invalid_batches_touch_nothing(tmp_path: Path) -> None:
    root, moves = library(tmp_path, 3)
    before = snapshot(root)
    applier = Applier(FileJournal(tmp_path / "j"), str(root))
    Path(moves[1].new_path).parent.mkdir()
    Path(moves[1].new_path).write_bytes(b"already here")
    with pytest.raises(RenameError, match="never overwritten"):
        await applier.apply(moves)
    with pytest.raises(RenameError, match="two files"):
        await applier.apply([moves[0], Move(moves[2].old_path, moves[0].new_path)])
    with pytest.raises(RenameError, match="outside the library root"):
        await applier.apply([Move(moves[0].old_path, str(tmp_path / "escaped.mp3"))])
    Path(moves[1].new_path).unlink()
    Path(moves[1].new_path).parent.rmdir()
    assert snapshot(root) == before
    assert not (tmp_path / "j").exists()  # nothing was even journaled


@pytest.mark.anyio
async def test_a_failing_step_rolls_the_batch_back(tmp_path: Path) -> None:
    root, moves = library(tmp_path, 5)
    before = snapshot(root)

    def sabotage(event: str, entry: JournalEntry | None) -> None:
        # Someone else takes the 4th target after planning: the move must fail, not replace.
        if event == "marked" and entry is not None and entry.new_path == moves[2].new_path:
            Path(moves[3].new_path).write_bytes(b"someone else's file")

    applier = Applier(FileJournal(tmp_path / "j"), str(root), hook=sabotage)
    with pytest.raises(RenameApplyError, match="rolled back") as caught:
        await applier.apply(moves)
    assert Path(moves[3].new_path).read_bytes() == b"someone else's file"
    # The folder the batch made holds a file that is not ours: it stays.
    Path(moves[3].new_path).unlink()
    Path(moves[3].new_path).parent.rmdir()
    assert snapshot(root) == before
    entries = await FileJournal(tmp_path / "j").entries(caught.value.batch_id)  # type: ignore[arg-type]
    assert all(e.state is JournalState.UNDONE for e in entries)


@pytest.mark.parametrize("method", METHODS)
def test_moves_never_overwrite(tmp_path: Path, method: MoveMethod) -> None:
    old, new = tmp_path / "a", tmp_path / "b"
    old.write_bytes(b"a")
    new.write_bytes(b"b")
    with pytest.raises(FileExistsError):
        move_no_replace(str(old), str(new), method)
    assert old.read_bytes() == b"a"
    assert new.read_bytes() == b"b"
    new.unlink()
    move_no_replace(str(old), str(new), method)
    assert not old.exists()
    assert new.read_bytes() == b"a"


def test_a_cut_journal_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.write_text('{"batch": "00000000-0000-0000-0000-000000000001", "st')
    journal = FileJournal(path)
    import asyncio

    assert asyncio.run(journal.incomplete()) == []


NAMES = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"]),
        min_size=1,
        max_size=300,
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(titles=NAMES)
@pytest.mark.anyio
async def test_hostile_names_apply_and_undo_exactly(tmp_path: Path, titles: list[str]) -> None:
    root = tmp_path / f"lib{abs(hash(tuple(titles)))}"
    paths = make_files(root, [f"{i}.mp3" for i in range(len(titles))])
    before = snapshot(root)
    seen: set[str] = set()
    moves = []
    for path, title in zip(paths, titles, strict=True):
        name = sanitize_name(f"{title}.mp3")
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        target = root / "out" / name
        moves.append(Move(str(path), str(target)))
    applier = Applier(FileJournal(root.with_suffix(".journal")), str(root), durable=False)
    batch = await applier.apply(moves)
    assert all(Path(m.new_path).exists() for m in moves)
    await applier.undo(batch.batch_id)
    assert snapshot(root) == before
