"""Tags and analysis results of recordings.

Both hang off the recording, not the file, so they follow content through moves and are
shared by duplicates. Tags are replaced per source (``id3``, ``musicbrainz``, ``user``):
a source's latest reading is its whole truth. Analysis results are kept per algorithm
version, so a new analyzer release adds results instead of overwriting the old ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Row, delete, exists, insert, select

from . import _checks
from ._base import RepositoryBase
from ._file_queries import recording_record
from .errors import CatalogInputError
from .records import AnalysisResult, Recording, Tag
from .schema import analysis_results, files, recordings
from .schema import tags as tags_table

__all__ = ["MetadataRepository"]

_SOURCE_LENGTH = 64
_KEY_LENGTH = 255
_FEATURE_LENGTH = 64
_VERSION_LENGTH = 64


def _analysis(row: Row[Any]) -> AnalysisResult:
    return AnalysisResult(
        recording_id=row.recording_id,
        feature=row.feature,
        algorithm_version=row.algorithm_version,
        value=row.value,
        confidence=row.confidence,
        computed_at=row.computed_at,
    )


def _tag_value(value: str, key: str) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise CatalogInputError(f"tag {key!r} must be a string without NUL characters")
    return value


class MetadataRepository(RepositoryBase):
    """Tags and analysis results (mixin of the unit of work)."""

    async def set_tags(self, recording_id: UUID, tags: Mapping[str, str], source: str) -> list[Tag]:
        """Replace every tag ``source`` gave the recording with ``tags`` (an empty mapping
        removes them). Keys are at most 255 characters, ``source`` at most 64; values are
        any text without NUL. Returns the stored tags by key. Raises
        ``CatalogConflictError`` if the recording does not exist."""
        _checks.text(source, "source", max_length=_SOURCE_LENGTH)
        rows = {
            _checks.text(key, "tag key", max_length=_KEY_LENGTH): _tag_value(value, key)
            for key, value in tags.items()
        }
        now = self._now()
        await self._execute(
            delete(tags_table).where(
                tags_table.c.recording_id == recording_id, tags_table.c.source == source
            )
        )
        if rows:
            await self._execute(
                insert(tags_table),
                [
                    {
                        "recording_id": recording_id,
                        "source": source,
                        "key": key,
                        "value": value,
                        "updated_at": now,
                    }
                    for key, value in rows.items()
                ],
            )
        return [Tag(source, key, rows[key], now) for key in sorted(rows)]

    async def get_tags(self, recording_id: UUID, *, source: str | None = None) -> list[Tag]:
        """The recording's tags, by source then key; only ``source``'s when given."""
        query = select(tags_table).where(tags_table.c.recording_id == recording_id)
        if source is not None:
            query = query.where(tags_table.c.source == source)
        result = await self._execute(query.order_by(tags_table.c.source, tags_table.c.key))
        return [Tag(row.source, row.key, row.value, row.updated_at) for row in result]

    async def save_analysis(
        self,
        recording_id: UUID,
        feature: str,
        algorithm_version: str,
        value: object,
        confidence: float | None = None,
        *,
        computed_at: datetime | None = None,
    ) -> AnalysisResult:
        """Store what ``algorithm_version`` computed for ``feature`` of a recording,
        replacing an earlier result of the same version. ``value`` is JSON (a BPM number, a
        key name, a beat grid list); ``confidence`` is in [0, 1]; ``computed_at`` defaults
        to now. Raises ``CatalogInputError`` for invalid values and
        ``CatalogConflictError`` if the recording does not exist."""
        _checks.text(feature, "feature", max_length=_FEATURE_LENGTH)
        _checks.text(algorithm_version, "algorithm_version", max_length=_VERSION_LENGTH)
        plain = _checks.json_value(value, "value")
        confidence = _checks.optional_probability(confidence, "confidence")
        at = self._now() if computed_at is None else _checks.aware(computed_at, "computed_at")
        statement = self._insert(analysis_results).values(
            id=uuid4(),
            recording_id=recording_id,
            feature=feature,
            algorithm_version=algorithm_version,
            value=plain,
            confidence=confidence,
            computed_at=at,
        )
        await self._execute(
            statement.on_conflict_do_update(
                index_elements=["recording_id", "feature", "algorithm_version"],
                set_={
                    "value": statement.excluded.value,
                    "confidence": statement.excluded.confidence,
                    "computed_at": statement.excluded.computed_at,
                },
            )
        )
        return AnalysisResult(recording_id, feature, algorithm_version, plain, confidence, at)

    async def get_analysis(
        self, recording_id: UUID, feature: str | None = None
    ) -> dict[str, AnalysisResult]:
        """The latest result (most recently computed) of each feature of a recording, by
        feature name; only ``feature`` when given. Empty when nothing is stored."""
        query = select(analysis_results).where(analysis_results.c.recording_id == recording_id)
        if feature is not None:
            query = query.where(analysis_results.c.feature == feature)
        result = await self._execute(
            query.order_by(analysis_results.c.computed_at, analysis_results.c.algorithm_version)
        )
        latest: dict[str, AnalysisResult] = {}
        for row in result:  # ascending, so the last row of a feature is its latest
            latest[row.feature] = _analysis(row)
        return dict(sorted(latest.items()))

    async def has_analysis(
        self, recording_id: UUID, algorithm_version: str, *, feature: str | None = None
    ) -> bool:
        """Whether ``algorithm_version`` has a stored result for the recording (for
        ``feature``, when given): the analysis service's "already done" test."""
        query = select(analysis_results.c.id).where(
            analysis_results.c.recording_id == recording_id,
            analysis_results.c.algorithm_version == algorithm_version,
        )
        if feature is not None:
            query = query.where(analysis_results.c.feature == feature)
        result = await self._execute(query.limit(1))
        return result.first() is not None

    async def recordings_without_analysis(
        self, algorithm_version: str, *, limit: int = 100
    ) -> list[Recording]:
        """Up to ``limit`` recordings with a live file and no result from
        ``algorithm_version``, oldest first: the backlog after an analyzer upgrade."""
        limit, _ = _checks.page(limit, 0)
        result = await self._execute(
            select(recordings)
            .where(
                exists().where(
                    files.c.recording_id == recordings.c.id, files.c.deleted_at.is_(None)
                ),
                ~exists().where(
                    analysis_results.c.recording_id == recordings.c.id,
                    analysis_results.c.algorithm_version == algorithm_version,
                ),
            )
            .order_by(recordings.c.created_at, recordings.c.id)
            .limit(limit)
        )
        return [recording_record(row) for row in result]
