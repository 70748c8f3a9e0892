"""``/v1/tracklists``: import the tracklist of a mix, read its versions, edit it with history.

An import reads text, CUE, M3U, JSON or a saved 1001tracklists page, sent as the JSON
``source.content``, as a ``multipart/form-data`` upload (part ``file``), or fetched from
``source.url`` when the API has a tracklist fetcher (``ApiOptions.tracklist_fetcher``). Its
entries are matched to the catalog's recordings (missing start times are estimated from
the matched durations) and stored as version 1. Every edit stores the next version; the
earlier ones stay readable with ``?version=N``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from email.parser import BytesParser
from email.policy import HTTP
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, Self
from uuid import UUID

import anyio
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tracktion.core.catalog import CatalogTransaction
from tracktion.core.tracklists import (
    DEFAULT_THRESHOLD,
    ImportResult,
    MatchResult,
    SourceKind,
    TrackEntry,
    Tracklist,
    TracklistBlockedError,
    TracklistEditError,
    TracklistError,
    TracklistFetchError,
    edit_tracklist,
    from_catalog_entries,
    import_tracklist,
    insert_entry,
    load_candidates,
    match_tracklist,
    remove_entry,
    retime_entry,
    save_tracklist,
    shift_times,
)

from ..deps import Context
from ..errors import ApiError
from ..schemas import (
    EntryCandidatesOut,
    TracklistDetail,
    TracklistImported,
    TracklistOut,
    TracklistVersionOut,
)

__all__ = ["MAX_IMPORT_BYTES", "router"]

router = APIRouter(tags=["tracklists"])

MAX_IMPORT_BYTES = 16 * 1024 * 1024
"""Largest tracklist accepted, in bytes (the request body may add 64 KiB of framing)."""
_MAX_BODY_BYTES = MAX_IMPORT_BYTES + 64 * 1024
_CONTENT = "<content>"

TracklistId = Annotated[UUID, Path(description="The tracklist's id (a UUID).")]


class SourceIn(BaseModel):
    """Where the tracklist comes from: ``content`` or ``url``, exactly one."""

    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_IMPORT_BYTES,
        description="The tracklist itself: text, a CUE sheet, an M3U playlist, JSON or a "
        "saved 1001tracklists page.",
    )
    url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        max_length=2048,
        description="A 1001tracklists page to fetch (needs a fetcher configured).",
    )
    format: SourceKind | None = Field(
        default=None, description="The content's format; detected when omitted."
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="A file name for the content: its extension helps detection, and "
        "messages name it.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.content is None) == (self.url is None):
            raise ValueError("give exactly one of 'content' and 'url'")
        return self


class ImportBody(BaseModel):
    """A tracklist to import, and the mix it describes."""

    model_config = ConfigDict(extra="forbid")

    recording_id: UUID | None = Field(default=None, description="The recording of the mix.")
    source: SourceIn
    title: str | None = Field(
        default=None, min_length=1, max_length=500, description="Overrides the source's title."
    )
    match_threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Least score, in [0, 1], for an entry to take a recording.",
    )


class UploadFields(BaseModel):
    """The form fields beside the ``file`` part of a multipart import."""

    model_config = ConfigDict(extra="forbid")

    recording_id: UUID | None = None
    format: SourceKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=500)
    match_threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)


class EditOp(StrEnum):
    """What an edit does."""

    SHIFT = "shift"
    INSERT = "insert"
    REMOVE = "remove"
    RETIME = "retime"


class EntryIn(BaseModel):
    """A track to insert."""

    model_config = ConfigDict(extra="forbid")

    artist: str = Field(min_length=1, max_length=500, pattern=r"\S")
    title: str = Field(min_length=1, max_length=500, pattern=r"\S")
    start_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    mix: str | None = Field(default=None, min_length=1, max_length=500)
    label: str | None = Field(default=None, min_length=1, max_length=500)
    played_with_previous: bool = False
    recording_id: UUID | None = None


class EditBody(BaseModel):
    """One edit of the latest version; it is stored as the next version.

    * ``shift``: every start moves by ``delta_s`` seconds (negative: earlier).
    * ``insert``: ``entry`` becomes track ``position`` (1 to entries + 1).
    * ``remove``: track ``position`` goes.
    * ``retime``: track ``position`` starts at ``start_s`` seconds.
    """

    model_config = ConfigDict(extra="forbid")

    op: EditOp
    delta_s: float | None = Field(default=None, allow_inf_nan=False)
    position: int | None = Field(default=None, ge=1)
    start_s: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    entry: EntryIn | None = None
    note: str | None = Field(
        default=None, min_length=1, max_length=1000, description="Why (kept with the version)."
    )


_EDIT_FIELDS = {
    EditOp.SHIFT: ("delta_s",),
    EditOp.INSERT: ("position", "entry"),
    EditOp.REMOVE: ("position",),
    EditOp.RETIME: ("position", "start_s"),
}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined (the OpenAPI document holds it
    outside ``components``, where ``#/$defs/...`` would not resolve)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


_IMPORT_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inlined(ImportBody.model_json_schema())},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "recording_id": {"type": "string", "format": "uuid"},
                        "format": {"type": "string", "enum": [k.value for k in SourceKind]},
                        "title": {"type": "string"},
                        "match_threshold": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                }
            },
        },
    }
}


@dataclass(frozen=True, slots=True)
class _Import:
    """A request to import, whichever way it came."""

    field: str
    """The input the tracklist came from, named in errors."""
    data: bytes | None
    url: str | None
    name: str
    kind: SourceKind | None
    recording_id: UUID | None
    title: str | None
    threshold: float


def _invalid_body(exc: ValidationError, *prefix: str) -> RequestValidationError:
    errors = [
        {**error, "loc": ("body", *prefix, *error["loc"])}
        for error in exc.errors(include_url=False, include_context=False)
    ]
    return RequestValidationError(errors)


async def _read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY_BYTES:
            raise ApiError(
                413, "too_large", f"the request body is larger than {_MAX_BODY_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _from_json(raw: bytes) -> _Import:
    try:
        body = ImportBody.model_validate_json(raw)
    except ValidationError as exc:
        raise _invalid_body(exc) from None
    source = body.source
    if source.content is not None:
        data: bytes | None = source.content.encode("utf-8")
        field, name = "source.content", source.name or _CONTENT
    else:
        data, field, name = None, "source.url", source.url or ""
    return _Import(
        field=field,
        data=data,
        url=source.url,
        name=name,
        kind=source.format,
        recording_id=body.recording_id,
        title=body.title,
        threshold=body.match_threshold,
    )


def _from_upload(content_type: str, raw: bytes) -> _Import:
    """The ``file`` part and the fields of a ``multipart/form-data`` body."""
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(header + raw)
    if not message.is_multipart():
        raise ApiError.invalid("file", "not a multipart/form-data body", location="body")
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "file":
            upload = (part.get_filename() or "upload", data)
        else:
            fields[name] = data.decode("utf-8", errors="replace")
    if upload is None:
        raise ApiError.invalid("file", "a multipart import needs a 'file' part", location="body")
    if not upload[1]:
        raise ApiError.invalid("file", f"{upload[0]} is empty", location="body")
    if len(upload[1]) > MAX_IMPORT_BYTES:
        raise ApiError.invalid(
            "file", f"{upload[0]} is larger than {MAX_IMPORT_BYTES} bytes", location="body"
        )
    try:
        form = UploadFields.model_validate(fields)
    except ValidationError as exc:
        raise _invalid_body(exc) from None
    return _Import(
        field="file",
        data=upload[1],
        url=None,
        name=upload[0],
        kind=form.format,
        recording_id=form.recording_id,
        title=form.title,
        threshold=form.match_threshold,
    )


async def _read_source(ctx: Context, wanted: _Import) -> ImportResult:
    """The tracklist of the request, read (or fetched) with the library's importers."""
    try:
        if wanted.url is not None:
            fetcher = ctx.options.tracklist_fetcher
            if fetcher is None:
                raise ApiError.invalid(
                    wanted.field,
                    "this API instance fetches no URLs (no tracklist fetcher is configured); "
                    "send the page as source.content instead",
                    location="body",
                )
            return await fetcher.import_url(wanted.url)
        assert wanted.data is not None
        imported = await anyio.to_thread.run_sync(
            partial(import_tracklist, wanted.data, source=wanted.name, kind=wanted.kind)
        )
    except TracklistBlockedError as exc:
        raise ApiError.invalid(wanted.field, str(exc), location="body") from exc
    except TracklistFetchError as exc:
        raise ApiError(502, "upstream_error", f"{wanted.field}: {exc}") from exc
    except TracklistError as exc:
        raise ApiError.invalid(wanted.field, str(exc), location="body") from exc
    if imported.tracklist.source_url == _CONTENT:
        imported = replace(imported, tracklist=replace(imported.tracklist, source_url=None))
    return imported


async def _detail(
    tx: CatalogTransaction, tracklist_id: UUID, version: int | None = None
) -> TracklistDetail:
    header = await tx.get_tracklist(tracklist_id)
    if header is None:
        raise ApiError.not_found("tracklist", tracklist_id)
    stored = await tx.get_tracklist_version(tracklist_id, version)
    if stored is None:
        raise ApiError(
            404,
            "not_found",
            f"tracklist {tracklist_id} has no version {version} "
            f"(versions 1 to {header.latest_version})",
        )
    entries = from_catalog_entries(stored.entries, header)
    return TracklistDetail.of_version(header, stored, entries, await tx.cue_files_of(tracklist_id))


@router.post(
    "/v1/tracklists",
    response_model=TracklistImported,
    status_code=201,
    summary="Import a tracklist",
    openapi_extra=_IMPORT_OPENAPI,
)
async def import_tracklist_route(ctx: Context, request: Request) -> TracklistImported:
    """Read a tracklist (JSON ``source`` or a multipart ``file``), match its entries to
    the catalog and store it as version 1 of a new tracklist."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        wanted = _from_upload(content_type, await _read_body(request))
    elif media == "application/json" or media.endswith("+json"):
        wanted = _from_json(await _read_body(request))
    else:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type {media or '(none)'!r}: send application/json or multipart/form-data",
        )
    catalog = ctx.ports.catalog
    if wanted.recording_id is not None and await catalog.get_recording(wanted.recording_id) is None:
        raise ApiError.invalid(
            "recording_id", f"no recording {wanted.recording_id} in the catalog", location="body"
        )
    imported = await _read_source(ctx, wanted)
    tracklist = imported.tracklist
    if wanted.title is not None:
        tracklist = replace(tracklist, title=wanted.title)
    candidates = await load_candidates(catalog)
    matched: MatchResult = await anyio.to_thread.run_sync(
        partial(match_tracklist, tracklist, candidates, threshold=wanted.threshold)
    )
    async with catalog.transaction() as tx:
        stored = await save_tracklist(
            tx,
            matched.tracklist,
            mix_recording_id=wanted.recording_id,
            note=f"imported from {wanted.name}",
        )
        detail = await _detail(tx, stored.id)
    return TracklistImported(
        **detail.model_dump(),
        matched=matched.matched,
        warnings=[str(warning) for warning in imported.warnings],
        candidates=[EntryCandidatesOut.of(match) for match in matched.matches],
    )


@router.get("/v1/tracklists/{tracklist_id}", response_model=TracklistDetail, summary="A tracklist")
async def get_tracklist(
    ctx: Context,
    tracklist_id: TracklistId,
    version: Annotated[int | None, Query(ge=1, description="Default: the latest.")] = None,
) -> TracklistDetail:
    """One version of a tracklist (the latest by default) with its entries and CUE files."""
    async with ctx.ports.catalog.transaction() as tx:
        return await _detail(tx, tracklist_id, version)


@router.get(
    "/v1/tracklists/{tracklist_id}/versions",
    response_model=list[TracklistVersionOut],
    summary="The versions of a tracklist",
)
async def list_versions(ctx: Context, tracklist_id: TracklistId) -> list[TracklistVersionOut]:
    """Every stored version, oldest first, with why it was made."""
    versions = []
    async with ctx.ports.catalog.transaction() as tx:
        header = await tx.get_tracklist(tracklist_id)
        if header is None:
            raise ApiError.not_found("tracklist", tracklist_id)
        for number in range(1, header.latest_version + 1):
            stored = await tx.get_tracklist_version(tracklist_id, number)
            if stored is not None:
                versions.append(TracklistVersionOut.of(stored))
    return versions


def _editor(body: EditBody) -> tuple[Callable[[Tracklist], Tracklist], str]:
    """The edit as a function of the latest version, and its default note."""
    for name in _EDIT_FIELDS[body.op]:
        if getattr(body, name) is None:
            raise ApiError.invalid(name, f"required for op {body.op.value!r}", location="body")
    for name in ("delta_s", "position", "start_s", "entry"):
        if name not in _EDIT_FIELDS[body.op] and getattr(body, name) is not None:
            raise ApiError.invalid(name, f"does not apply to op {body.op.value!r}", location="body")

    def check_position(tracklist: Tracklist, extra: int = 0) -> int:
        assert body.position is not None
        last = len(tracklist.entries) + extra
        if body.position > last:
            raise ApiError.invalid(
                "position", f"{body.position} is outside 1..{last}", location="body"
            )
        return body.position

    def edit(tracklist: Tracklist) -> Tracklist:
        field = "position"
        try:
            if body.op is EditOp.SHIFT:
                assert body.delta_s is not None
                field = "delta_s"
                return shift_times(tracklist, body.delta_s)
            if body.op is EditOp.REMOVE:
                return remove_entry(tracklist, check_position(tracklist))
            if body.op is EditOp.RETIME:
                assert body.start_s is not None
                position = check_position(tracklist)
                if tracklist.entries[position - 1].played_with_previous:
                    field = "position"
                else:
                    field = "start_s"
                return retime_entry(tracklist, position, body.start_s)
            assert body.entry is not None
            position = check_position(tracklist, extra=1)
            field = "entry.played_with_previous" if position == 1 else "entry.start_s"
            new = TrackEntry(**body.entry.model_dump())
            return insert_entry(tracklist, position, new)
        except TracklistEditError as exc:
            raise ApiError.invalid(field, str(exc), location="body") from exc

    match body.op:
        case EditOp.SHIFT:
            note = f"shift by {body.delta_s:+g} s"
        case EditOp.INSERT:
            assert body.entry is not None
            note = f"insert {body.entry.artist} - {body.entry.title} at {body.position}"
        case EditOp.REMOVE:
            note = f"remove track {body.position}"
        case EditOp.RETIME:
            note = f"retime track {body.position} to {body.start_s:g} s"
    return edit, note


@router.post(
    "/v1/tracklists/{tracklist_id}/edits",
    response_model=TracklistDetail,
    status_code=201,
    summary="Edit a tracklist (a new version)",
)
async def edit(
    ctx: Context, tracklist_id: TracklistId, body: Annotated[EditBody, Body()]
) -> TracklistDetail:
    """Apply one edit to the latest version and store the result as the next version;
    earlier versions stay as they were."""
    editor, note = _editor(body)
    async with ctx.ports.catalog.transaction() as tx:
        if await tx.get_tracklist(tracklist_id) is None:
            raise ApiError.not_found("tracklist", tracklist_id)
        recording_id = None if body.entry is None else body.entry.recording_id
        if recording_id is not None and await tx.get_recording(recording_id) is None:
            raise ApiError.invalid(
                "entry.recording_id", f"no recording {recording_id} in the catalog", location="body"
            )
        stored = await edit_tracklist(tx, tracklist_id, editor, note=body.note or note)
        return await _detail(tx, tracklist_id, stored.version)


@router.get(
    "/v1/recordings/{recording_id}/tracklists",
    response_model=list[TracklistOut],
    summary="The tracklists of a recording",
)
async def tracklists_of_recording(
    ctx: Context, recording_id: Annotated[UUID, Path(description="The mix's recording id.")]
) -> list[TracklistOut]:
    """The tracklists of the mix the recording is, and those whose latest version plays
    it, oldest first."""
    async with ctx.ports.catalog.transaction() as tx:
        if await tx.get_recording(recording_id) is None:
            raise ApiError.not_found("recording", recording_id)
        found = await tx.tracklists_of_recording(recording_id)
    return [TracklistOut.of(tracklist) for tracklist in found]
