"""``tracktion contracts``: list, validate and document the message contracts.

Exit status: 0 success; 1 the message is invalid (one line per field error on standard
error); 2 a usage problem (unknown type, type that cannot be inferred, unreadable file).
Machine-readable output (JSON, YAML) is written as is, never through rich.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich import box
from rich.table import Table

from tracktion.contracts import (
    MESSAGE_SPECS,
    ContractValidationError,
    ExchangeNames,
    FieldError,
    MessageSpec,
    UnknownMessageTypeError,
    get_message_spec,
    infer_message_spec,
    spec_for_model,
    spec_for_routing_key,
)

from .rendering import EXIT_INVALID, EXIT_USAGE, stdout_console, to_json, to_yaml

__all__ = ["app"]

STDIN = "-"
AUTO = "auto"
WEBSOCKET_PATH = "/v1/ws"
DIRECTIONS = {"client": "client -> server", "server": "server -> client"}


_RST_ROLE = re.compile(r":\w+:`~?([^`]*)`")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

app = typer.Typer(
    name="contracts",
    help="List, validate and document the message contracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    """Formats of the AsyncAPI document."""

    YAML = "yaml"
    JSON = "json"


@app.command("list")
def list_messages(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array instead of a table.")
    ] = False,
) -> None:
    """List every message type: where it travels and what it means."""
    names = ExchangeNames()
    rows = [_describe(spec, names) for spec in MESSAGE_SPECS]
    if as_json:
        _write_json(rows)
        return
    console = stdout_console()
    # On a terminal the keys go one a line so the summary keeps room; else rows stay whole.
    key_separator = "\n" if console.is_terminal else ", "
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    for header in ("Type", "Channel", "Exchange", "Routing keys"):
        table.add_column(header, no_wrap=True)
    table.add_column("Priority", justify="right", no_wrap=True)
    table.add_column("Summary", overflow="fold")
    for row in rows:
        websocket = row["channel"] == "websocket"
        table.add_row(
            row["name"],
            row["channel"],
            WEBSOCKET_PATH if websocket else row["exchange"],
            DIRECTIONS.get(row["direction"], "")
            if websocket
            else key_separator.join(row["routing_keys"]),
            "" if row["priority"] is None else str(row["priority"]),
            _plain(row["summary"]),
        )
    console.print(table)


@app.command()
def validate(
    source: Annotated[
        str,
        typer.Argument(metavar="FILE", help="The message (JSON), or - to read standard input."),
    ],
    message_type: Annotated[
        str,
        typer.Option(
            "--type",
            "-t",
            metavar="TYPE",
            help="A type name (cue_generation), a class name (CueGenerationRequest), a "
            "routing key (cue.generation.single), or 'auto' to infer it from --routing-key "
            "or from the message's message_type, event_type, type or action field.",
        ),
    ],
    routing_key: Annotated[
        str | None,
        typer.Option(
            "--routing-key",
            "-k",
            metavar="KEY",
            help="The routing key the message is (to be) published with.",
        ),
    ] = None,
) -> None:
    """Validate one message: print 'valid TYPE', or 'invalid TYPE' and every field error
    on standard error, one a line."""
    spec = _spec_for_options(message_type, routing_key)
    data = _read_input(source)
    try:
        problem = _encoding_problem(data)
        if problem is not None:
            raise ContractValidationError(spec.name if spec else "message", (problem,))
        if spec is None:
            spec = _infer(data, source)
        message = spec.parse(data)
        _check_routing_key(spec, message, routing_key)
    except ContractValidationError as exc:
        _report_invalid(exc)
        raise typer.Exit(EXIT_INVALID) from None
    print(f"valid {_type_name(spec, message)}")


@app.command()
def asyncapi(
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
    ] = OutputFormat.YAML,
) -> None:
    """Print the AsyncAPI 3.0 document of the default topology."""
    from tracktion.contracts.asyncapi import build_asyncapi_document

    document = build_asyncapi_document()
    if output_format is OutputFormat.JSON:
        _write_json(document)
    else:
        sys.stdout.write(to_yaml(document))


@app.command()
def schema(
    message_type: Annotated[
        str,
        typer.Argument(metavar="TYPE", help="A type name, a class name or a routing key."),
    ],
) -> None:
    """Print the JSON Schema of one message type."""
    spec = _get_spec(message_type)
    from tracktion.contracts.asyncapi import message_json_schema

    _write_json(message_json_schema(spec.name))


# -- helpers -----------------------------------------------------------------------------


def _describe(spec: MessageSpec, names: ExchangeNames) -> dict[str, Any]:
    return {
        "name": spec.name,
        "channel": spec.channel,
        "exchange": names.for_role(spec.exchange) if spec.exchange is not None else None,
        "routing_keys": list(spec.routing_keys),
        "priority": spec.priority,
        "direction": spec.direction,
        "summary": spec.summary,
    }


def _plain(text: str) -> str:
    """Docstring text without its reStructuredText markup (``x``, :class:`X`)."""
    return _RST_ROLE.sub(r"\1", text).replace("``", "")


def _usage_error(message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(EXIT_USAGE)


def _get_spec(message_type: str) -> MessageSpec:
    try:
        return get_message_spec(message_type)
    except UnknownMessageTypeError as exc:
        _usage_error(f"{exc} (see: tracktion contracts list)")


def _spec_for_options(message_type: str, routing_key: str | None) -> MessageSpec | None:
    """The spec named by --type/--routing-key; ``None`` when it must be inferred."""
    by_key = None
    if routing_key is not None:
        try:
            by_key = spec_for_routing_key(routing_key)
        except UnknownMessageTypeError as exc:
            _usage_error(str(exc))
    if message_type == AUTO:
        return by_key
    spec = _get_spec(message_type)
    if by_key is not None and by_key is not spec:
        _usage_error(f"routing key {routing_key!r} carries {by_key.name} messages, not {spec.name}")
    return spec


def _display_name(source: str) -> str:
    return "standard input" if source == STDIN else source


def _read_input(source: str) -> bytes:
    try:
        if source == STDIN:
            return sys.stdin.buffer.read()
        with open(source, "rb") as file:
            return file.read()
    except OSError as exc:
        _usage_error(f"cannot read {_display_name(source)}: {exc.strerror or exc}")


def _encoding_problem(data: bytes) -> FieldError | None:
    """Why ``data`` cannot be a UTF-8 JSON message, for causes JSON parsers explain badly."""
    if data.startswith(_UTF8_BOM):
        return FieldError(
            "",
            "starts with a UTF-8 byte order mark; a JSON message must not have one",
            "json_bom",
            repr(data[:3]),
        )
    if data.startswith(_UTF16_BOMS):
        return FieldError(
            "", "is UTF-16 (byte order mark); a message must be UTF-8", "utf8", repr(data[:2])
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FieldError(
            "",
            f"is not valid UTF-8: {exc.reason} at byte offset {exc.start}",
            "utf8",
            repr(data[exc.start : exc.end]),
        )
    if not data.strip():
        return FieldError("", "is empty; expected a JSON object", "json_invalid")
    return None


def _infer(data: bytes, source: str) -> MessageSpec:
    try:
        return infer_message_spec(data)
    except UnknownMessageTypeError as exc:
        _usage_error(f"{_display_name(source)}: {exc} (--type TYPE or --routing-key KEY)")


def _check_routing_key(spec: MessageSpec, message: BaseModel, routing_key: str | None) -> None:
    """A message whose own routing key (``file.<event_type>``...) contradicts the given one."""
    if routing_key is None or not isinstance(getattr(message, "routing_key", None), str):
        return
    own = spec.routing_key_for(message)
    if own != routing_key:
        raise ContractValidationError(
            spec.name,
            (
                FieldError(
                    "",
                    f"is published with routing key {own!r}, not {routing_key!r}",
                    "routing_key_mismatch",
                ),
            ),
        )


def _report_invalid(exc: ContractValidationError) -> None:
    # The verdict goes where "valid TYPE" goes; standard error has one line per field error.
    print(f"invalid {exc.message_type}")
    sys.stderr.write("".join(f"{error}\n" for error in exc.errors))


def _type_name(spec: MessageSpec, message: BaseModel) -> str:
    """The most specific type name: ``ws_ping`` rather than ``ws_client_message``."""
    try:
        return spec_for_model(type(message)).name
    except UnknownMessageTypeError:
        return spec.name


def _write_json(value: Any) -> None:
    sys.stdout.write(to_json(value))
