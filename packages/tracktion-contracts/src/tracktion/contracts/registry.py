"""Every message type by name: its model, exchange, routing keys and default priority.

The registry is what the command line, the AsyncAPI document and the message bus look
messages up in: by type name, by model class, by routing key, or by the discriminator
field a message carries (``message_type``, ``event_type``, ``type``, ``action``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ._base import Contract
from ._errors import ContractValidationError, FieldError, UnknownMessageTypeError
from .analysis import (
    AnalysisCancellation,
    AnalysisCompleteEvent,
    AnalysisProgressEvent,
    AnalysisRequest,
    FileAnalyzeRequest,
    MetadataExtractionRequest,
    TracklistGenerationRequest,
)
from .cue import (
    BatchCueGenerationComplete,
    BatchCueGenerationRequest,
    CueConversionRequest,
    CueGenerationComplete,
    CueGenerationRequest,
    CueValidationRequest,
)
from .events import CatalogUpdatedEvent, ErrorEvent
from .files import FileDiscoveredEvent, FileEventType, FileLifecycleEvent
from .rename import (
    PatternAnalysisRequest,
    RenameFeedback,
    RenameGeneratedEvent,
    RenameRequest,
    RenameResponse,
)
from .topology import ExchangeRole, topic_matches
from .websocket import (
    CLIENT_MESSAGE_TYPES,
    SERVER_MESSAGE_TYPES,
    AuthMessage,
    ErrorMessage,
    GetStatusMessage,
    PingMessage,
    PongMessage,
    RecordingUpdate,
    StatusMessage,
    SubscribedMessage,
    SubscribeMessage,
    UnsubscribedMessage,
    UnsubscribeMessage,
    WelcomeMessage,
    client_message_adapter,
    parse_client_message,
    parse_server_message,
    server_message_adapter,
)

__all__ = [
    "MESSAGE_SPECS",
    "MessageSpec",
    "get_message_spec",
    "infer_message_spec",
    "spec_for_model",
    "spec_for_routing_key",
    "validate_message",
]

Payload = str | bytes | bytearray | Mapping[str, Any]


@dataclass(frozen=True)
class MessageSpec:
    """How one message type travels.

    Attributes:
        name: Stable type name (``cue_generation``), used by ``--type`` and in errors.
        model: The contract class, or ``None`` for the WebSocket unions.
        channel: ``amqp`` or ``websocket``.
        exchange: The role of the exchange it is published to (AMQP only).
        routing_keys: The keys it is published with; a topic pattern (``error.*``) when
            the key is built from the message (see :meth:`routing_key_for`).
        priority: AMQP priority to publish with when the message has no ``priority``
            field of its own; ``None`` for the broker's default.
        direction: For WebSocket messages, ``client`` (to the server) or ``server``.
        summary: One line on what the message means.
    """

    name: str
    model: type[Contract] | None
    channel: str
    exchange: ExchangeRole | None = None
    routing_keys: tuple[str, ...] = ()
    priority: int | None = None
    direction: str | None = None
    summary: str = ""
    _adapter: TypeAdapter[Any] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        """A pydantic adapter for the message (its JSON Schema, validation)."""
        if self._adapter is not None:
            return self._adapter
        assert self.model is not None  # every spec has a model or an adapter
        return TypeAdapter(self.model)

    def parse(self, data: Payload) -> BaseModel:
        """Validate ``data`` (JSON text/bytes or a mapping) as this message type.

        Raises:
            ContractValidationError: naming every invalid field.
        """
        if self.model is not None:
            return self.model.parse(data)
        parsed: BaseModel = (
            parse_client_message(data) if self.direction == "client" else parse_server_message(data)
        )
        return parsed

    def routing_key_for(self, message: BaseModel) -> str:
        """The routing key to publish ``message`` with."""
        computed = getattr(message, "routing_key", None)
        if isinstance(computed, str):
            return computed
        if len(self.routing_keys) != 1:
            raise UnknownMessageTypeError(f"{self.name} has no single routing key")
        return self.routing_keys[0]

    def priority_for(self, message: BaseModel) -> int | None:
        """The AMQP priority to publish ``message`` with."""
        own = getattr(message, "priority", None)
        return own if isinstance(own, int) else self.priority


def _amqp(
    model: type[Contract],
    exchange: ExchangeRole,
    *keys: str,
    priority: int | None = None,
) -> MessageSpec:
    return MessageSpec(
        name=model.MESSAGE_TYPE,
        model=model,
        channel="amqp",
        exchange=exchange,
        routing_keys=keys,
        priority=priority,
        summary=_summary(model),
    )


def _ws(model: type[Contract], direction: str) -> MessageSpec:
    return MessageSpec(
        name=model.MESSAGE_TYPE,
        model=model,
        channel="websocket",
        direction=direction,
        summary=_summary(model),
    )


def _summary(model: type[BaseModel]) -> str:
    return (model.__doc__ or "").strip().splitlines()[0]


_FILE = ExchangeRole.FILE_EVENTS
_EVENTS = ExchangeRole.EVENTS
_CUE = ExchangeRole.CUE
_RENAME = ExchangeRole.RENAME

MESSAGE_SPECS: tuple[MessageSpec, ...] = (
    _amqp(FileDiscoveredEvent, _FILE, "file.discovered"),
    _amqp(FileLifecycleEvent, _FILE, *(f"file.{kind.value}" for kind in FileEventType)),
    _amqp(FileAnalyzeRequest, _EVENTS, "file.analyze"),
    _amqp(AnalysisRequest, _EVENTS, "analysis.request", priority=5),
    _amqp(MetadataExtractionRequest, _EVENTS, "metadata.extract", priority=5),
    _amqp(TracklistGenerationRequest, _EVENTS, "tracklist.generate"),
    _amqp(AnalysisCancellation, _EVENTS, "analysis.cancel", priority=8),
    _amqp(AnalysisProgressEvent, _EVENTS, "analysis.progress"),
    _amqp(AnalysisCompleteEvent, _EVENTS, "analysis.complete"),
    _amqp(CatalogUpdatedEvent, _EVENTS, "catalog.updated"),
    _amqp(RenameGeneratedEvent, _EVENTS, "rename.generated"),
    _amqp(ErrorEvent, _EVENTS, "error.*"),
    _amqp(CueGenerationRequest, _CUE, "cue.generation.single"),
    _amqp(BatchCueGenerationRequest, _CUE, "cue.generation.batch"),
    _amqp(CueGenerationComplete, _CUE, "cue.generation.complete"),
    _amqp(BatchCueGenerationComplete, _CUE, "cue.generation.batch.complete"),
    _amqp(CueValidationRequest, _CUE, "cue.validation"),
    _amqp(CueConversionRequest, _CUE, "cue.conversion"),
    _amqp(RenameRequest, _RENAME, "rename.request"),
    _amqp(RenameResponse, _RENAME, "rename.response"),
    _amqp(PatternAnalysisRequest, _RENAME, "rename.pattern.analyze"),
    _amqp(RenameFeedback, _RENAME, "rename.feedback"),
    _ws(PingMessage, "client"),
    _ws(SubscribeMessage, "client"),
    _ws(UnsubscribeMessage, "client"),
    _ws(GetStatusMessage, "client"),
    _ws(AuthMessage, "client"),
    _ws(WelcomeMessage, "server"),
    _ws(PongMessage, "server"),
    _ws(SubscribedMessage, "server"),
    _ws(UnsubscribedMessage, "server"),
    _ws(StatusMessage, "server"),
    _ws(ErrorMessage, "server"),
    _ws(RecordingUpdate, "server"),
    MessageSpec(
        name="ws_client_message",
        model=None,
        channel="websocket",
        direction="client",
        summary="Any message a WebSocket client sends (discriminated by type).",
        _adapter=client_message_adapter,
    ),
    MessageSpec(
        name="ws_server_message",
        model=None,
        channel="websocket",
        direction="server",
        summary="Any message the WebSocket server sends.",
        _adapter=server_message_adapter,
    ),
)
"""Every message type, AMQP first, then WebSocket."""

_BY_NAME = {spec.name: spec for spec in MESSAGE_SPECS}
_BY_MODEL: dict[type[BaseModel], MessageSpec] = {
    spec.model: spec for spec in MESSAGE_SPECS if spec.model is not None
}

# Discriminator values that identify a message type on their own.
_BY_MESSAGE_TYPE = {spec.name: spec for spec in MESSAGE_SPECS if spec.exchange is _CUE}
_LIFECYCLE = {kind.value for kind in FileEventType}
_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def get_message_spec(name: str) -> MessageSpec:
    """The spec for a type name, a contract class name, or a routing key.

    Raises:
        UnknownMessageTypeError: nothing matches; the message lists the known names.
    """
    if name in _BY_NAME:
        return _BY_NAME[name]
    for spec in MESSAGE_SPECS:
        if spec.model is not None and spec.model.__name__ == name:
            return spec
    try:
        return spec_for_routing_key(name)
    except UnknownMessageTypeError:
        known = ", ".join(sorted(_BY_NAME))
        raise UnknownMessageTypeError(
            f"unknown message type {name!r}; known types: {known}"
        ) from None


def spec_for_model(model: type[BaseModel]) -> MessageSpec:
    """The spec of a contract class."""
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise UnknownMessageTypeError(f"{model.__name__} is not a registered message") from None


def spec_for_routing_key(routing_key: str) -> MessageSpec:
    """The spec of the message published with ``routing_key`` (patterns are matched).

    Raises:
        UnknownMessageTypeError: no message is published with that key.
    """
    for spec in MESSAGE_SPECS:
        if any(topic_matches(key, routing_key) for key in spec.routing_keys):
            return spec
    raise UnknownMessageTypeError(f"no message type is published with routing key {routing_key!r}")


def infer_message_spec(data: Payload, routing_key: str | None = None) -> MessageSpec:
    """Find a message's type from its routing key, else from its discriminator field.

    Messages without a discriminator (``analysis.request`` and other plain requests)
    need the routing key.

    Raises:
        ContractValidationError: the payload is not a JSON object.
        UnknownMessageTypeError: the type cannot be told from what was given.
    """
    if routing_key is not None:
        return spec_for_routing_key(routing_key)
    obj = _as_object(data)
    message_type = obj.get("message_type")
    if isinstance(message_type, str) and message_type in _BY_MESSAGE_TYPE:
        return _BY_MESSAGE_TYPE[message_type]
    event_type = obj.get("event_type")
    if event_type == "file_discovered":
        return _BY_NAME[FileDiscoveredEvent.MESSAGE_TYPE]
    if isinstance(event_type, str) and event_type in _LIFECYCLE:
        return _BY_NAME[FileLifecycleEvent.MESSAGE_TYPE]
    if obj.get("action") == "cancel":
        return _BY_NAME[AnalysisCancellation.MESSAGE_TYPE]
    kind = obj.get("type")
    if kind in CLIENT_MESSAGE_TYPES:
        return _BY_NAME["ws_client_message"]
    if kind in SERVER_MESSAGE_TYPES:
        return _BY_NAME["ws_server_message"]
    if "recording_id" in obj and isinstance(obj.get("data"), Mapping):
        return _BY_NAME["ws_server_message"]
    raise UnknownMessageTypeError(
        "cannot tell the message type: it has no message_type, event_type, type or action "
        "field that names one; give the type or the routing key"
    )


def validate_message(
    data: Payload, message_type: str = "auto", routing_key: str | None = None
) -> BaseModel:
    """Validate a message by type name (``auto`` to infer it) and return the model.

    Raises:
        ContractValidationError: the message is invalid (every field error listed).
        UnknownMessageTypeError: the type is unknown or cannot be inferred.
    """
    if message_type == "auto":
        spec = infer_message_spec(data, routing_key)
    else:
        spec = get_message_spec(message_type)
    return spec.parse(data)


def _as_object(data: Payload) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    try:
        decoded = _JSON.validate_json(data)
    except ValidationError as exc:
        raise ContractValidationError.from_pydantic("message", exc) from None
    if not isinstance(decoded, Mapping):
        raise ContractValidationError(
            "message",
            (
                FieldError(
                    location="",
                    message=f"a message must be a JSON object, not {type(decoded).__name__}",
                    error_type="model_type",
                ),
            ),
        )
    return decoded
