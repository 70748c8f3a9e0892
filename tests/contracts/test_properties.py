"""Property-based tests of every registered message type.

Valid messages, generated from the models (see :mod:`tests.contracts.strategies`), parse
from JSON and from dicts and round-trip. Invalid ones (a required field deleted, a value
of the wrong JSON type, a number out of range, a list too short or with duplicates,
a cross-field rule broken, non-objects, junk) raise :class:`ContractValidationError`,
never another exception, located at the field that was broken.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from tests.contracts.strategies import (
    CROSS_FIELD_RULES,
    JSON_KINDS,
    UNIQUE,
    Slot,
    field_constraints,
    json_kinds,
    json_values,
    literal_fields,
    message_dicts,
    messages,
    model_dicts,
    slots,
    split,
    union_type,
)
from tracktion.contracts import (
    MESSAGE_SPECS,
    CatalogUpdatedEvent,
    Contract,
    ContractValidationError,
    FileAnalyzeRequest,
    ProgressData,
    UnknownMessageTypeError,
    ValidationReport,
    get_message_spec,
    parse_client_message,
    parse_server_message,
    validate_message,
)
from tracktion.contracts.registry import MessageSpec
from tracktion.contracts.websocket import CLIENT_MESSAGE_TYPES, SERVER_MESSAGE_TYPES

settings.register_profile(
    "tracktion-contracts",
    max_examples=20,
    deadline=None,
    suppress_health_check=(HealthCheck.too_slow,),
)
PROFILE = settings.get_profile("tracktion-contracts")
"""Modest example counts: the whole module runs in seconds. Raise ``max_examples`` locally
(``@settings(PROFILE, max_examples=...)``) when hunting."""

Json = Any

# -- what to test -----------------------------------------------------------------------


class Case:
    """A message type to mutate: its spec, the model of the messages, and their dicts.

    For a WebSocket union there is one case per member, parsed through the union, so the
    error locations are checked after the union's relocation.
    """

    def __init__(self, spec: MessageSpec, model: type[BaseModel]) -> None:
        self.spec = spec
        self.model = model
        self.union = spec.model is None
        # A union member's literal fields are the union's tag (``type``); the server union
        # also tells a recording update by its ``data``.
        self.tags = literal_fields(model) if self.union else frozenset()
        if self.union and model is SERVER_MESSAGE_TYPES["recording_update"]:
            self.tags |= {"data"}
        # Every field present (nulls allowed), so every field can be mutated.
        self.full = model_dicts(model, frozenset(model.model_fields))

    @property
    def id(self) -> str:
        return f"{self.spec.name}-{self.model.__name__}" if self.union else self.spec.name

    def slots(self, data: dict[str, Json]) -> list[Slot]:
        return slots(self.model, data, tags=self.tags)

    def parse(self, payload: Any) -> BaseModel:
        return self.spec.parse(payload)


def _cases() -> Iterator[Case]:
    for spec in MESSAGE_SPECS:
        if spec.model is not None:
            yield Case(spec, spec.model)
        else:
            variants = CLIENT_MESSAGE_TYPES if spec.direction == "client" else SERVER_MESSAGE_TYPES
            for model in variants.values():
                yield Case(spec, model)


CASES = list(_cases())
SPECS = [pytest.param(spec, id=spec.name) for spec in MESSAGE_SPECS]
MODEL_SPECS = [pytest.param(spec, id=spec.name) for spec in MESSAGE_SPECS if spec.model]
UNION_SPECS = [pytest.param(spec, id=spec.name) for spec in MESSAGE_SPECS if not spec.model]


def _has(case: Case, predicate: Callable[[Slot], bool]) -> bool:
    """Whether the case's messages may have a slot satisfying ``predicate`` (by type)."""
    return any(predicate(slot) for slot in _type_slots(case.model, case.tags))


def _type_slots(model: type[BaseModel], tags: frozenset[str] = frozenset()) -> Iterator[Slot]:
    # The slots of a message, from the types alone: fields, nested fields, items.
    for name, info in model.model_fields.items():
        yield Slot(
            (name,), info.annotation, field_constraints(info), info.is_required(), name in tags
        )
        yield from _nested_slots(info.annotation, (name,))


def _nested_slots(tp: Any, path: tuple[str | int, ...]) -> Iterator[Slot]:
    tp, _ = split(tp)
    if get_origin(tp) is Literal:
        return
    for arg in get_args(tp):
        yield Slot((*path, "*"), arg)
        yield from _nested_slots(arg, (*path, "*"))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for slot in _type_slots(tp):
            yield Slot((*path, *slot.path), slot.tp, slot.constraints, slot.required)


def _is_number(slot: Slot) -> bool:
    return slot.base in (int, float) and slot.all_constraints.has_bounds


def _is_float(slot: Slot) -> bool:
    return slot.base is float


def _is_short_or_unique_list(slot: Slot) -> bool:
    constraints = slot.all_constraints
    return get_origin(slot.base) is list and (
        bool(constraints.min_length) or UNIQUE in constraints.validators
    )


def _params(predicate: Callable[[Case], bool] = lambda case: True) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in CASES if predicate(case)]


# -- helpers ----------------------------------------------------------------------------


def _payloads(data: Any) -> Iterator[Any]:
    """The message as a decoded dict and as JSON bytes."""
    yield data
    yield json.dumps(data).encode()


def _rejected(case: Case | MessageSpec, payload: Any) -> ContractValidationError:
    """The error ``payload`` is rejected with; any other exception fails the test."""
    with pytest.raises(ContractValidationError) as caught:
        case.parse(payload)
    return caught.value


def _set(data: dict[str, Json], path: tuple[str | int, ...], value: Json) -> dict[str, Json]:
    result = copy.deepcopy(data)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return result


def _delete(data: dict[str, Json], path: tuple[str | int, ...]) -> dict[str, Json]:
    result = copy.deepcopy(data)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return result


def _get(data: Json, path: tuple[str | int, ...]) -> Json:
    for part in path:
        data = data[part]
    return data


# -- valid messages ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
@settings(PROFILE)
@given(data=st.data())
def test_valid_message_parses_and_round_trips(spec: MessageSpec, data: st.DataObject) -> None:
    message = data.draw(message_dicts(spec), label="message")

    parsed = spec.parse(message)
    assert spec.parse(json.dumps(message).encode()) == parsed
    assert spec.parse(json.dumps(message)) == parsed

    assert isinstance(parsed, Contract)
    wire = parsed.to_json()
    assert isinstance(json.loads(wire), dict)
    again = spec.parse(wire)
    assert again == parsed
    assert isinstance(again, Contract)
    assert again.to_json() == wire
    assert spec.parse(parsed.to_dict()) == parsed
    assert spec.parse(parsed.model_dump()) == parsed
    assert json.loads(wire) == parsed.to_dict()


@pytest.mark.parametrize("spec", UNION_SPECS)
@settings(PROFILE)
@given(data=st.data())
def test_union_returns_the_member_the_message_names(spec: MessageSpec, data: st.DataObject) -> None:
    message = data.draw(message_dicts(spec), label="message")
    parse = parse_client_message if spec.direction == "client" else parse_server_message
    variants = CLIENT_MESSAGE_TYPES if spec.direction == "client" else SERVER_MESSAGE_TYPES

    parsed = parse(message)

    assert type(parsed) is variants[message.get("type", "recording_update")]
    assert type(validate_message(message)) is type(parsed)
    assert parsed == type(parsed).parse(message)


@pytest.mark.parametrize("spec", MODEL_SPECS)
@settings(PROFILE, max_examples=10)
@given(data=st.data())
def test_unknown_fields_are_ignored(spec: MessageSpec, data: st.DataObject) -> None:
    message = data.draw(message_dicts(spec), label="message")
    assert spec.model is not None
    known = set(spec.model.model_fields)
    extra = data.draw(
        st.dictionaries(
            st.text(min_size=1, max_size=12).filter(lambda key: key not in known),
            json_values(4),
            max_size=3,
        ),
        label="extra",
    )

    assert spec.parse({**extra, **message}) == spec.parse(message)


@pytest.mark.parametrize("spec", SPECS)
@settings(PROFILE, max_examples=5)
@given(data=st.data())
def test_messages_strategy_yields_models(spec: MessageSpec, data: st.DataObject) -> None:
    message = data.draw(messages(spec), label="message")
    expected = spec.model or _union_members(spec)
    assert isinstance(message, expected)


def _union_members(spec: MessageSpec) -> tuple[type, ...]:
    members = get_args(get_args(union_type(spec))[0])
    return tuple(split(member)[0] for member in members)


# -- invalid messages: mutations of valid ones ------------------------------------------


def _required(slot: Slot) -> bool:
    return slot.required and not slot.tag


@pytest.mark.parametrize("case", _params(lambda case: _has(case, _required)))
@settings(PROFILE)
@given(data=st.data())
def test_missing_required_field_is_located(case: Case, data: st.DataObject) -> None:
    message = data.draw(case.full, label="message")
    candidates = [s for s in case.slots(message) if _required(s)]
    assume(candidates)  # defensive: every such case has a required top-level field
    slot = data.draw(st.sampled_from(candidates), label="slot")

    broken = _delete(message, slot.path)

    for payload in _payloads(broken):
        error = _rejected(case, payload)
        assert slot.dotted in error.locations
        assert "missing" in {e.error_type for e in error.errors if e.location == slot.dotted}


WRONG_VALUES: dict[str, list[Json]] = {
    "null": [None],
    "bool": [True, False],
    "int": [0, 7, -1],
    "float": [2.5, -0.5],
    "string": ["", "wrong", "7", "true"],
    "array": [[], ["wrong"], [7]],
    "object": [{}, {"wrong": 7}],
}
assert set(WRONG_VALUES) == JSON_KINDS


def _wrong_kinds(slot: Slot) -> list[str]:
    return sorted(JSON_KINDS - json_kinds(slot.tp, slot.constraints))


@pytest.mark.parametrize("case", _params())
@settings(PROFILE)
@given(data=st.data())
def test_value_of_wrong_json_type_is_located(case: Case, data: st.DataObject) -> None:
    message = data.draw(case.full, label="message")
    candidates = [s for s in case.slots(message) if not s.tag and _wrong_kinds(s)]
    slot = data.draw(st.sampled_from(candidates), label="slot")
    kind = data.draw(st.sampled_from(_wrong_kinds(slot)), label="kind")
    value = data.draw(st.sampled_from(WRONG_VALUES[kind]), label="value")

    broken = _set(message, slot.path, value)

    for payload in _payloads(broken):
        assert slot.dotted in _rejected(case, payload).locations


def _outside(slot: Slot) -> st.SearchStrategy[Json]:
    """Numbers just or far outside the slot's range."""
    c = slot.all_constraints
    options: list[st.SearchStrategy[Json]] = []
    is_int = slot.base is int
    if c.ge is not None or c.gt is not None:
        low = c.ge if c.ge is not None else c.gt
        assert low is not None
        below_int = math.ceil(low) - 1 if c.ge is not None else math.floor(low)
        options.append(st.integers(max_value=below_int))
        if not is_int:
            below = math.nextafter(low, -math.inf) if c.ge is not None else low
            options.append(st.floats(max_value=below, allow_nan=False, allow_infinity=False))
    if c.le is not None or c.lt is not None:
        high = c.le if c.le is not None else c.lt
        assert high is not None
        above_int = math.floor(high) + 1 if c.le is not None else math.ceil(high)
        options.append(st.integers(min_value=above_int))
        if not is_int:
            above = math.nextafter(high, math.inf) if c.le is not None else high
            options.append(st.floats(min_value=above, allow_nan=False, allow_infinity=False))
    return st.one_of(options)


@pytest.mark.parametrize("case", _params(lambda case: _has(case, _is_number)))
@settings(PROFILE)
@given(data=st.data())
def test_number_out_of_range_is_located(case: Case, data: st.DataObject) -> None:
    message = data.draw(case.full, label="message")
    candidates = [s for s in case.slots(message) if _is_number(s)]
    assume(candidates)  # only optional nested numbers; rare with every field present
    slot = data.draw(st.sampled_from(candidates), label="slot")
    value = data.draw(_outside(slot), label="value")

    broken = _set(message, slot.path, value)

    for payload in _payloads(broken):
        assert slot.dotted in _rejected(case, payload).locations


@pytest.mark.parametrize("case", _params(lambda case: _has(case, _is_float)))
@settings(PROFILE, max_examples=10)
@given(data=st.data())
def test_non_finite_number_is_located(case: Case, data: st.DataObject) -> None:
    message = data.draw(case.full, label="message")
    candidates = [s for s in case.slots(message) if _is_float(s)]
    assume(candidates)
    slot = data.draw(st.sampled_from(candidates), label="slot")
    value = data.draw(st.sampled_from([math.nan, math.inf, -math.inf]), label="value")

    broken = _set(message, slot.path, value)

    # json.dumps writes NaN and Infinity, which are not JSON but which parsers meet.
    for payload in _payloads(broken):
        assert slot.dotted in _rejected(case, payload).locations


@pytest.mark.parametrize("case", _params(lambda case: _has(case, _is_short_or_unique_list)))
@settings(PROFILE, max_examples=10)
@given(data=st.data())
def test_empty_or_duplicated_list_is_located(case: Case, data: st.DataObject) -> None:
    message = data.draw(case.full, label="message")
    candidates = [s for s in case.slots(message) if _is_short_or_unique_list(s)]
    assume(candidates)
    slot = data.draw(st.sampled_from(candidates), label="slot")
    items = _get(message, slot.path)
    if UNIQUE in slot.all_constraints.validators and data.draw(st.booleans(), label="duplicate"):
        value = [*items, items[0]]
    else:
        value = []

    broken = _set(message, slot.path, value)

    for payload in _payloads(broken):
        assert slot.dotted in _rejected(case, payload).locations


# The specification's ranges, explicitly: (type, field path, value).
EXPLICIT_OUT_OF_RANGE = [
    ("file_analyze", ("priority",), 11),
    ("cue_generation", ("priority",), 11),
    ("cue_generation", ("priority",), -1),
    ("cue_generation", ("retry_count",), -1),
    ("cue_generation_complete", ("retry_count",), -1),
    ("rename_feedback", ("user_rating",), 0),
    ("rename_feedback", ("user_rating",), 6),
    ("analysis_progress", ("progress",), 1.5),
    ("analysis_progress", ("progress",), -0.1),
    ("ws_recording_update", ("data", "progress"), 1.5),
    ("ws_server_message", ("data", "progress"), 1.5),
    ("ws_status", ("total_connections",), 0),
    ("ws_pong", ("timestamp",), -1.0),
]


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        pytest.param(*case, id=f"{case[0]}-{'.'.join(case[1])}={case[2]}")
        for case in EXPLICIT_OUT_OF_RANGE
    ],
)
@settings(PROFILE, max_examples=5)
@given(data=st.data())
def test_explicit_out_of_range_values(
    name: str, path: tuple[str, ...], value: float, data: st.DataObject
) -> None:
    spec = get_message_spec(name)
    if path[0] == "data":
        # A progress update: the recording update's data is a progress report.
        progress = data.draw(model_dicts(ProgressData, frozenset({"type"})), label="data")
        message = {"recording_id": str(data.draw(st.uuids())), "data": progress}
    else:
        assert spec.model is not None
        message = data.draw(model_dicts(spec.model, frozenset(spec.model.model_fields)))
    spec.parse(message)

    broken = _set(message, path, value)

    for payload in _payloads(broken):
        error = _rejected(spec, payload)
        assert error.locations == (".".join(path),)


# -- invalid messages: cross-field rules ------------------------------------------------

Breaker = Callable[[st.DataObject, dict[str, Json]], tuple[dict[str, Json], str]]


def _flip_success(data: st.DataObject, message: dict[str, Json]) -> tuple[dict[str, Json], str]:
    return _set(message, ("success",), not message["success"]), ""


def _flip_report_verdict(
    data: st.DataObject, message: dict[str, Json]
) -> tuple[dict[str, Json], str]:
    report = data.draw(model_dicts(ValidationReport), label="report")
    report["is_valid"] = not report["is_valid"]
    return _set(message, ("validation_report",), report), "validation_report"


def _flip_first_result(
    data: st.DataObject, message: dict[str, Json]
) -> tuple[dict[str, Json], str]:
    result = message["results"][0]
    return _set(message, ("results", 0, "success"), not result["success"]), "results.0"


def _move_without_old_path(
    data: st.DataObject, message: dict[str, Json]
) -> tuple[dict[str, Json], str]:
    kind = data.draw(st.sampled_from(["moved", "renamed"]), label="event_type")
    broken = _set(message, ("event_type",), kind)
    if data.draw(st.booleans(), label="same path"):
        return _set(broken, ("old_path",), message["file_path"]), ""
    broken.pop("old_path", None)
    return broken, ""


def _created_without_hash(
    data: st.DataObject, message: dict[str, Json]
) -> tuple[dict[str, Json], str]:
    kind = data.draw(st.sampled_from(["created", "modified", "moved", "renamed"]))
    name = data.draw(st.sampled_from(["size_bytes", "sha256_hash", "xxh128_hash"]))
    return _set(_set(message, ("event_type",), kind), (name,), None), ""


def _audio_without_path(
    data: st.DataObject, message: dict[str, Json]
) -> tuple[dict[str, Json], str]:
    broken = _set(message, ("validate_audio",), True)
    broken.pop("audio_file_path", None)
    return broken, ""


BREAKERS: list[tuple[str, Breaker]] = [
    ("rename_response", _flip_success),
    ("cue_generation_complete", _flip_success),
    ("cue_generation_complete", _flip_report_verdict),
    ("batch_cue_generation_complete", _flip_success),
    ("batch_cue_generation_complete", _flip_first_result),
    ("file_lifecycle", _move_without_old_path),
    ("file_lifecycle", _created_without_hash),
    ("cue_generation", _audio_without_path),
]


@pytest.mark.parametrize(
    ("name", "breaker"),
    [pytest.param(name, breaker, id=f"{name}-{breaker.__name__}") for name, breaker in BREAKERS],
)
@settings(PROFILE)
@given(data=st.data())
def test_broken_cross_field_rule_is_rejected(
    name: str, breaker: Breaker, data: st.DataObject
) -> None:
    spec = get_message_spec(name)
    message = data.draw(message_dicts(spec), label="message")

    broken, location = breaker(data, message)

    for payload in _payloads(broken):
        assert _rejected(spec, payload).locations == (location,)


def _models_with_validators() -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    pending: list[Any] = [spec.model for spec in MESSAGE_SPECS if spec.model is not None]
    seen: set[Any] = set()
    while pending:
        tp, _ = split(pending.pop())
        if tp in seen:
            continue
        seen.add(tp)
        pending.extend(get_args(tp))
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__pydantic_decorators__.model_validators:
                found.add(tp)
            pending.extend(info.annotation for info in tp.model_fields.values())
    return found


def test_every_cross_field_rule_has_a_generator_rule() -> None:
    # A new model_validator needs a rule in strategies.CROSS_FIELD_RULES.
    assert _models_with_validators() == set(CROSS_FIELD_RULES)


# -- invalid messages: not a message at all ---------------------------------------------


def _non_objects() -> st.SearchStrategy[Json]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=12)
    )
    return scalars | st.lists(json_values(6), max_size=4)


@pytest.mark.parametrize("spec", SPECS)
@settings(PROFILE)
@given(value=_non_objects())
def test_non_object_json_is_rejected(spec: MessageSpec, value: Json) -> None:
    error = _rejected(spec, json.dumps(value).encode())
    assert error.locations == ("",)
    if not isinstance(value, str):  # a str is JSON text to parse(), not a decoded value
        assert _rejected(spec, value).locations == ("",)


def _parse_or_reject(spec: MessageSpec, payload: Any) -> BaseModel | None:
    try:
        return spec.parse(payload)
    except ContractValidationError:
        return None


@pytest.mark.parametrize("spec", SPECS)
@settings(PROFILE)
@given(payload=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_junk_bytes_are_parsed_or_rejected(spec: MessageSpec, payload: bytes) -> None:
    if _parse_or_reject(spec, payload) is not None:
        # Only a JSON object can be a message (``{}`` is a ping).
        assert isinstance(json.loads(payload), dict)


def _objects_like(spec: MessageSpec) -> st.SearchStrategy[Json]:
    """Arbitrary JSON, and objects with the message's own field names and random values."""
    model = spec.model or SERVER_MESSAGE_TYPES["recording_update"]
    names = sorted({*model.model_fields, "type", "data", "recording_id"})
    shaped = st.dictionaries(st.sampled_from(names), json_values(6), max_size=len(names))
    return json_values(10) | shaped


@pytest.mark.parametrize("spec", SPECS)
@settings(PROFILE, max_examples=10)
@given(data=st.data())
def test_arbitrary_json_is_parsed_or_rejected(spec: MessageSpec, data: st.DataObject) -> None:
    value = data.draw(_objects_like(spec), label="value")

    from_json = _parse_or_reject(spec, json.dumps(value).encode())

    if from_json is not None:
        assert isinstance(value, dict)
    if not isinstance(value, str):  # a str is JSON text to parse(), not a decoded value
        # The decoded value gets the same verdict as its JSON.
        assert _parse_or_reject(spec, value) == from_json


@settings(PROFILE, max_examples=60)
@given(
    value=json_values(10) | st.binary(max_size=32),
    routing_key=st.none() | st.text(max_size=20),
)
def test_auto_validation_raises_only_tracktion_errors(value: Json, routing_key: str | None) -> None:
    payload = value if isinstance(value, bytes) else json.dumps(value)
    # Only the two TracktionErrors may escape; anything else fails the test.
    with contextlib.suppress(ContractValidationError, UnknownMessageTypeError):
        validate_message(payload, "auto", routing_key=routing_key)


# -- the WebSocket unions ---------------------------------------------------------------


@pytest.mark.parametrize("spec", UNION_SPECS)
@settings(PROFILE)
@given(data=st.data())
def test_union_rejects_unknown_type(spec: MessageSpec, data: st.DataObject) -> None:
    message = data.draw(message_dicts(spec), label="message")
    known = CLIENT_MESSAGE_TYPES if spec.direction == "client" else SERVER_MESSAGE_TYPES
    kind = data.draw(
        st.text(max_size=16).filter(lambda text: text not in known)
        | st.sampled_from([None, 7, 1.5, True, [], {}, ["ping"], {"type": "ping"}]),
        label="type",
    )

    for payload in _payloads({**message, "type": kind}):
        error = _rejected(spec, payload)
        assert error.message_type == spec.name


# -- normalization, strict timestamps, hostile nesting, free-form JSON -------------------


@pytest.mark.parametrize("field", ["sha256_hash", "xxh128_hash"])
def test_upper_case_hashes_are_accepted_and_lowered(field: str) -> None:
    digits = {"sha256_hash": 64, "xxh128_hash": 32}[field]
    message = {
        "recording_id": "6f1e1c7e-0a5b-4e5e-9d7a-1b2c3d4e5f60",
        "file_path": "/data/music/track.mp3",
        "sha256_hash": "ab" * 32,
        "xxh128_hash": "cd" * 16,
        "correlation_id": "0b8f0c8e-8d5a-4f7e-9a59-2f6a0f3c1d2e",
        "timestamp": "2024-01-01T00:00:00Z",
        field: "AB" * (digits // 2),
    }
    pattern = FileAnalyzeRequest.model_json_schema()["properties"][field]
    pattern = next(p for p in pattern.get("anyOf", [pattern]) if "pattern" in p)["pattern"]
    assert re.fullmatch(pattern, message[field])  # the schema accepts it

    parsed = FileAnalyzeRequest.parse(message)

    assert getattr(parsed, field) == "ab" * (digits // 2)


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(1700000000, id="int"),
        pytest.param(1.5, id="float"),
        pytest.param("1700000000", id="numeric-text"),
    ],
)
def test_timestamp_rejects_numbers(timestamp: Json) -> None:
    message = {
        "recording_id": "6f1e1c7e-0a5b-4e5e-9d7a-1b2c3d4e5f60",
        "change": "added",
        "correlation_id": "0b8f0c8e-8d5a-4f7e-9a59-2f6a0f3c1d2e",
        "timestamp": timestamp,
    }
    schema = CatalogUpdatedEvent.model_json_schema()["properties"]["timestamp"]
    assert schema == {"format": "date-time", "title": "Timestamp", "type": "string"}

    with pytest.raises(ContractValidationError):
        CatalogUpdatedEvent.parse(message)


def _nested_lists(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


DEEP_INPUTS: list[tuple[str, Callable[[Any], object]]] = [
    ("top-level", lambda deep: get_message_spec("ws_ping").parse(deep)),
    ("uuid-field", lambda deep: get_message_spec("ws_subscribe").parse({"recording_id": deep})),
    ("server-union", parse_server_message),
    ("client-union", parse_client_message),
    ("auto", lambda deep: validate_message({"type": "subscribe", "recording_id": deep})),
]


@pytest.mark.parametrize("parse", [pytest.param(parse, id=name) for name, parse in DEEP_INPUTS])
def test_deeply_nested_input_is_rejected_with_a_contract_error(
    parse: Callable[[Any], object],
) -> None:
    # pydantic itself rejects such input cleanly; JSON text is capped by the parser.
    with pytest.raises(ContractValidationError):
        parse(_nested_lists(2000))


@pytest.mark.parametrize(
    ("value", "location"),
    [
        pytest.param([1, (2,)], "metadata.x.1", id="tuple-in-list"),
        pytest.param({"k": {1, 2}}, "metadata.x.k", id="set-in-object"),
    ],
)
def test_error_inside_free_form_json_is_located_by_field_path(value: Any, location: str) -> None:
    message = {
        "recording_id": "6f1e1c7e-0a5b-4e5e-9d7a-1b2c3d4e5f60",
        "file_path": "/data/music/track.mp3",
        "correlation_id": "0b8f0c8e-8d5a-4f7e-9a59-2f6a0f3c1d2e",
        "metadata": {"x": value},  # a decoded dict holding non-JSON Python values
    }
    with pytest.raises(ContractValidationError) as caught:
        get_message_spec("analysis_request").parse(message)
    assert caught.value.locations == (location,)
