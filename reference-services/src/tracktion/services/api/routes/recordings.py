"""``/v1/recordings``: list and search, and one recording with everything known about it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from tracktion.audio.notation import to_camelot, to_standard
from tracktion.core.camelot import compatible_keys, parse_camelot
from tracktion.core.catalog import AnalysisResult

from ..deps import Context
from ..errors import ApiError
from ..schemas import (
    AnalysisSummary,
    FeatureOut,
    FileOut,
    ProposalOut,
    RecordingDetail,
    RecordingItem,
    RecordingPageOut,
    TagOut,
    TracklistOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/recordings", tags=["recordings"])

RecordingId = Annotated[UUID, Path(description="The recording's id (a UUID).")]


def _camelot_of(text: str, field: str) -> str:
    """A key in any notation (``8A``, ``A minor``, ``Am``, ``1m``) as its Camelot code."""
    try:
        return parse_camelot(text).code
    except ValueError:
        pass
    try:
        return to_camelot(text)
    except ValueError:
        raise ApiError.invalid(
            field,
            f"{text!r} is not a musical key: give a Camelot code (8A), a key name "
            "(A minor, F# major) or an Open Key code (1m)",
        ) from None


def _names(codes: frozenset[str] | set[str]) -> set[str]:
    """Each Camelot code with its standard name, as the catalog stores either."""
    return {name for code in codes for name in (code, to_standard(code))}


def _stored_camelot(analysis: dict[str, AnalysisResult]) -> str | None:
    for feature in ("camelot", "key"):
        found = analysis.get(feature)
        if found is not None and isinstance(found.value, str):
            try:
                return _camelot_of(found.value, feature)
            except ApiError:
                continue
    return None


async def _reference_codes(ctx: Context, compatible_with: str) -> frozenset[str]:
    try:
        reference = UUID(compatible_with)
    except ValueError:
        return compatible_keys(_camelot_of(compatible_with, "compatible_with"))
    if await ctx.ports.catalog.get_recording(reference) is None:
        raise ApiError(404, "not_found", f"no recording {reference} (compatible_with)")
    code = _stored_camelot(await ctx.ports.catalog.get_analysis(reference))
    if code is None:
        raise ApiError.invalid("compatible_with", f"recording {reference} has no analyzed key yet")
    return compatible_keys(code)


@router.get("", response_model=RecordingPageOut, summary="List and search recordings")
async def list_recordings(
    ctx: Context,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Text in a file path or a tag value."),
    ] = None,
    bpm_min: Annotated[float | None, Query(ge=0, le=1000, description="Lowest BPM.")] = None,
    bpm_max: Annotated[float | None, Query(ge=0, le=1000, description="Highest BPM.")] = None,
    key: Annotated[
        str | None, Query(max_length=32, description="A key: 8A, A minor, Am or 1m.")
    ] = None,
    compatible_with: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A recording id or a key: only recordings whose key mixes "
            "harmonically with it (same, adjacent or relative on the Camelot wheel).",
        ),
    ] = None,
    energy_min: Annotated[float | None, Query(ge=0, le=1)] = None,
    energy_max: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RecordingPageOut:
    """Recordings with a live file matching every filter given, oldest first."""
    if bpm_min is not None and bpm_max is not None and bpm_min > bpm_max:
        raise ApiError.invalid("bpm_min", f"{bpm_min} is above bpm_max {bpm_max}")
    if energy_min is not None and energy_max is not None and energy_min > energy_max:
        raise ApiError.invalid("energy_min", f"{energy_min} is above energy_max {energy_max}")
    keys: set[str] | None = None
    if key is not None:
        keys = _names({_camelot_of(key, "key")})
    if compatible_with is not None:
        compatible = _names(await _reference_codes(ctx, compatible_with))
        keys = compatible if keys is None else keys & compatible
    page = await ctx.ports.catalog.search_recordings(
        text=q,
        bpm_min=bpm_min,
        bpm_max=bpm_max,
        keys=None if keys is None else sorted(keys),
        energy_min=energy_min,
        energy_max=energy_max,
        limit=limit,
        offset=offset,
    )
    return RecordingPageOut(
        items=[RecordingItem.of(item) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{recording_id}", response_model=RecordingDetail, summary="One recording")
async def get_recording(ctx: Context, recording_id: RecordingId) -> RecordingDetail:
    """A recording with its files, tags, analysis, tracklists and rename proposals."""
    async with ctx.ports.catalog.transaction() as tx:
        recording = await tx.get_recording(recording_id)
        if recording is None:
            raise ApiError.not_found("recording", recording_id)
        files = await tx.files_of(recording_id)
        tags = await tx.get_tags(recording_id)
        analysis = await tx.get_analysis(recording_id)
        tracklists = await tx.tracklists_of_recording(recording_id)
        proposals = await tx.rename_proposals_of_recording(recording_id)
    return RecordingDetail(
        id=recording.id,
        sha256=recording.sha256,
        size_bytes=recording.size_bytes,
        created_at=recording.created_at,
        files=[FileOut.of(f) for f in files],
        analysis=AnalysisSummary.of(analysis),
        tags=[TagOut.of(tag) for tag in tags],
        features={name: FeatureOut.of(result) for name, result in analysis.items()},
        tracklists=[TracklistOut.of(t) for t in tracklists],
        rename_proposals=[ProposalOut.of(p) for p in proposals],
    )
