"""``/v1/rename``: proposals (list, approve, reject, modify), apply, undo, patterns.

Proposals live in the catalog. Applying moves the files of approved proposals under
``ApiOptions.library_root`` as one journaled batch (:class:`tracktion.core.rename.Applier`
with the catalog's journal, which moves the file records and marks the proposals
applied); undo restores the previous tree.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from tracktion.core.catalog import JournalEntry, RenameStatus
from tracktion.core.rename import (
    PRESETS,
    Applier,
    BatchResult,
    CatalogJournal,
    Move,
    RenameError,
    analyze_names,
)

from ..deps import Context
from ..errors import ApiError
from ..schemas import ProposalOut, ProposalPage

__all__ = ["router"]

router = APIRouter(prefix="/v1/rename", tags=["rename"])

ProposalId = Annotated[UUID, Path(description="The proposal's id (a UUID).")]


class RejectBody(BaseModel):
    """Why a proposal is rejected."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, min_length=1, max_length=1000)


class ModifyBody(BaseModel):
    """A corrected target path for a proposal."""

    model_config = ConfigDict(extra="forbid")
    new_path: str = Field(min_length=1, max_length=4096)


class ApplyBody(BaseModel):
    """The approved proposals to apply as one batch."""

    model_config = ConfigDict(extra="forbid")
    proposal_ids: list[UUID] = Field(min_length=1, max_length=10_000)


class PatternsBody(BaseModel):
    """File names (or paths) to analyze."""

    model_config = ConfigDict(extra="forbid")
    names: list[str] = Field(min_length=1, max_length=10_000)


class StepOut(BaseModel):
    """One journaled step of a batch."""

    step: int
    old_path: str
    new_path: str
    proposal_id: UUID | None
    state: str

    @classmethod
    def of(cls, entry: JournalEntry) -> StepOut:
        return cls(
            step=entry.step,
            old_path=entry.old_path,
            new_path=entry.new_path,
            proposal_id=entry.proposal_id,
            state=entry.state.value,
        )


class BatchOut(BaseModel):
    """A rename batch; undo it with ``POST /v1/rename/batches/{batch_id}/undo``."""

    batch_id: UUID
    steps: list[StepOut]

    @classmethod
    def of(cls, result: BatchResult) -> BatchOut:
        return cls(batch_id=result.batch_id, steps=[StepOut.of(e) for e in result.entries])


class PatternGroupOut(BaseModel):
    pattern: str
    count: int
    share: float
    with_mix: int
    examples: list[str]


class PatternsOut(BaseModel):
    """The naming shapes found, and a template that would make them consistent."""

    total: int
    dominant: str | None
    coverage: float
    consistent: bool
    suggested_template: str
    outliers: list[str]
    groups: list[PatternGroupOut]


def _applier(ctx: Context) -> Applier:
    root = ctx.options.library_root
    if root is None:
        raise ApiError(
            409,
            "not_configured",
            "renames cannot be applied by this API instance: no library_root is configured",
        )
    return Applier(CatalogJournal(ctx.ports.catalog), root)


@router.get("/proposals", response_model=ProposalPage, summary="List rename proposals")
async def list_proposals(
    ctx: Context,
    status: RenameStatus | None = None,
    file_id: UUID | None = None,
    recording_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProposalPage:
    """Proposals, oldest first, by status, file or recording."""
    catalog = ctx.ports.catalog
    if recording_id is not None:
        found = await catalog.rename_proposals_of_recording(
            recording_id, limit=limit, offset=offset
        )
        found = [
            p
            for p in found
            if (status is None or p.status == status) and (file_id is None or p.file_id == file_id)
        ]
    else:
        found = await catalog.list_rename_proposals(
            status=status, file_id=file_id, limit=limit, offset=offset
        )
    return ProposalPage(items=[ProposalOut.of(p) for p in found], limit=limit, offset=offset)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, summary="One proposal")
async def get_proposal(ctx: Context, proposal_id: ProposalId) -> ProposalOut:
    """A rename proposal."""
    proposal = await ctx.ports.catalog.get_rename_proposal(proposal_id)
    if proposal is None:
        raise ApiError.not_found("rename proposal", proposal_id)
    return ProposalOut.of(proposal)


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalOut, summary="Approve")
async def approve(ctx: Context, proposal_id: ProposalId) -> ProposalOut:
    """Approve a proposal (409 when its status does not allow it)."""
    return ProposalOut.of(
        await ctx.ports.catalog.set_rename_status(proposal_id, RenameStatus.APPROVED)
    )


@router.post("/proposals/{proposal_id}/reject", response_model=ProposalOut, summary="Reject")
async def reject(
    ctx: Context, proposal_id: ProposalId, body: Annotated[RejectBody | None, Body()] = None
) -> ProposalOut:
    """Reject a proposal, with an optional reason."""
    reason = None if body is None else body.reason
    return ProposalOut.of(
        await ctx.ports.catalog.set_rename_status(proposal_id, RenameStatus.REJECTED, reason=reason)
    )


@router.patch("/proposals/{proposal_id}", response_model=ProposalOut, summary="Modify the target")
async def modify(ctx: Context, proposal_id: ProposalId, body: ModifyBody) -> ProposalOut:
    """Replace a proposal by one with a corrected ``new_path``: the old one is rejected
    (its reason names the new one), the new one is proposed for the same file."""
    async with ctx.ports.catalog.transaction() as tx:
        old = await tx.get_rename_proposal(proposal_id)
        if old is None:
            raise ApiError.not_found("rename proposal", proposal_id)
        if old.status is RenameStatus.APPLIED:
            raise ApiError(409, "conflict", f"rename proposal {proposal_id} is already applied")
        new = await tx.propose_rename(
            old.file_id,
            body.new_path,
            template=old.template,
            fields=old.fields,
            confidence=1.0,
            reasons=(*old.reasons, f"target modified by a user (was {old.new_path})"),
        )
        await tx.set_rename_status(
            proposal_id, RenameStatus.REJECTED, reason=f"replaced by proposal {new.id}"
        )
    return ProposalOut.of(new)


@router.post("/apply", response_model=BatchOut, summary="Apply approved proposals")
async def apply(ctx: Context, body: ApplyBody) -> BatchOut:
    """Move the files of approved proposals as one batch: all of them or none."""
    applier = _applier(ctx)
    moves = []
    for proposal_id in dict.fromkeys(body.proposal_ids):
        proposal = await ctx.ports.catalog.get_rename_proposal(proposal_id)
        if proposal is None:
            raise ApiError.not_found("rename proposal", proposal_id)
        if proposal.status is not RenameStatus.APPROVED:
            raise ApiError(
                409,
                "conflict",
                f"rename proposal {proposal_id} is {proposal.status.value}, not approved",
            )
        moves.append(Move(proposal.old_path, proposal.new_path, proposal.id))
    try:
        return BatchOut.of(await applier.apply(moves))
    except RenameError as exc:
        raise ApiError(409, "rename_failed", str(exc)) from exc


@router.post("/batches/{batch_id}/undo", response_model=BatchOut, summary="Undo a batch")
async def undo(ctx: Context, batch_id: Annotated[UUID, Path()]) -> BatchOut:
    """Move every file of a batch back and remove the folders it created."""
    applier = _applier(ctx)
    try:
        return BatchOut.of(await applier.undo(batch_id))
    except RenameError as exc:
        raise ApiError(409, "rename_failed", str(exc)) from exc


@router.get("/patterns", response_model=dict[str, str], summary="Template presets")
async def presets() -> dict[str, str]:
    """The ready naming templates, by name."""
    return dict(PRESETS)


@router.post("/patterns/analyze", response_model=PatternsOut, summary="Analyze names")
async def analyze_patterns(body: PatternsBody) -> PatternsOut:
    """Group file names by the naming shape they follow and suggest a template."""
    report = analyze_names(body.names)
    return PatternsOut(
        total=report.total,
        dominant=report.dominant,
        coverage=report.coverage,
        consistent=report.consistent,
        suggested_template=report.suggested_template,
        outliers=list(report.outliers),
        groups=[
            PatternGroupOut(
                pattern=g.pattern,
                count=g.count,
                share=g.share,
                with_mix=g.with_mix,
                examples=list(g.examples),
            )
            for g in report.groups
        ],
    )
