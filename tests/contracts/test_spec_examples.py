"""Every JSON example of the vendored specification against the contracts.

Each example, its placeholders filled in, validates as the contract it illustrates and
round-trips; the raw example is rejected at exactly its placeholder fields; the union
parsers and the registry's inference find the same contract.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.contracts.spec_examples import (
    SpecExample,
    alternative_placeholders,
    extract_examples,
    load_examples,
    replace_placeholders,
)
from tracktion.contracts import (
    ContractValidationError,
    UnknownMessageTypeError,
    get_message_spec,
    infer_message_spec,
    parse_client_message,
    parse_server_message,
    validate_message,
)
from tracktion.contracts.registry import MessageSpec

# The specification's example titles -> the registry's type names.
EXAMPLE_TYPES: dict[str, str] = {
    # WebSocket, client to server
    "Ping Message": "ws_ping",
    "Subscribe to Recording Updates": "ws_subscribe",
    "Unsubscribe from Recording Updates": "ws_unsubscribe",
    "Get Connection Status": "ws_get_status",
    # WebSocket, server to client
    "Welcome Message": "ws_welcome",
    "Pong Response": "ws_pong",
    "Subscription Confirmation": "ws_subscribed",
    "Progress Update": "ws_recording_update",
    "Analysis Complete": "ws_recording_update",
    "Error Notification": "ws_recording_update",
    "Connection Status": "ws_status",
    "Generic Error": "ws_error",
    # AMQP: file events
    "File Discovery Message": "file_discovered",
    "File Lifecycle Events": "file_lifecycle",
    # AMQP: analysis
    "Analysis Request": "analysis_request",
    "Metadata Extraction Request": "metadata_extraction",
    "Tracklist Generation Request": "tracklist_generation",
    "Analysis Cancellation": "analysis_cancellation",
    # AMQP: CUE
    "Single CUE Generation Request": "cue_generation",
    "CUE Generation Complete": "cue_generation_complete",
    "Batch CUE Generation Request": "batch_cue_generation",
    "CUE Validation Request": "cue_validation",
    "CUE Conversion Request": "cue_conversion",
    # AMQP: rename
    "Rename Request": "rename_request",
    "Rename Response": "rename_response",
    "Pattern Analysis Request": "pattern_analysis",
    "Rename Feedback": "rename_feedback",
}

# Fields whose value names the message type on its own (see ``infer_message_spec``).
DISCRIMINATORS = ("message_type", "event_type", "type", "action", "data")

EXAMPLES = load_examples()


def _spec(example: SpecExample) -> MessageSpec:
    return get_message_spec(EXAMPLE_TYPES[example.title])


def _channel(example: SpecExample) -> str | None:
    # Unmapped examples fall in no channel; the mapping test names them.
    name = EXAMPLE_TYPES.get(example.title)
    return None if name is None else get_message_spec(name).channel


def _variants(example: SpecExample) -> list[dict[str, str]]:
    """One choice per alternative of each ``a|b|c`` placeholder (none when it has none)."""
    return [
        {path: choice}
        for path, choices in alternative_placeholders(example.data).items()
        for choice in choices
    ] or [{}]


FILLED_CASES = [(example, choice) for example in EXAMPLES for choice in _variants(example)]
FILLED = [
    pytest.param(example, choice, id=example.id + "".join(f"[{v}]" for v in choice.values()))
    for example, choice in FILLED_CASES
]
FILLED_AMQP = [
    pytest.param(example, choice, id=example.id + "".join(f"[{v}]" for v in choice.values()))
    for example, choice in FILLED_CASES
    if _channel(example) == "amqp"
]
ALL = [pytest.param(example, id=example.id) for example in EXAMPLES]
WEBSOCKET = [
    pytest.param(example, id=example.id) for example in EXAMPLES if _channel(example) == "websocket"
]
AMQP = [pytest.param(example, id=example.id) for example in EXAMPLES if _channel(example) == "amqp"]


def _routing_key(example: SpecExample, data: dict[str, Any]) -> str:
    """The routing key the document states for the example (``file.<event_type>``)."""
    if len(example.routing_keys) == 1:
        return example.routing_keys[0]
    key = f"file.{data['event_type']}"
    assert key in example.routing_keys
    return key


# -- (a) nothing is skipped -------------------------------------------------------------


def test_examples_were_found() -> None:
    assert len(EXAMPLES) >= len(EXAMPLE_TYPES) > 0


def test_every_example_is_mapped_and_every_mapping_has_an_example() -> None:
    titles = [example.title for example in EXAMPLES]
    assert len(titles) == len(set(titles)), "example titles must be unique"
    assert set(titles) == set(EXAMPLE_TYPES)


def test_mapped_types_are_registered_models() -> None:
    for name in EXAMPLE_TYPES.values():
        assert get_message_spec(name).model is not None, name


def test_amqp_examples_state_their_routing_keys() -> None:
    for example in EXAMPLES:
        spec = _spec(example)
        if spec.channel == "amqp":
            assert example.routing_keys, example.title
            assert set(example.routing_keys) <= set(spec.routing_keys), example.title
        else:
            assert example.routing_keys == (), example.title


# -- (b) filled-in examples validate and round-trip ------------------------------------


@pytest.mark.parametrize(("example", "choice"), FILLED)
def test_filled_example_validates_and_round_trips(
    example: SpecExample, choice: dict[str, str]
) -> None:
    spec = _spec(example)
    assert spec.model is not None
    data, _ = replace_placeholders(example.data, choice)

    message = spec.parse(data)

    assert type(message) is spec.model
    for path, value in choice.items():
        assert message.to_dict()[path] == value
    wire = message.to_json()
    assert spec.parse(wire) == message
    assert spec.parse(message.model_dump_json()) == message
    assert spec.parse(json.dumps(data)) == message
    assert spec.parse(message.to_dict()) == message
    assert spec.parse(message.model_dump()) == message
    assert json.loads(wire) == message.to_dict()
    # What the example states survives the round trip (the contract may add defaults).
    _assert_contains(message.to_dict(), data)


def _assert_contains(dumped: Any, example: Any, path: str = "") -> None:
    if isinstance(example, dict):
        assert isinstance(dumped, dict), path
        for key, value in example.items():
            assert key in dumped, f"{path}{key}"
            _assert_contains(dumped[key], value, f"{path}{key}.")
    elif isinstance(example, list):
        assert isinstance(dumped, list), path
        assert len(dumped) == len(example), path
        for position, (got, want) in enumerate(zip(dumped, example, strict=True)):
            _assert_contains(got, want, f"{path}{position}.")
    else:
        assert dumped == example, path


def test_placeholder_choices_cover_every_alternative() -> None:
    lifecycle = next(e for e in EXAMPLES if e.title == "File Lifecycle Events")
    feedback = next(e for e in EXAMPLES if e.title == "Rename Feedback")
    assert alternative_placeholders(lifecycle.data) == {
        "event_type": ("created", "modified", "deleted", "moved", "renamed")
    }
    assert alternative_placeholders(feedback.data) == {
        "feedback_type": ("success", "failure", "improvement")
    }
    assert {choice["event_type"] for e, choice in FILLED_CASES if e is lifecycle} == {
        "created",
        "modified",
        "deleted",
        "moved",
        "renamed",
    }
    assert {choice["feedback_type"] for e, choice in FILLED_CASES if e is feedback} == {
        "success",
        "failure",
        "improvement",
    }


def test_replace_placeholders_rejects_unknown_choices() -> None:
    feedback = next(e for e in EXAMPLES if e.title == "Rename Feedback")
    with pytest.raises(ValueError, match="not one of"):
        replace_placeholders(feedback.data, {"feedback_type": "accepted"})
    with pytest.raises(ValueError, match=r"no a\|b\|c placeholder"):
        replace_placeholders(feedback.data, {"message": "success"})


def test_replace_placeholders_fills_values_of_the_right_kind() -> None:
    status = next(e for e in EXAMPLES if e.title == "Connection Status")
    data, paths = replace_placeholders(status.data)
    assert paths == {"client_id", "subscriptions.0", "subscriptions.1"}
    assert len({data["client_id"], *data["subscriptions"]}) == 3  # fresh UUID each time
    assert status.data["client_id"] == "uuid-string"  # the example is left alone

    discovery = next(e for e in EXAMPLES if e.title == "File Discovery Message")
    data, _ = replace_placeholders(discovery.data)
    info = data["file_info"]
    assert len(info["sha256_hash"]) == 64
    assert len(info["xxh128_hash"]) == 32
    assert set(info["sha256_hash"] + info["xxh128_hash"]) <= set("0123456789abcdef")
    assert info["path"] == "/data/music/track.mp3"
    assert data["instance_id"] == "watcher-instance-1"


# -- (c) raw examples fail exactly at their placeholders --------------------------------


@pytest.mark.parametrize("example", ALL)
def test_raw_example_is_rejected_exactly_at_its_placeholders(example: SpecExample) -> None:
    spec = _spec(example)
    _, placeholders = replace_placeholders(example.data)

    if not placeholders:
        spec.parse(example.data)
        spec.parse(json.dumps(example.data))
        return
    with pytest.raises(ContractValidationError) as caught:
        spec.parse(example.data)
    assert set(caught.value.locations) == placeholders
    assert caught.value.message_type == spec.name
    with pytest.raises(ContractValidationError) as from_json:
        spec.parse(json.dumps(example.data))
    assert set(from_json.value.locations) == placeholders


@pytest.mark.parametrize("example", WEBSOCKET)
def test_union_rejects_raw_example_exactly_at_its_placeholders(example: SpecExample) -> None:
    parse = parse_client_message if _spec(example).direction == "client" else parse_server_message
    _, placeholders = replace_placeholders(example.data)

    if not placeholders:
        parse(example.data)
        return
    with pytest.raises(ContractValidationError) as caught:
        parse(example.data)
    assert set(caught.value.locations) == placeholders


def test_examples_without_placeholders_are_the_expected_ones() -> None:
    plain = {e.title for e in EXAMPLES if not replace_placeholders(e.data)[1]}
    assert plain == {
        "Ping Message",
        "Get Connection Status",
        "Pong Response",
        "Generic Error",
    }


# -- (d) union parsers and inference ----------------------------------------------------


@pytest.mark.parametrize("example", WEBSOCKET)
def test_union_parser_returns_the_mapped_class(example: SpecExample) -> None:
    spec = _spec(example)
    data, _ = replace_placeholders(example.data)
    parse = parse_client_message if spec.direction == "client" else parse_server_message
    other = parse_server_message if spec.direction == "client" else parse_client_message

    for payload in (data, json.dumps(data), json.dumps(data).encode()):
        message = parse(payload)
        assert type(message) is spec.model
        assert message == spec.parse(data)
    # Directions do not mix: no client message is a server message, nor the reverse.
    with pytest.raises(ContractValidationError):
        other(data)


def test_error_shapes_are_told_apart() -> None:
    # A generic error has a top-level ``type``; a recording's error is inside ``data``.
    generic = next(e for e in EXAMPLES if e.title == "Generic Error")
    notification = next(e for e in EXAMPLES if e.title == "Error Notification")
    assert type(parse_server_message(generic.data)).__name__ == "ErrorMessage"
    data, _ = replace_placeholders(notification.data)
    assert type(parse_server_message(data)).__name__ == "RecordingUpdate"


def _has_discriminator(data: dict[str, Any]) -> bool:
    return any(key in data for key in DISCRIMINATORS)


@pytest.mark.parametrize(("example", "choice"), FILLED)
def test_auto_validation_infers_the_mapped_type(
    example: SpecExample, choice: dict[str, str]
) -> None:
    spec = _spec(example)
    data, _ = replace_placeholders(example.data, choice)

    if not _has_discriminator(data):
        with pytest.raises(UnknownMessageTypeError):
            validate_message(data, "auto")
        return
    for payload in (data, json.dumps(data).encode()):
        message = validate_message(payload, "auto")
        assert type(message) is spec.model
        assert message == spec.parse(data)
    inferred = infer_message_spec(data)
    if spec.channel == "websocket":
        assert inferred.name == f"ws_{spec.direction}_message"
    else:
        assert inferred is spec


def test_examples_without_discriminator_are_the_plain_requests() -> None:
    plain = {e.title for e in EXAMPLES if not _has_discriminator(e.data)}
    assert plain == {
        "Analysis Request",
        "Metadata Extraction Request",
        "Tracklist Generation Request",
        "Rename Request",
        "Rename Response",
        "Pattern Analysis Request",
        "Rename Feedback",
    }


@pytest.mark.parametrize(("example", "choice"), FILLED_AMQP)
def test_auto_validation_with_routing_key(example: SpecExample, choice: dict[str, str]) -> None:
    spec = _spec(example)
    data, _ = replace_placeholders(example.data, choice)
    routing_key = _routing_key(example, data)

    assert infer_message_spec(data, routing_key=routing_key) is spec
    message = validate_message(data, "auto", routing_key=routing_key)
    assert type(message) is spec.model
    assert spec.routing_key_for(message) == routing_key
    assert validate_message(json.dumps(data), routing_key=routing_key) == message


def test_amqp_and_websocket_examples_partition_the_document() -> None:
    assert len(AMQP) + len(WEBSOCKET) == len(EXAMPLES)


def test_extraction_takes_the_nearest_title_and_its_routing_keys() -> None:
    text = "\n".join(
        [
            "**First**",
            "- **Routing Keys**: `a.b`, `a.c`",
            "```json",
            '{"x": 1}',
            "```",
            "```mermaid",
            "graph TD",
            "```",
            "## A heading",
            "**Second**",
            "```json",
            "[1, 2]",
            "```",
        ]
    )
    first, second = extract_examples(text, "doc.md")
    assert (first.title, first.routing_keys, first.data, first.line) == (
        "First",
        ("a.b", "a.c"),
        {"x": 1},
        3,
    )
    assert (second.title, second.routing_keys, second.data) == ("Second", (), [1, 2])
    with pytest.raises(ValueError, match="without a title"):
        extract_examples('```json\n{"x": 1}\n```')
    with pytest.raises(ValueError, match="not closed"):
        extract_examples('**T**\n```json\n{"x": 1}\n')
