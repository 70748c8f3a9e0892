"""Message lookup by name, class, routing key and discriminator."""

from __future__ import annotations

import inspect
import json
import uuid
from datetime import UTC, datetime

import pytest

from tracktion import contracts
from tracktion.contracts import (
    MESSAGE_SPECS,
    AnalysisCancellation,
    Contract,
    ContractValidationError,
    FileAnalyzeRequest,
    FileLifecycleEvent,
    UnknownMessageTypeError,
    get_message_spec,
    infer_message_spec,
    spec_for_model,
    spec_for_routing_key,
    validate_message,
)

HASH_64 = "ab" * 32
HASH_32 = "cd" * 16


def _contract_classes() -> set[type[Contract]]:
    found = set()
    for name in contracts.__all__:
        value = getattr(contracts, name)
        concrete = inspect.isclass(value) and "MESSAGE_TYPE" in vars(value)
        if concrete and issubclass(value, Contract) and value is not Contract:
            found.add(value)
    return found


def test_every_contract_is_registered_once() -> None:
    names = [spec.name for spec in MESSAGE_SPECS]
    assert len(names) == len(set(names))
    registered = {spec.model for spec in MESSAGE_SPECS if spec.model is not None}
    assert registered == _contract_classes()


def test_lookup_by_name_class_name_and_routing_key() -> None:
    assert get_message_spec("cue_generation").routing_keys == ("cue.generation.single",)
    assert get_message_spec("CueGenerationRequest").name == "cue_generation"
    assert get_message_spec("cue.generation.single").name == "cue_generation"
    assert get_message_spec("file.renamed").name == "file_lifecycle"
    assert spec_for_routing_key("error.cataloging").name == "error_event"
    assert spec_for_model(FileAnalyzeRequest).routing_keys == ("file.analyze",)


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(UnknownMessageTypeError, match=r"known types: .*cue_generation"):
        get_message_spec("cue_generate")
    with pytest.raises(UnknownMessageTypeError, match=r"routing key 'nothing\.here'"):
        spec_for_routing_key("nothing.here")


def _lifecycle(kind: str) -> FileLifecycleEvent:
    return FileLifecycleEvent(
        correlation_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
        event_type=kind,  # type: ignore[arg-type]
        file_path="/music/new.flac",
        old_path="/music/old.flac",
        size_bytes=10,
        sha256_hash=HASH_64,
        xxh128_hash=HASH_32,
        file_type="flac",
        instance_id="watcher-1",
        watched_directory="/music",
    )


def test_routing_key_and_priority_of_a_message() -> None:
    spec = spec_for_model(FileLifecycleEvent)
    assert spec.routing_key_for(FileLifecycleEvent.parse(_lifecycle("moved").to_json())) == (
        "file.moved"
    )
    cancel = AnalysisCancellation(recording_id=uuid.uuid4(), correlation_id=uuid.uuid4())
    assert spec_for_model(AnalysisCancellation).priority_for(cancel) == 8
    analyze = FileAnalyzeRequest(
        recording_id=uuid.uuid4(),
        file_path="/music/a.mp3",
        xxh128_hash=HASH_32,
        priority=3,
        correlation_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
    )
    assert spec_for_model(FileAnalyzeRequest).priority_for(analyze) == 3
    assert spec_for_model(FileAnalyzeRequest).routing_key_for(analyze) == "file.analyze"


def test_inference_from_discriminators() -> None:
    assert infer_message_spec({"type": "ping"}).name == "ws_client_message"
    assert infer_message_spec({"type": "welcome"}).name == "ws_server_message"
    assert infer_message_spec({"recording_id": "x", "data": {}}).name == "ws_server_message"
    assert infer_message_spec({"action": "cancel"}).name == "analysis_cancellation"
    assert infer_message_spec({"event_type": "moved"}).name == "file_lifecycle"
    assert infer_message_spec({"event_type": "file_discovered"}).name == "file_discovered"
    assert infer_message_spec(b'{"message_type": "cue_conversion"}').name == "cue_conversion"
    assert infer_message_spec({}, routing_key="analysis.request").name == "analysis_request"


def test_inference_failures_are_contract_errors() -> None:
    with pytest.raises(UnknownMessageTypeError, match="give the type or the routing key"):
        infer_message_spec({"recording_id": str(uuid.uuid4())})
    with pytest.raises(ContractValidationError) as caught:
        infer_message_spec(b"[1, 2]")
    assert caught.value.errors[0].message == "a message must be a JSON object, not list"
    with pytest.raises(ContractValidationError) as caught:
        infer_message_spec(b"\xff\xfe not json")
    assert caught.value.errors[0].error_type == "json_invalid"


def test_validate_message_round_trip() -> None:
    event = _lifecycle("renamed")
    parsed = validate_message(event.to_json())
    assert parsed == event
    assert json.loads(parsed.model_dump_json())["event_type"] == "renamed"
    with pytest.raises(ContractValidationError) as caught:
        validate_message({**event.to_dict(), "event_type": "renamed", "old_path": None})
    assert "old_path is required for a renamed event" in str(caught.value)
