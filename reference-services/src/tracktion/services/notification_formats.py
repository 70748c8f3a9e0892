"""Readable notifications from bus messages: one formatter per message type.

:func:`format_message` picks the formatter of the message's contract; a message type
without one gets :func:`generic_notification` (its type as the title, its scalar fields
as fields), so a new event is still reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, TypeVar

from pydantic import BaseModel

from tracktion.contracts import (
    AnalysisCompleteEvent,
    BatchCueGenerationComplete,
    CatalogChange,
    CatalogUpdatedEvent,
    CueGenerationComplete,
    ErrorEvent,
    RenameGeneratedEvent,
    RenameResponse,
)
from tracktion.core.notify import Level, Notification, NotificationField

__all__ = ["FORMATTED_TYPES", "format_message", "generic_notification"]

M = TypeVar("M", bound=BaseModel)
_Formatter = Callable[[Any], Notification]

_GENERIC_FIELDS = 12
_DETAILS_LIMIT = 1000


def _name(path: str | None) -> str:
    return PurePath(path).name if path else "?"


def _field(name: str, value: object, inline: bool = True) -> NotificationField:
    return NotificationField(name=name, value=str(value), inline=inline)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _analysis_complete(event: AnalysisCompleteEvent) -> Notification:
    results = event.results
    fields = []
    if results.bpm is not None:
        fields.append(_field("BPM", f"{results.bpm:.1f}"))
    if results.key is not None:
        shown = " / ".join(k for k in (results.key, results.camelot, results.open_key) if k)
        fields.append(_field("Key", shown))
    if results.energy_level is not None:
        fields.append(_field("Energy", f"{results.energy_level}/10"))
    if results.loudness_lufs is not None:
        fields.append(_field("Loudness", f"{results.loudness_lufs:.1f} LUFS"))
    if results.duration_s is not None:
        fields.append(_field("Duration", _duration(results.duration_s)))
    fields.append(_field("Analysis time", f"{event.processing_time_ms / 1000:.1f} s"))
    return Notification(
        title=f"Analysis complete: {_name(event.file_path)}",
        body=event.file_path,
        level=Level.SUCCESS,
        fields=tuple(fields),
        source="analysis",
    )


_CHANGE_VERBS = {
    CatalogChange.ADDED: "Added",
    CatalogChange.UPDATED: "Updated",
    CatalogChange.MOVED: "Moved",
    CatalogChange.DELETED: "Removed",
    CatalogChange.ANALYZED: "Analyzed",
}


def _catalog_updated(event: CatalogUpdatedEvent) -> Notification:
    body = event.file_path or ""
    if event.change is CatalogChange.MOVED and event.old_path:
        body = f"{event.old_path} \u2192 {event.file_path or '?'}"
    fields = [_field("Recording", event.recording_id, inline=False)]
    if event.duplicate_count:
        fields.append(_field("Other copies", event.duplicate_count))
    return Notification(
        title=f"Catalog: {_CHANGE_VERBS[event.change]} {_name(event.file_path or event.old_path)}",
        body=body,
        level=Level.WARNING if event.change is CatalogChange.DELETED else Level.INFO,
        fields=tuple(fields),
        source="cataloging",
    )


def _rename_generated(event: RenameGeneratedEvent) -> Notification:
    return Notification(
        title=f"Rename proposed: {_name(event.proposed_path)}",
        body=f"{event.original_path} \u2192 {event.proposed_path}",
        fields=(
            _field("Confidence", f"{event.confidence:.0%}"),
            _field("Template", event.template),
            _field("Proposal", event.proposal_id, inline=False),
        ),
        source="rename",
    )


def _rename_response(event: RenameResponse) -> Notification:
    if event.success:
        return Notification(
            title=f"Renamed: {_name(event.new_path)}",
            body=f"{event.original_path} \u2192 {event.new_path}",
            level=Level.SUCCESS,
            source="rename",
        )
    return Notification(
        title=f"Rename failed: {_name(event.original_path)}",
        body=event.error or "",
        level=Level.ERROR,
        fields=(_field("File", event.original_path, inline=False),),
        source="rename",
    )


def _error(event: ErrorEvent) -> Notification:
    fields = [_field("Code", event.error_code)]
    if event.file_path:
        fields.append(_field("File", event.file_path, inline=False))
    if event.recording_id:
        fields.append(_field("Recording", event.recording_id, inline=False))
    if event.details:
        details = json.dumps(event.details, ensure_ascii=False, sort_keys=True)
        fields.append(_field("Details", details[:_DETAILS_LIMIT], inline=False))
    return Notification(
        title=f"{event.service.capitalize()} error: {event.error_code}",
        body=event.error,
        level=Level.ERROR,
        fields=tuple(fields),
        source=event.service,
    )


def _cue_complete(event: CueGenerationComplete) -> Notification:
    timing = _field("Time", f"{event.processing_time_ms / 1000:.1f} s")
    if not event.success:
        return Notification(
            title="CUE generation failed",
            body=event.error or "",
            level=Level.ERROR,
            fields=(_field("Tracklist", event.tracklist_id, inline=False), timing),
            source="tracklist",
        )
    fields = [_field("Size", f"{event.file_size} bytes")] if event.file_size is not None else []
    if event.validation_report is not None and event.validation_report.warnings:
        fields.append(_field("Warnings", len(event.validation_report.warnings)))
    return Notification(
        title=f"CUE sheet generated: {_name(event.file_path)}",
        body=event.file_path or "",
        level=Level.SUCCESS,
        fields=(*fields, timing),
        source="tracklist",
    )


def _batch_cue_complete(event: BatchCueGenerationComplete) -> Notification:
    fields = tuple(
        _field(
            result.format.value,
            _name(result.file_path) if result.success else f"failed: {result.error}",
        )
        for result in event.results
    )
    failed = sum(not result.success for result in event.results)
    return Notification(
        title="CUE sheets generated"
        if event.success
        else f"CUE batch: {failed} of {len(event.results)} formats failed",
        body=f"Tracklist {event.tracklist_id}",
        level=Level.SUCCESS if event.success else Level.WARNING,
        fields=fields,
        source="tracklist",
    )


_FORMATTERS: dict[type[BaseModel], _Formatter] = {}


def _register(kind: type[M], formatter: Callable[[M], Notification]) -> None:
    _FORMATTERS[kind] = formatter


_register(AnalysisCompleteEvent, _analysis_complete)
_register(CatalogUpdatedEvent, _catalog_updated)
_register(RenameGeneratedEvent, _rename_generated)
_register(RenameResponse, _rename_response)
_register(ErrorEvent, _error)
_register(CueGenerationComplete, _cue_complete)
_register(BatchCueGenerationComplete, _batch_cue_complete)

FORMATTED_TYPES: frozenset[type[BaseModel]] = frozenset(_FORMATTERS)
"""The message types with a formatter of their own."""


def _type_name(message: BaseModel) -> str:
    name = getattr(type(message), "MESSAGE_TYPE", None)
    return name if isinstance(name, str) else type(message).__name__


def generic_notification(message: BaseModel) -> Notification:
    """A plain notification for a message type without a formatter."""
    data = message.model_dump(mode="json", exclude={"schema_version", "correlation_id"})
    fields = [
        _field(key.replace("_", " ").capitalize(), value)
        for key, value in data.items()
        if isinstance(value, str | int | float | bool) and key != "timestamp"
    ][:_GENERIC_FIELDS]
    return Notification(
        title=_type_name(message).replace("_", " ").capitalize(), fields=tuple(fields)
    )


def format_message(message: BaseModel, *, correlation_id: str | None = None) -> Notification:
    """The notification for a bus message, stamped with its type, correlation id and time.

    The time is the message's own ``timestamp`` when it has one, else now.
    """
    formatter = _FORMATTERS.get(type(message), generic_notification)
    notification = formatter(message)
    stamp = getattr(message, "timestamp", None)
    own = getattr(message, "correlation_id", None)
    return notification.model_copy(
        update={
            "event_type": _type_name(message),
            "correlation_id": correlation_id or (str(own) if own is not None else None),
            "timestamp": stamp if isinstance(stamp, datetime) else datetime.now(UTC),
        }
    )
