"""The generated AsyncAPI document and JSON Schemas: up to date, valid, and complete."""

from __future__ import annotations

import copy
import functools
import importlib.util
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote
from uuid import UUID

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from pydantic import BaseModel, create_model
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tracktion.contracts import (
    DEFAULT_TOPOLOGY,
    MESSAGE_SPECS,
    AnalysisCancellation,
    AnalysisStatus,
    Contract,
    ContractValidationError,
    CueGenerationRequest,
    ExchangeNames,
    FileDiscoveredEvent,
    FileInfo,
    MessageSpec,
    Part,
    ProgressData,
    RecordingUpdate,
    SubscribeMessage,
    WelcomeMessage,
    asyncapi,
    build_topology,
    get_message_spec,
    spec_for_model,
    topic_matches,
)
from tracktion.contracts.asyncapi import (
    _overlap,
    build_asyncapi_document,
    message_json_schema,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_contract_docs.py"
REFERENCE = ROOT / "docs" / "reference"
ASYNCAPI_SCHEMA = Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json"
REGENERATE = "run `make contracts-docs` and commit the result"

RECORDING = UUID("6f1e1c7e-0a5b-4e5e-9d7a-1b2c3d4e5f60")
CORRELATION = UUID("0b8f0c8e-8d5a-4f7e-9a59-2f6a0f3c1d2e")
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_contract_docs", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_asyncapi_document()


@pytest.fixture(scope="module")
def asyncapi_validator() -> Draft7Validator:
    """The official schema, its embedded definitions resolved by ``$id``, never fetched."""

    def no_network(uri: str) -> Any:
        raise LookupError(f"{uri} is not in the vendored AsyncAPI schema")

    schema = _load_json(ASYNCAPI_SCHEMA)
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    registry: Registry[Any] = (
        Registry(retrieve=no_network)  # type: ignore[call-arg]
        .with_resource(schema["$id"], DRAFT7.create_resource(schema))
        .crawl()
    )
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=registry)


# -- (a) the committed files are what the generator writes now --------------------------


def test_committed_files_are_up_to_date(generator: ModuleType) -> None:
    stale = generator.stale_files(ROOT, generator.expected_files())
    listing = ", ".join(path.as_posix() for path in stale)
    assert stale == [], f"docs/reference is out of date ({listing}): {REGENERATE}"


def test_check_mode_exits_zero_when_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.generate_contract_docs", "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=SCRIPT.parents[1],
    )
    assert result.returncode == 0, f"{result.stderr}\n{REGENERATE}"


def test_generator_writes_removes_and_reports(generator: ModuleType, tmp_path: Path) -> None:
    expected = generator.expected_files()
    assert set(generator.stale_files(tmp_path, expected)) == set(expected)

    generator.write(tmp_path, expected)
    assert generator.stale_files(tmp_path, expected) == []

    changed = tmp_path / "docs/reference/asyncapi.yaml"
    changed.write_text("asyncapi: 3.0.0\n", encoding="utf-8")
    extra = tmp_path / "docs/reference/schemas/retired_message.json"
    extra.write_text("{}\n", encoding="utf-8")
    assert generator.stale_files(tmp_path, expected) == sorted(
        [changed.relative_to(tmp_path), extra.relative_to(tmp_path)]
    )

    generator.write(tmp_path, expected)
    assert not extra.exists()
    assert generator.stale_files(tmp_path, expected) == []


def test_yaml_and_json_hold_the_same_document(document: dict[str, Any]) -> None:
    from_yaml = yaml.safe_load((REFERENCE / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert from_yaml == _load_json(REFERENCE / "asyncapi.json") == document


# -- (b) the document is valid AsyncAPI 3.0.0 --------------------------------------------


def test_document_is_valid_asyncapi(
    document: dict[str, Any], asyncapi_validator: Draft7Validator
) -> None:
    errors = [f"{e.json_path}: {e.message[:200]}" for e in asyncapi_validator.iter_errors(document)]
    assert errors == []
    assert document["asyncapi"] == "3.0.0"


def _changed(path: str, value: Any) -> Any:
    """A function returning a copy of its argument with ``value`` at ``a|b|c``."""

    def change(data: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(data)
        *parents, last = path.split("|")
        node = changed
        for key in parents:
            node = node[key]
        node[last] = value
        return changed

    return change


def _without(field: str) -> Any:
    return lambda data: {key: value for key, value in data.items() if key != field}


@pytest.mark.parametrize(
    "breaker",
    [
        pytest.param(_changed("channels", []), id="channels-a-list"),
        pytest.param(_changed("asyncapi", "2.6.0"), id="wrong-version"),
        pytest.param(
            _changed("channels|queue.analysis_queue|bindings|amqp|is", "exchange"),
            id="amqp-binding-is",
        ),
        pytest.param(
            _changed("operations|send.analysis_cancellation|bindings|amqp|deliveryMode", 3),
            id="delivery-mode",
        ),
        pytest.param(
            _changed("components|schemas|RecordingUpdate|properties|data|discriminator", {"a": 1}),
            id="discriminator-object",
        ),
        pytest.param(_changed("channels|websocket|unknown", 1), id="unknown-channel-field"),
    ],
)
def test_broken_documents_are_rejected(
    document: dict[str, Any], asyncapi_validator: Draft7Validator, breaker: Any
) -> None:
    assert asyncapi_validator.is_valid(document)
    assert not asyncapi_validator.is_valid(breaker(document))


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [ref for value in node.values() for ref in refs(value)]
        if isinstance(node, list):
            return [ref for item in node for ref in refs(item)]
        return []

    found = refs(document)
    assert len(found) > 100
    for ref in found:
        assert ref.startswith("#/"), ref
        node: Any = document
        for token in ref[2:].split("/"):
            node = node[unquote(token).replace("~1", "/").replace("~0", "~")]


# -- (c) the standalone JSON Schemas ------------------------------------------------------

SCHEMA_FILES = sorted((REFERENCE / "schemas").glob("*.json"))


def test_a_schema_file_per_message_type() -> None:
    assert [path.stem for path in SCHEMA_FILES] == sorted(spec.name for spec in MESSAGE_SPECS)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda path: path.stem)
def test_schema_files_are_draft_2020_12(path: Path) -> None:
    schema = _load_json(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:tracktion:schema:{path.stem}"
    assert schema["title"]
    assert schema == message_json_schema(path.stem)


def _file_discovered() -> BaseModel:
    info = FileInfo(
        path="/music/a.mp3",
        extension=".mp3",
        size_bytes=1024,
        sha256_hash="a" * 64,
        xxh128_hash="b" * 32,
    )
    return FileDiscoveredEvent(
        correlation_id=CORRELATION,
        timestamp=NOW,
        file_info=info,
        file_type="mp3",
        instance_id="watcher-1",
        watched_directory="/music",
        format_family="mp3",
    )


def _recording_update() -> BaseModel:
    progress = ProgressData(progress=0.5, status=AnalysisStatus.ANALYZING, timestamp=1.0)
    return RecordingUpdate(recording_id=RECORDING, data=progress)


EXAMPLES = [
    pytest.param(
        "file_discovered", _file_discovered, _changed("file_info|sha256_hash", "xyz"), id="file"
    ),
    pytest.param(
        "analysis_cancellation",
        lambda: AnalysisCancellation(recording_id=RECORDING, correlation_id=CORRELATION),
        _changed("action", "stop"),
        id="cancel",
    ),
    pytest.param(
        "cue_generation",
        lambda: CueGenerationRequest(
            message_id=CORRELATION, timestamp=NOW, tracklist_id=RECORDING, job_id=RECORDING
        ),
        _changed("priority", 11),
        id="cue",
    ),
    pytest.param(
        "ws_recording_update", _recording_update, _changed("data|progress", 1.5), id="update"
    ),
    pytest.param(
        "ws_client_message",
        lambda: SubscribeMessage(recording_id=RECORDING),
        _without("recording_id"),
        id="client",
    ),
    pytest.param(
        "ws_server_message",
        lambda: WelcomeMessage(client_id=CORRELATION),
        _without("client_id"),
        id="server",
    ),
]


@pytest.mark.parametrize(("name", "build", "spoil"), EXAMPLES)
def test_examples_validate_against_schema_files(name: str, build: Any, spoil: Any) -> None:
    validator = Draft202012Validator(_load_json(REFERENCE / "schemas" / f"{name}.json"))
    message = build().model_dump(mode="json")
    assert list(validator.iter_errors(message)) == []
    assert not validator.is_valid(spoil(message))
    with pytest.raises(ContractValidationError):  # the schema and the model agree
        get_message_spec(name).parse(spoil(message))


@pytest.mark.parametrize(("name", "build", "spoil"), EXAMPLES)
def test_examples_validate_against_asyncapi_payloads(
    document: dict[str, Any], name: str, build: Any, spoil: Any
) -> None:
    message = build()
    # The document lists the variants of the WebSocket unions, not the unions.
    payload = document["components"]["messages"][spec_for_model(type(message)).name]["payload"]
    validator = Draft7Validator({**payload, "components": document["components"]})
    data = message.model_dump(mode="json")
    assert list(validator.iter_errors(data)) == []
    assert not validator.is_valid(spoil(data))


def test_same_named_but_different_schemas_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    def spec_with_nested(field: str) -> MessageSpec:
        nested = create_model("Nested", __base__=Part, **{field: (int, ...)})  # type: ignore[call-overload]
        outer = create_model(f"Outer{field}", __base__=Contract, inner=(nested, ...))
        return MessageSpec(name=f"outer_{field}", model=outer, channel="websocket")

    monkeypatch.setattr(asyncapi, "MESSAGE_SPECS", (spec_with_nested("a"), spec_with_nested("b")))
    with pytest.raises(ValueError, match="two different JSON Schemas are named 'Nested'"):
        build_asyncapi_document()


# -- (d) what the document says ------------------------------------------------------------


def _target(ref: dict[str, str]) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def _channel(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    channel: dict[str, Any] = document["channels"][_target(operation["channel"])]
    return channel


def _queue_channel(document: dict[str, Any], queue: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        channel
        for channel in document["channels"].values()
        if channel["bindings"].get("amqp", {}).get("queue", {}).get("name") == queue
    ]
    assert len(found) == 1, f"{queue} has {len(found)} channels"
    return found[0]


def _sends(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        operation
        for operation in document["operations"].values()
        if operation["action"] == "send"
        and name in [_target(message) for message in operation["messages"]]
    ]


@pytest.mark.parametrize(
    "spec", [spec for spec in MESSAGE_SPECS if spec.channel == "amqp"], ids=lambda spec: spec.name
)
def test_every_amqp_message_is_sent_with_each_routing_key(
    document: dict[str, Any], spec: MessageSpec
) -> None:
    sends = _sends(document, spec.name)
    addresses = sorted(_channel(document, operation)["address"] for operation in sends)
    assert addresses == sorted(spec.routing_keys)
    for operation in sends:
        amqp = operation["bindings"]["amqp"]
        assert amqp["deliveryMode"] == 2
        assert amqp.get("priority") == spec.priority
        assert _channel(document, operation)["bindings"]["amqp"]["is"] == "routingKey"


def test_every_queue_has_a_channel_and_a_receive_operation(document: dict[str, Any]) -> None:
    receives = [op for op in document["operations"].values() if op["action"] == "receive"]
    received_on = [_channel(document, op)["address"] for op in receives]
    for queue in DEFAULT_TOPOLOGY.queues:
        channel = _queue_channel(document, queue.name)
        assert channel["address"] == queue.name
        assert channel["x-consumer"] == queue.consumer
        assert queue.name in received_on
    assert any(queue.name.endswith(".dlq") for queue in DEFAULT_TOPOLOGY.queues)


def test_queue_arguments_are_extensions_of_the_amqp_binding(document: dict[str, Any]) -> None:
    cataloging = _queue_channel(document, "cataloging.file.events")["bindings"]["amqp"]
    assert cataloging["x-message-ttl"] == 86_400_000
    assert cataloging["x-dead-letter-exchange"] == "tracktion_dlx"
    assert cataloging["x-dead-letter-routing-key"] == "cataloging.file.events"
    assert _queue_channel(document, "analysis_queue")["bindings"]["amqp"]["x-max-priority"] == 10
    for queue in DEFAULT_TOPOLOGY.queues:
        amqp = _queue_channel(document, queue.name)["bindings"]["amqp"]
        assert {key: amqp[key] for key in amqp if key.startswith("x-")} == queue.arguments


def test_cancellation_is_sent_at_priority_8(document: dict[str, Any]) -> None:
    operation = document["operations"]["send.analysis_cancellation"]
    assert operation["bindings"]["amqp"]["priority"] == 8
    assert _channel(document, operation)["address"] == "analysis.cancel"


def test_queues_receive_what_the_topology_routes(document: dict[str, Any]) -> None:
    def inbox(queue: str) -> list[str]:
        return list(_queue_channel(document, queue)["messages"])

    assert inbox("analysis_queue") == [
        "file_analyze",
        "analysis_request",
        "metadata_extraction",
        "analysis_cancellation",
    ]
    # error.* is published as a pattern: it reaches the queue bound to error.*.
    assert "error_event" in inbox("notification_queue")
    assert inbox("analysis.lifecycle.events") == ["file_discovered", "file_lifecycle"]
    for queue in DEFAULT_TOPOLOGY.work_queues():
        assert inbox(queue.name + ".dlq") == inbox(queue.name)
        for retry in queue.retry_queues:
            assert inbox(retry) == inbox(queue.name)


def test_exchange_names_come_from_the_topology() -> None:
    topology = build_topology(ExchangeNames(events="tracktion_exchange"))
    document = build_asyncapi_document(topology)
    operation = document["operations"]["send.analysis_cancellation"]
    exchange = _channel(document, operation)["bindings"]["amqp"]["exchange"]
    assert exchange == {
        "name": "tracktion_exchange",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    bindings = _queue_channel(document, "analysis_queue")["x-bindings"]
    assert {binding["exchange"] for binding in bindings} == {"tracktion_exchange"}
    assert "tracktion.events" not in json.dumps(document)


def test_websocket_operations(document: dict[str, Any]) -> None:
    channel = document["channels"]["websocket"]
    assert channel["address"] == "/v1/ws"
    operations = document["operations"]
    by_direction = {
        direction: sorted(
            spec.name
            for spec in MESSAGE_SPECS
            if spec.channel == "websocket" and spec.direction == direction and spec.model
        )
        for direction in ("client", "server")
    }
    receive, send = operations["websocket.receive"], operations["websocket.send"]
    assert (receive["action"], send["action"]) == ("receive", "send")
    assert sorted(map(_target, receive["messages"])) == by_direction["client"]
    assert sorted(map(_target, send["messages"])) == by_direction["server"]
    assert sorted(channel["messages"]) == sorted(by_direction["client"] + by_direction["server"])


def test_servers_and_info(document: dict[str, Any]) -> None:
    from tracktion.contracts import __version__

    assert document["info"]["version"] == __version__
    assert "schema_version" in document["info"]["description"]
    assert document["defaultContentType"] == "application/json"
    assert document["servers"]["rabbitmq"] == {
        "host": "localhost:5672",
        "protocol": "amqp",
        "protocolVersion": "0.9.1",
        "description": document["servers"]["rabbitmq"]["description"],
    }
    websocket = document["servers"]["websocket"]
    assert (websocket["host"], websocket["pathname"], websocket["protocol"]) == (
        "localhost:8000",
        "/v1/ws",
        "ws",
    )


# -- topic patterns against each other --------------------------------------------------


@functools.cache
def _patterns(words: tuple[str, ...], most: int) -> list[str]:
    return [
        ".".join(combination)
        for size in range(1, most + 1)
        for combination in itertools.product(words, repeat=size)
    ]


def test_pattern_overlap_agrees_with_routing() -> None:
    # Some key matches both patterns iff one of at most len(first) + len(second) words
    # does, its words taken from the patterns' plus one fresh word for the wildcards.
    patterns = _patterns(("a", "*", "#"), 3)
    for first, second in itertools.product(patterns, repeat=2):
        size = first.count(".") + second.count(".") + 2
        witness = any(
            topic_matches(first, key) and topic_matches(second, key)
            for key in _patterns(("a", "b"), size)
        )
        assert _overlap(first.split("."), second.split(".")) == witness, (first, second)
