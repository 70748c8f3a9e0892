"""Messages of the ``/v1/ws`` WebSocket, both directions, with one union per direction.

Control messages carry a top-level ``type``. Updates about a recording carry
``recording_id`` and a ``data`` object whose own ``type`` says what happened; the server
union tells them apart by the presence of ``data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError

from ._base import Contract, Part
from ._errors import ContractValidationError, Location
from ._types import EpochSeconds, Lax, NonEmptyPath, NonEmptyStr, Probability, Uuid
from .analysis import AnalysisResults, AnalysisStatus
from .events import ErrorCode

__all__ = [
    "CLIENT_MESSAGE_TYPES",
    "SERVER_MESSAGE_TYPES",
    "AnalysisCompleteData",
    "AuthMessage",
    "ClientMessage",
    "ErrorDetails",
    "ErrorMessage",
    "GetStatusMessage",
    "PingMessage",
    "PongMessage",
    "ProgressData",
    "RecordingErrorData",
    "RecordingUpdate",
    "ServerMessage",
    "StatusMessage",
    "SubscribeMessage",
    "SubscribedMessage",
    "UnsubscribeMessage",
    "UnsubscribedMessage",
    "WelcomeMessage",
    "client_message_adapter",
    "parse_client_message",
    "parse_server_message",
    "server_message_adapter",
]


def _require_type(schema: dict[str, Any]) -> None:
    # ``type`` has a default for convenience in Python, but on the wire it is what tells
    # the union's variants apart, so schema readers must see it as required.
    required = schema.setdefault("required", [])
    if "type" not in required:
        required.insert(0, "type")


class _Message(Contract):
    model_config = ConfigDict(json_schema_extra=_require_type)


class _Data(Part):
    model_config = ConfigDict(json_schema_extra=_require_type)


# -- client to server -------------------------------------------------------------------


class PingMessage(_Message):
    """Keep-alive; answered with :class:`PongMessage`."""

    MESSAGE_TYPE: ClassVar[str] = "ws_ping"
    type: Literal["ping"] = "ping"


class SubscribeMessage(_Message):
    """Receive updates about one recording; answered with :class:`SubscribedMessage`."""

    MESSAGE_TYPE: ClassVar[str] = "ws_subscribe"
    type: Literal["subscribe"] = "subscribe"
    recording_id: Uuid


class UnsubscribeMessage(_Message):
    """Stop updates about one recording; answered with :class:`UnsubscribedMessage`."""

    MESSAGE_TYPE: ClassVar[str] = "ws_unsubscribe"
    type: Literal["unsubscribe"] = "unsubscribe"
    recording_id: Uuid


class GetStatusMessage(_Message):
    """Ask for the connection's status; answered with :class:`StatusMessage`."""

    MESSAGE_TYPE: ClassVar[str] = "ws_get_status"
    type: Literal["get_status"] = "get_status"


class AuthMessage(_Message):
    """Authenticate with a bearer token as the first message, when the server requires it."""

    MESSAGE_TYPE: ClassVar[str] = "ws_auth"
    type: Literal["auth"] = "auth"
    token: Annotated[str, Field(min_length=1, max_length=4096, repr=False)]


ClientMessage = Annotated[
    PingMessage | SubscribeMessage | UnsubscribeMessage | GetStatusMessage | AuthMessage,
    Field(discriminator="type"),
]
"""Any message a client may send, told apart by ``type``."""

# -- server to client -------------------------------------------------------------------


class WelcomeMessage(_Message):
    """First message on every connection, with the client's id."""

    MESSAGE_TYPE: ClassVar[str] = "ws_welcome"
    type: Literal["welcome"] = "welcome"
    client_id: Uuid
    message: str = "Connected to Analysis Service WebSocket"


class PongMessage(_Message):
    """Answer to a ping, with the server's clock."""

    MESSAGE_TYPE: ClassVar[str] = "ws_pong"
    type: Literal["pong"] = "pong"
    timestamp: EpochSeconds


class SubscribedMessage(_Message):
    """Confirms a subscription."""

    MESSAGE_TYPE: ClassVar[str] = "ws_subscribed"
    type: Literal["subscribed"] = "subscribed"
    recording_id: Uuid
    message: str


class UnsubscribedMessage(_Message):
    """Confirms an unsubscription."""

    MESSAGE_TYPE: ClassVar[str] = "ws_unsubscribed"
    type: Literal["unsubscribed"] = "unsubscribed"
    recording_id: Uuid
    message: str


class StatusMessage(_Message):
    """The connection's status: its subscriptions and the server's connection count."""

    MESSAGE_TYPE: ClassVar[str] = "ws_status"
    type: Literal["status"] = "status"
    client_id: Uuid
    subscriptions: list[Uuid]
    connected_at: EpochSeconds
    total_connections: Annotated[int, Field(ge=1)]


class ErrorMessage(_Message):
    """A request could not be served (invalid JSON, unknown type, too large, rate-limited)."""

    MESSAGE_TYPE: ClassVar[str] = "ws_error"
    type: Literal["error"] = "error"
    message: NonEmptyStr


class ProgressData(_Data):
    """Progress of a recording's analysis."""

    type: Literal["progress"] = "progress"
    progress: Probability
    status: Annotated[AnalysisStatus, Lax]
    message: str = ""
    timestamp: EpochSeconds


class AnalysisCompleteData(_Data):
    """A recording's analysis finished."""

    type: Literal["analysis_complete"] = "analysis_complete"
    results: AnalysisResults
    timestamp: EpochSeconds


class ErrorDetails(Part):
    """Machine-readable details of a recording's error; other keys are kept."""

    model_config = Part.model_config | {"extra": "allow"}

    error_code: ErrorCode
    file_path: NonEmptyPath | None = None


class RecordingErrorData(_Data):
    """A recording's analysis failed."""

    type: Literal["error"] = "error"
    error: NonEmptyStr
    details: ErrorDetails
    timestamp: EpochSeconds


class RecordingUpdate(Contract):
    """An update about one recording, sent only to that recording's subscribers."""

    MESSAGE_TYPE: ClassVar[str] = "ws_recording_update"
    recording_id: Uuid
    data: Annotated[
        ProgressData | AnalysisCompleteData | RecordingErrorData, Field(discriminator="type")
    ]

    @classmethod
    def field_location(cls, location: Location) -> Location:
        # pydantic puts the ``data`` variant's tag after "data"; the field path has none.
        if len(location) >= 2 and location[0] == "data":
            return ("data", *location[2:])
        return location


def _server_tag(value: Any) -> str | None:
    if isinstance(value, Mapping):
        if "type" in value:
            tag = value["type"]
            # "recording_update" is the union's own tag for updates, not a message type.
            return tag if isinstance(tag, str) and tag != "recording_update" else None
        return "recording_update" if "data" in value else None
    if isinstance(value, RecordingUpdate):
        return "recording_update"
    tag = getattr(value, "type", None)
    return tag if isinstance(tag, str) else None


ServerMessage = Annotated[
    Annotated[WelcomeMessage, Tag("welcome")]
    | Annotated[PongMessage, Tag("pong")]
    | Annotated[SubscribedMessage, Tag("subscribed")]
    | Annotated[UnsubscribedMessage, Tag("unsubscribed")]
    | Annotated[StatusMessage, Tag("status")]
    | Annotated[ErrorMessage, Tag("error")]
    | Annotated[RecordingUpdate, Tag("recording_update")],
    Discriminator(
        _server_tag,
        custom_error_type="ws_message_type",
        custom_error_message="a server message needs a known 'type', or 'recording_id' and 'data'",
    ),
]
"""Any message the server sends: control messages by ``type``, updates by ``data``."""

client_message_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
server_message_adapter: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)

# Each union's variants by tag: the top-level ``type``, and ``recording_update`` for updates.
CLIENT_MESSAGE_TYPES: dict[str, type[Contract]] = {
    "ping": PingMessage,
    "subscribe": SubscribeMessage,
    "unsubscribe": UnsubscribeMessage,
    "get_status": GetStatusMessage,
    "auth": AuthMessage,
}
SERVER_MESSAGE_TYPES: dict[str, type[Contract]] = {
    "welcome": WelcomeMessage,
    "pong": PongMessage,
    "subscribed": SubscribedMessage,
    "unsubscribed": UnsubscribedMessage,
    "status": StatusMessage,
    "error": ErrorMessage,
    "recording_update": RecordingUpdate,
}


def _parse_union(
    adapter: TypeAdapter[Any],
    name: str,
    tags: Mapping[str, type[Contract]],
    data: str | bytes | bytearray | Mapping[str, Any],
) -> Any:
    def relocate(location: Location) -> Location:
        if location and isinstance(location[0], str) and location[0] in tags:
            return tags[location[0]].field_location(location[1:])
        return location

    try:
        if isinstance(data, str | bytes | bytearray):
            return adapter.validate_json(data)
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise ContractValidationError.from_pydantic(name, exc, relocate) from None


def parse_client_message(data: str | bytes | bytearray | Mapping[str, Any]) -> ClientMessage:
    """Validate a message received from a WebSocket client.

    Raises:
        ContractValidationError: with ``message_type`` ``ws_client_message``.
    """
    message: ClientMessage = _parse_union(
        client_message_adapter, "ws_client_message", CLIENT_MESSAGE_TYPES, data
    )
    return message


def parse_server_message(data: str | bytes | bytearray | Mapping[str, Any]) -> ServerMessage:
    """Validate a message received from the server (for clients and tests).

    Raises:
        ContractValidationError: with ``message_type`` ``ws_server_message``.
    """
    message: ServerMessage = _parse_union(
        server_message_adapter, "ws_server_message", SERVER_MESSAGE_TYPES, data
    )
    return message
