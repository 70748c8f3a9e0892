"""Rename proposals and the crash-safe rename journal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from tracktion.core.catalog import (
    CatalogConflictError,
    CatalogInputError,
    CatalogNotFoundError,
    CatalogStore,
    JournalState,
    JournalStep,
    RenameProposal,
    RenameStatus,
)

from .conftest import Library

pytestmark = pytest.mark.anyio


async def test_a_proposal_moves_through_its_statuses(store: CatalogStore, library: Library) -> None:
    file = await store.upsert_file(library.observe("a.flac", "A"))
    fields = {"artist": "Ø", "title": "Song", "bpm": 128, "tags": ["a", "b"]}

    proposal = await store.propose_rename(
        file.file_id,
        library.path("Ø - Song.flac"),
        template="{artist} - {title}",
        fields=fields,
        confidence=0.92,
        reasons=["artist and title from ID3", "matched MusicBrainz"],
    )

    assert proposal.status is RenameStatus.PROPOSED
    assert (proposal.old_path, proposal.recording_id) == (library.path("a.flac"), file.recording_id)
    assert await store.get_rename_proposal(proposal.id) == proposal
    assert proposal.fields == fields
    assert proposal.reasons[1] == "matched MusicBrainz"
    listed = await store.list_rename_proposals(status=RenameStatus.PROPOSED, file_id=file.file_id)
    assert listed == [proposal]

    approved = await store.set_rename_status(proposal.id, RenameStatus.APPROVED)
    assert approved.status is RenameStatus.APPROVED
    assert approved.updated_at >= proposal.updated_at
    assert await store.set_rename_status(proposal.id, "approved") == approved  # a no-op
    failed = await store.set_rename_status(proposal.id, RenameStatus.FAILED, reason="disk full")
    assert failed.status_reason == "disk full"
    await store.set_rename_status(proposal.id, RenameStatus.APPROVED)
    applied = await store.set_rename_status(proposal.id, RenameStatus.APPLIED)
    assert applied.status is RenameStatus.APPLIED
    assert await store.list_rename_proposals(status="proposed", file_id=file.file_id) == []

    with pytest.raises(CatalogConflictError, match="is applied; it cannot become approved"):
        await store.set_rename_status(proposal.id, RenameStatus.APPROVED)
    with pytest.raises(CatalogNotFoundError):
        await store.set_rename_status(uuid.uuid4(), RenameStatus.APPROVED)
    with pytest.raises(CatalogInputError, match="status must be one of"):
        await store.set_rename_status(proposal.id, "done")


async def test_proposals_need_a_live_file_and_valid_values(
    store: CatalogStore, library: Library
) -> None:
    file = await store.upsert_file(library.observe("a.flac", "A"))

    async def propose(confidence: float, reasons: Sequence[str] = ()) -> RenameProposal:
        return await store.propose_rename(
            file.file_id,
            library.path("b.flac"),
            template="{title}",
            fields={"title": "b"},
            confidence=confidence,
            reasons=reasons,
        )

    with pytest.raises(CatalogInputError, match="confidence"):
        await propose(-0.1)
    with pytest.raises(CatalogInputError, match="reasons must be a sequence"):
        await propose(1, reasons="why")
    with pytest.raises(CatalogInputError, match="reason must be a non-blank string"):
        await propose(1, reasons=[""])
    await store.mark_deleted(library.path("a.flac"), library.tick())
    with pytest.raises(CatalogNotFoundError, match="no live file"):
        await propose(1)


async def test_the_journal_records_each_step_of_a_batch(
    store: CatalogStore, library: Library
) -> None:
    file = await store.upsert_file(library.observe("a.flac", "A"))
    proposal = await store.propose_rename(
        file.file_id, library.path("b.flac"), template="{x}", fields={}, confidence=1
    )
    batch = uuid.uuid4()

    planned = await store.append_journal(
        batch,
        [
            JournalStep(library.path("a.flac"), library.path("b.flac"), proposal.id),
            JournalStep(library.path("c.flac"), library.path("d.flac")),
        ],
    )
    more = await store.append_journal(batch, [JournalStep(library.path("e"), library.path("f"))])

    assert [entry.step for entry in planned + more] == [0, 1, 2]
    assert all(entry.state is JournalState.PLANNED for entry in planned + more)
    assert await store.journal(batch) == planned + more
    assert await store.append_journal(batch, []) == []
    assert batch in await store.incomplete_batches()

    done = await store.set_journal_state(batch, 0, JournalState.DONE)
    assert done.state is JournalState.DONE
    assert done.proposal_id == proposal.id
    assert await store.set_journal_state(batch, 0, JournalState.DONE) == done  # replayable
    with pytest.raises(CatalogConflictError, match="is done; it cannot become planned"):
        await store.set_journal_state(batch, 0, JournalState.PLANNED)
    await store.set_journal_state(batch, 1, JournalState.DONE)
    await store.set_journal_state(batch, 2, JournalState.UNDONE)
    await store.set_journal_state(batch, 0, JournalState.UNDONE)

    assert [entry.state for entry in await store.journal(batch)] == [
        JournalState.UNDONE,
        JournalState.DONE,
        JournalState.UNDONE,
    ]
    assert batch not in await store.incomplete_batches()
    assert await store.journal(uuid.uuid4()) == []
    with pytest.raises(CatalogNotFoundError, match="no step 7"):
        await store.set_journal_state(batch, 7, JournalState.DONE)
