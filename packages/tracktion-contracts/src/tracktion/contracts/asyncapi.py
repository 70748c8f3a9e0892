"""The AsyncAPI 3.0.0 document and the JSON Schemas of the messages, generated from the code.

Nothing here is written by hand: :mod:`.registry` says which messages exist and how each
is published, :mod:`.topology` says which queues receive them, and pydantic writes their
schemas. ``scripts/generate_contract_docs.py`` commits the output under ``docs/reference/``
and a test fails when it is stale, so the published contract cannot drift from the code.

Channel ids: ``<exchange role>.<routing key>`` for what publishers send, ``queue.<name>``
for what consumers read (dead-letter queues included), and ``websocket``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ._base import SCHEMA_MAJOR, SCHEMA_VERSION
from .registry import MESSAGE_SPECS, MessageSpec, get_message_spec
from .topology import DEFAULT_TOPOLOGY, Exchange, ExchangeType, Queue, Topology

__all__ = ["build_asyncapi_document", "message_json_schema"]

_ASYNCAPI_VERSION = "3.0.0"
_JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# A name, not a location: the schemas are published with the code, not fetched.
_SCHEMA_ID_BASE = "urn:tracktion:schema:"  # + "<message type>"
_WEBSOCKET_PATH = "/v1/ws"
_AMQP_BINDING_VERSION = "0.3.0"
_WS_BINDING_VERSION = "0.1.0"
_VHOST = "/"
_PERSISTENT = 2
_SCHEMA_REF = "#/components/schemas/{model}"

_Object = dict[str, Any]

_DESCRIPTION = f"""\
The messages of the Tracktion services: what is published to each RabbitMQ exchange, \
what each queue receives, and the analysis service's WebSocket. Generated from \
`tracktion.contracts`; do not edit by hand.

Versioning: every message carries `schema_version`, `MAJOR.MINOR`; this release writes \
`{SCHEMA_VERSION}` and reads a message without one as `{SCHEMA_VERSION}`. A reader accepts \
any minor version of its major ({SCHEMA_MAJOR}), newer ones included, ignores the fields it \
does not know, and rejects any other major. A minor version only makes backwards-compatible \
changes (an optional field, a new message type, a relaxed constraint); anything else is a \
new major version. See `docs/concepts/versioning.md`."""


def message_json_schema(name: str) -> dict[str, Any]:
    """A standalone JSON Schema (draft 2020-12) of one message type, for non-Python peers.

    ``name`` is anything :func:`.registry.get_message_spec` accepts; the ``$id`` always uses
    the canonical type name. Keys come out in a fixed order, so the files diff cleanly.
    """
    spec = get_message_spec(name)
    generated = spec.adapter.json_schema(mode="validation")
    defs = generated.pop("$defs", None)
    schema: _Object = {
        "$schema": _JSON_SCHEMA_DIALECT,
        "$id": f"{_SCHEMA_ID_BASE}{spec.name}",
        "title": generated.pop("title", spec.name),
        **generated,
    }
    schema.setdefault("description", spec.summary)
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def build_asyncapi_document(topology: Topology | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of every message, over ``topology`` (the default one).

    Operations are from the point of view of the system as a whole: publishers ``send``
    on routing-key channels, consumers ``receive`` on queue channels, and the WebSocket
    server receives client messages and sends server messages. The WebSocket unions of
    the registry (``ws_client_message``, ``ws_server_message``) are left out: their
    variants are listed one by one, and AsyncAPI wants each message to match exactly one.
    """
    from . import __version__  # here, so that the package may import this module freely

    topology = topology or DEFAULT_TOPOLOGY
    amqp = [spec for spec in MESSAGE_SPECS if spec.channel == "amqp"]
    websocket = [spec for spec in MESSAGE_SPECS if spec.channel == "websocket" and spec.model]
    channels: _Object = {}
    operations: _Object = {}

    for spec in amqp:
        exchange = _exchange_of(topology, spec)
        for key in spec.routing_keys:
            channel_id = f"{exchange.role.value}.{key}"
            channel = channels.setdefault(channel_id, _routing_key_channel(exchange, key))
            channel["messages"][spec.name] = _ref("components", "messages", spec.name)
            suffix = f".{key}" if len(spec.routing_keys) > 1 else ""
            priority = {} if spec.priority is None else {"priority": spec.priority}
            binding = {"deliveryMode": _PERSISTENT, **priority}
            bindings = {"amqp": {**binding, "bindingVersion": _AMQP_BINDING_VERSION}}
            operations[f"send.{spec.name}{suffix}"] = _operation(
                "send", channel_id, [spec.name], spec.summary, bindings
            )

    inboxes = _queue_messages(topology, amqp)
    for queue in topology.queues:
        channel_id = f"queue.{queue.name}"
        channels[channel_id] = _queue_channel(topology, queue, inboxes[queue.name])
        summary = f"The {queue.consumer} service consumes {queue.name}."
        operations[f"receive.{queue.name}"] = _operation(
            "receive", channel_id, inboxes[queue.name], summary
        )

    channels["websocket"] = _websocket_channel(websocket)
    for action, direction in (("receive", "client"), ("send", "server")):
        names = [spec.name for spec in websocket if spec.direction == direction]
        summary = f"The WebSocket server {action}s the {direction} messages."
        operations[f"websocket.{action}"] = _operation(action, "websocket", names, summary)

    return {
        "asyncapi": _ASYNCAPI_VERSION,
        "info": {"title": "Tracktion", "version": __version__, "description": _DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": f"The RabbitMQ broker (local development), vhost `{_VHOST}`.",
            },
            "websocket": {
                "host": "localhost:8000",
                "pathname": _WEBSOCKET_PATH,
                "protocol": "ws",
                "description": "The analysis service's WebSocket (local development).",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {spec.name: _message(spec) for spec in [*amqp, *websocket]},
            "schemas": _component_schemas([*amqp, *websocket]),
        },
    }


# -- channels and operations ------------------------------------------------------------


def _amqp_channel(address: str, description: str, messages: list[str], binding: _Object) -> _Object:
    return {
        "address": address,
        "description": description,
        "servers": [_ref("servers", "rabbitmq")],
        "messages": {name: _ref("components", "messages", name) for name in messages},
        "bindings": {"amqp": {**binding, "bindingVersion": _AMQP_BINDING_VERSION}},
    }


def _routing_key_channel(exchange: Exchange, key: str) -> _Object:
    pattern = " It is a pattern: the publisher fills in `*` from the message." if "*" in key else ""
    description = (
        f"Published to the {exchange.type.value} exchange `{exchange.name}` "
        f"with routing key `{key}`.{pattern}"
    )
    properties = {"durable": exchange.durable, "autoDelete": exchange.auto_delete}
    declaration = {"name": exchange.name, "type": exchange.type.value, **properties}
    binding = {"is": "routingKey", "exchange": {**declaration, "vhost": _VHOST}}
    return _amqp_channel(key, description, [], binding)


def _queue_channel(topology: Topology, queue: Queue, messages: list[str]) -> _Object:
    # The RabbitMQ arguments keep their own ``x-`` names, as specification extensions of
    # the AMQP channel binding: the object that declares the queue, and one whose schema
    # allows ``^x-`` keys (its ``queue`` object declares no extension).
    declaration = {"name": queue.name, "durable": queue.durable, "exclusive": queue.exclusive}
    declaration |= {"autoDelete": queue.auto_delete, "vhost": _VHOST}
    binding = {"is": "queue", "queue": declaration, **queue.arguments}
    channel = _amqp_channel(queue.name, queue.description, messages, binding)
    channel["x-consumer"] = queue.consumer
    channel["x-bindings"] = [
        {"exchange": bound.exchange, "routingKey": bound.routing_key}
        for bound in topology.bindings_of(queue.name)
    ]
    return channel


def _websocket_channel(specs: list[MessageSpec]) -> _Object:
    client_id = "The connection's id, a UUID; the server generates one when it is absent."
    query = {"client_id": {"type": "string", "format": "uuid", "description": client_id}}
    return {
        "address": _WEBSOCKET_PATH,
        "description": "One connection per client: the server sends a welcome, the client "
        "subscribes to recordings and receives their updates.",
        "servers": [_ref("servers", "websocket")],
        "messages": {spec.name: _ref("components", "messages", spec.name) for spec in specs},
        "bindings": {
            "ws": {
                "method": "GET",
                "query": {"type": "object", "properties": query},
                "bindingVersion": _WS_BINDING_VERSION,
            }
        },
    }


def _operation(
    action: str, channel_id: str, names: list[str], summary: str, bindings: _Object | None = None
) -> _Object:
    operation: _Object = {
        "action": action,
        "channel": _ref("channels", channel_id),
        "summary": summary,
        "messages": [_ref("channels", channel_id, "messages", name) for name in names],
    }
    if bindings:
        operation["bindings"] = bindings
    return operation


def _exchange_of(topology: Topology, spec: MessageSpec) -> Exchange:
    if spec.exchange is None:
        raise ValueError(f"AMQP message {spec.name} has no exchange")
    return topology.exchange_for(spec.exchange)


# -- routing ----------------------------------------------------------------------------


def _queue_messages(topology: Topology, specs: list[MessageSpec]) -> dict[str, list[str]]:
    """The message types each queue receives, in registry order.

    A dead-letter queue receives what its source queues hold: dead-lettering changes the
    routing key, not the payload.
    """
    inboxes: dict[str, set[str]] = {queue.name: set() for queue in topology.queues}
    for spec in specs:
        exchange = _exchange_of(topology, spec).name
        for key in spec.routing_keys:
            for queue_name in _receivers(topology, exchange, key):
                inboxes[queue_name].add(spec.name)
    for queue in topology.queues:  # a back-off tier holds its work queue's messages
        for retry in queue.retry_queues:
            inboxes[retry] |= inboxes[queue.name]
    changed = True
    while changed:  # until every chain of dead-letter queues is followed
        changed = False
        for queue in topology.queues:
            if queue.dead_letter is None:
                continue
            letter = queue.dead_letter
            for target in topology.route(letter.exchange, letter.routing_key):
                changed |= not inboxes[queue.name] <= inboxes[target]
                inboxes[target] |= inboxes[queue.name]
    order = [spec.name for spec in specs]
    return {name: [n for n in order if n in inbox] for name, inbox in inboxes.items()}


def _receivers(topology: Topology, exchange: str, key: str) -> list[str]:
    """The queues reached from ``exchange`` by ``key``, which may be a topic pattern.

    A concrete key is routed as RabbitMQ does (:meth:`Topology.route`). A pattern such as
    ``error.*`` stands for every key it matches, so on a topic exchange it reaches a
    binding when some key matches both patterns.
    """
    words = key.split(".")
    if topology.exchange(exchange).type is not ExchangeType.TOPIC or not {"*", "#"} & {*words}:
        return list(topology.route(exchange, key))
    reached = [
        binding.queue
        for binding in topology.bindings
        if binding.exchange == exchange and _overlap(binding.routing_key.split("."), words)
    ]
    return list(dict.fromkeys(reached))


def _overlap(first: list[str], second: list[str]) -> bool:
    """Whether some routing key matches both topic patterns (``*`` one word, ``#`` any)."""
    if first and first[0] == "#" and _overlap(first[1:], second):
        return True
    if second and second[0] == "#" and _overlap(first, second[1:]):
        return True
    if not first or not second:
        return not first and not second
    head, other = first[0], second[0]
    if head == other == "#":
        return False  # both consuming a word changes nothing; the cases above cover it
    if not (head in ("*", "#") or other in ("*", "#") or head == other):
        return False
    return _overlap(first if head == "#" else first[1:], second if other == "#" else second[1:])


# -- messages and schemas ---------------------------------------------------------------


def _message(spec: MessageSpec) -> _Object:
    model = spec.model
    assert model is not None  # the unions are not in the document
    message: _Object = {
        "name": spec.name,
        "title": model.__name__,
        "summary": spec.summary,
        "contentType": "application/json",
        "payload": {"$ref": _SCHEMA_REF.format(model=model.__name__)},
    }
    if "correlation_id" in model.model_fields:
        message["correlationId"] = {"location": "$message.payload#/correlation_id"}
    return message


def _component_schemas(specs: list[MessageSpec]) -> _Object:
    """Every payload schema and every schema they use, by name, in name order.

    pydantic writes each model's nested schemas as ``$defs``; here they are shared
    components, so two different schemas with the same name would be a silent error.
    """
    schemas: _Object = {}
    for spec in specs:
        assert spec.model is not None
        generated = spec.adapter.json_schema(mode="validation", ref_template=_SCHEMA_REF)
        defs: _Object = generated.pop("$defs", {})
        for name, schema in [*defs.items(), (spec.model.__name__, generated)]:
            converted = _asyncapi_schema(schema)
            if schemas.setdefault(name, converted) != converted:
                raise ValueError(f"two different JSON Schemas are named {name!r} ({spec.name})")
    return dict(sorted(schemas.items()))


def _asyncapi_schema(node: Any) -> Any:
    """``node`` as an AsyncAPI Schema Object, whose ``discriminator`` is a property name.

    pydantic writes OpenAPI's ``{"propertyName": ..., "mapping": ...}`` instead; the
    ``oneOf`` next to it and the ``const`` of each variant say the rest.
    """
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: value["propertyName"]
        if key == "discriminator" and isinstance(value, dict) and "propertyName" in value
        else _asyncapi_schema(value)
        for key, value in node.items()
    }


def _ref(*path: str) -> _Object:
    """A reference to ``#/<path>``, each step escaped (queue names may hold ``/`` or ``#``)."""
    steps = (quote(s.replace("~", "~0").replace("/", "~1"), safe="!$&'()*+,;=:@") for s in path)
    return {"$ref": "#/" + "/".join(steps)}
