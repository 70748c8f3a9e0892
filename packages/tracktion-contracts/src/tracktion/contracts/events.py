"""System events of the service interaction diagrams: catalog changes and errors."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from ._base import Contract
from ._types import JsonObject, Lax, NonEmptyPath, NonEmptyStr, Timestamp, Uuid

__all__ = ["CatalogChange", "CatalogUpdatedEvent", "ErrorCode", "ErrorEvent", "ServiceName"]

ServiceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
"""A service's name as it appears in ``error.<service>`` routing keys (``analysis``)."""

ErrorCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
"""An upper-snake-case error code such as ``ANALYSIS_ERROR``."""


class CatalogChange(StrEnum):
    """What a catalog update did."""

    ADDED = "added"
    UPDATED = "updated"
    MOVED = "moved"
    DELETED = "deleted"
    ANALYZED = "analyzed"


class CatalogUpdatedEvent(Contract):
    """The catalog changed for one recording (``catalog.updated``)."""

    MESSAGE_TYPE: ClassVar[str] = "catalog_updated"

    recording_id: Uuid
    change: Annotated[CatalogChange, Lax]
    file_path: NonEmptyPath | None = None
    old_path: NonEmptyPath | None = None
    duplicate_count: Annotated[int, Field(ge=0)] = 0
    """How many other live files hold the same content."""
    correlation_id: Uuid
    timestamp: Timestamp


class ErrorEvent(Contract):
    """A service failed to process something (``error.<service>``)."""

    MESSAGE_TYPE: ClassVar[str] = "error_event"

    service: ServiceName
    error_code: ErrorCode
    error: NonEmptyStr
    """A one-line, human-readable description."""
    details: JsonObject = Field(default_factory=dict)
    recording_id: Uuid | None = None
    file_path: NonEmptyPath | None = None
    correlation_id: Uuid | None = None
    timestamp: Timestamp

    @property
    def routing_key(self) -> str:
        """``error.<service>``, the key this event is published with."""
        return f"error.{self.service}"
