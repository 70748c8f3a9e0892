"""Searching recordings by text, tempo, key and energy, and what hangs off one recording.

The filters read the **latest** analysis result of each feature (most recently computed,
as :meth:`get_analysis` returns it), under the feature names of
:class:`tracktion.contracts.AnalysisResults`: ``bpm`` (a number, beats per minute),
``camelot`` (a Camelot code such as ``"8A"``), ``key`` (standard notation such as
``"A minor"``) and ``energy`` (a number in [0, 1]).

Analysis values are JSON documents; a scalar is read back in SQL with each dialect's JSON
functions (SQLite ``json_type``/``json_extract``, PostgreSQL ``json_typeof``/``#>>``), and a
value of the wrong JSON type never matches instead of failing the query.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from . import _checks
from ._base import RepositoryBase
from ._file_queries import LIVE, file_record, recording_record
from ._metadata import _analysis
from ._renames import _proposal
from ._tracklists import _tracklist
from .errors import CatalogInputError
from .records import AnalysisResult, FileRecord, Recording, RenameProposal, Tracklist
from .schema import (
    analysis_results,
    files,
    recordings,
    rename_proposals,
    tags,
    tracklist_entries,
    tracklists,
)

__all__ = ["RecordingPage", "RecordingSummary", "SearchRepository"]

_MAX_TEXT = 200
_MAX_KEYS = 64


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    """A recording with its live files (by path) and the latest result of each feature."""

    recording: Recording
    files: tuple[FileRecord, ...]
    analysis: Mapping[str, AnalysisResult]


@dataclass(frozen=True, slots=True)
class RecordingPage:
    """One page of a search: ``total`` matches in all, ``items`` from ``offset``."""

    items: tuple[RecordingSummary, ...]
    total: int
    limit: int
    offset: int


def _finite(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogInputError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SearchRepository(RepositoryBase):
    """Recording search and per-recording lookups (mixin of the unit of work)."""

    async def search_recordings(
        self,
        *,
        text: str | None = None,
        bpm_min: float | None = None,
        bpm_max: float | None = None,
        keys: Collection[str] | None = None,
        energy_min: float | None = None,
        energy_max: float | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> RecordingPage:
        """Recordings with a live file that match every filter given, oldest first.

        - ``text``: case-insensitive substring of a live file's path or of a tag value
          (at most 200 characters);
        - ``bpm_min``/``bpm_max``: inclusive range of the ``bpm`` feature, in BPM;
        - ``keys``: the ``camelot`` or the ``key`` feature is one of these strings,
          compared exactly (callers pass canonical forms, ``"8A"`` and ``"A minor"``);
          an empty collection matches nothing;
        - ``energy_min``/``energy_max``: inclusive range of the ``energy`` feature, [0, 1].

        A range filter excludes recordings without that feature. Raises
        ``CatalogInputError`` for a non-finite bound, a minimum above its maximum, a
        blank or too long ``text``, more than 64 ``keys`` or a bad page.
        """
        limit, offset = _checks.page(limit, offset)
        conditions: list[ColumnElement[bool]] = [
            exists().where(files.c.recording_id == recordings.c.id, LIVE)
        ]
        if text is not None:
            _checks.text(text, "text", max_length=_MAX_TEXT)
            pattern = _like_pattern(text.strip())
            conditions.append(
                or_(
                    exists().where(
                        files.c.recording_id == recordings.c.id,
                        LIVE,
                        func.lower(files.c.path).like(pattern, escape="\\"),
                    ),
                    exists().where(
                        tags.c.recording_id == recordings.c.id,
                        func.lower(tags.c.value).like(pattern, escape="\\"),
                    ),
                )
            )
        latest = self._latest_features(("bpm", "camelot", "key", "energy"))
        for feature, low, high in (
            ("bpm", _finite(bpm_min, "bpm_min"), _finite(bpm_max, "bpm_max")),
            ("energy", _finite(energy_min, "energy_min"), _finite(energy_max, "energy_max")),
        ):
            if low is not None and high is not None and low > high:
                raise CatalogInputError(
                    f"{feature}_min ({low}) is above {feature}_max ({high}); nothing can match"
                )
            if low is None and high is None:
                continue
            number = self._json_number(latest.c.value)
            bounds = [number >= low] if low is not None else []
            bounds += [number <= high] if high is not None else []
            conditions.append(
                exists().where(
                    latest.c.recording_id == recordings.c.id,
                    latest.c.feature == feature,
                    *bounds,
                )
            )
        if keys is not None:
            wanted = [_checks.text(key, "key") for key in keys]
            if len(wanted) > _MAX_KEYS:
                raise CatalogInputError(f"at most {_MAX_KEYS} keys, got {len(wanted)}")
            conditions.append(
                exists().where(
                    latest.c.recording_id == recordings.c.id,
                    latest.c.feature.in_(("camelot", "key")),
                    self._json_text(latest.c.value).in_(wanted),
                )
            )
        where = and_(*conditions)
        total = (
            await self._execute(select(func.count()).select_from(recordings).where(where))
        ).scalar_one()
        found = await self._execute(
            select(recordings)
            .where(where)
            .order_by(recordings.c.created_at, recordings.c.id)
            .limit(limit)
            .offset(offset)
        )
        page = [recording_record(row) for row in found]
        items = await self._summaries(page)
        return RecordingPage(tuple(items), int(total), limit, offset)

    async def tracklists_of_recording(self, recording_id: UUID) -> list[Tracklist]:
        """Tracklists of the mix ``recording_id`` is, and those whose latest version plays
        it, oldest first."""
        plays = exists().where(
            tracklist_entries.c.tracklist_id == tracklists.c.id,
            tracklist_entries.c.version == tracklists.c.latest_version,
            tracklist_entries.c.recording_id == recording_id,
        )
        result = await self._execute(
            select(tracklists)
            .where(or_(tracklists.c.mix_recording_id == recording_id, plays))
            .order_by(tracklists.c.created_at, tracklists.c.id)
        )
        return [_tracklist(row) for row in result]

    async def rename_proposals_of_recording(
        self, recording_id: UUID, *, limit: int = 100, offset: int = 0
    ) -> list[RenameProposal]:
        """Rename proposals for the files of a recording, oldest first."""
        limit, offset = _checks.page(limit, offset)
        result = await self._execute(
            select(rename_proposals)
            .where(rename_proposals.c.recording_id == recording_id)
            .order_by(rename_proposals.c.created_at, rename_proposals.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_proposal(row) for row in result]

    # -- helpers ---------------------------------------------------------------------------

    def _latest_features(self, features: tuple[str, ...]) -> Any:
        rank = (
            func.row_number()
            .over(
                partition_by=(analysis_results.c.recording_id, analysis_results.c.feature),
                order_by=(
                    analysis_results.c.computed_at.desc(),
                    analysis_results.c.algorithm_version.desc(),
                ),
            )
            .label("rank")
        )
        ranked = (
            select(
                analysis_results.c.recording_id,
                analysis_results.c.feature,
                analysis_results.c.value,
                rank,
            )
            .where(analysis_results.c.feature.in_(features))
            .subquery("ranked")
        )
        return (
            select(ranked.c.recording_id, ranked.c.feature, ranked.c.value)
            .where(ranked.c.rank == 1)
            .cte("latest_analysis")
        )

    def _json_number(self, value: Any) -> ColumnElement[Any]:
        if self._dialect == "postgresql":
            return case(
                (
                    func.json_typeof(value) == "number",
                    cast(value.op("#>>")(literal_column("'{}'")), Float),
                )
            )
        return case((func.json_type(value).in_(("integer", "real")), func.json_extract(value, "$")))

    def _json_text(self, value: Any) -> ColumnElement[Any]:
        if self._dialect == "postgresql":
            return case(
                (func.json_typeof(value) == "string", value.op("#>>")(literal_column("'{}'")))
            )
        return case((func.json_type(value) == "text", func.json_extract(value, "$")))

    async def _summaries(self, page: list[Recording]) -> list[RecordingSummary]:
        ids = [recording.id for recording in page]
        if not ids:
            return []
        owned: dict[UUID, list[FileRecord]] = {recording_id: [] for recording_id in ids}
        rows = await self._execute(
            select(files).where(files.c.recording_id.in_(ids), LIVE).order_by(files.c.path)
        )
        for row in rows:
            owned[row.recording_id].append(file_record(row))
        analysed: dict[UUID, dict[str, AnalysisResult]] = {recording_id: {} for recording_id in ids}
        results = await self._execute(
            select(analysis_results)
            .where(analysis_results.c.recording_id.in_(ids))
            .order_by(analysis_results.c.computed_at, analysis_results.c.algorithm_version)
        )
        for row in results:  # ascending, so the last row of a feature is its latest
            analysed[row.recording_id][row.feature] = _analysis(row)
        return [
            RecordingSummary(
                recording,
                tuple(owned[recording.id]),
                dict(sorted(analysed[recording.id].items())),
            )
            for recording in page
        ]
