"""Analysis results (the ``AnalysisResults`` contract) stored as one catalog row per feature.

Each computed field of the contract becomes a feature named after it (``bpm``, ``key``,
``loudness_lufs``...); the confidences travel with their feature (``bpm`` carries
``bpm_confidence``, ``key`` carries ``key_confidence``). Reading assembles the latest row
of each feature back into the contract, so the REST API, the WebSocket and a notebook all
see one shape.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tracktion.contracts import AnalysisResults

from .repository import CatalogTransaction

__all__ = ["load_results", "save_results"]

# The field whose value is the confidence of another field's feature.
_CONFIDENCE_OF = {"bpm": "bpm_confidence", "key": "key_confidence"}
_CONFIDENCES = frozenset(_CONFIDENCE_OF.values())


async def save_results(
    tx: CatalogTransaction, recording_id: UUID, results: AnalysisResults, algorithm_version: str
) -> list[str]:
    """Store every computed field of ``results`` for a recording; return the features
    stored. Fields that are ``None`` (not computed) are left as they were. Raises the
    catalog's ``CatalogConflictError`` when the recording does not exist."""
    stored: list[str] = []
    for feature, value in results.model_dump(mode="json").items():
        if value is None or feature in _CONFIDENCES:
            continue
        confidence_field = _CONFIDENCE_OF.get(feature)
        confidence = getattr(results, confidence_field) if confidence_field else None
        await tx.save_analysis(recording_id, feature, algorithm_version, value, confidence)
        stored.append(feature)
    return stored


async def load_results(tx: CatalogTransaction, recording_id: UUID) -> AnalysisResults | None:
    """The latest stored result of each feature of a recording, as the contract; ``None``
    when nothing has been analyzed. Features the contract does not know are skipped."""
    rows = await tx.get_analysis(recording_id)
    if not rows:
        return None
    known = AnalysisResults.model_fields
    fields: dict[str, Any] = {}
    for feature, row in rows.items():
        if feature in known and feature not in _CONFIDENCES:
            fields[feature] = row.value
            confidence_field = _CONFIDENCE_OF.get(feature)
            if confidence_field is not None and row.confidence is not None:
                fields[confidence_field] = row.confidence
    return AnalysisResults.model_validate(fields) if fields else None
