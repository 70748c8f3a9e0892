"""Hypothesis strategies for valid contract messages, derived from the pydantic models.

:func:`message_dicts` generates JSON-compatible dicts (what arrives on the wire, decoded)
that satisfy a registered message type; :func:`messages` the parsed models. The values
come from the fields' types and annotated metadata (UUIDs, aware timestamps, patterns,
lengths, numeric bounds, enums, literals, optionals, unique non-empty lists, free JSON,
nested parts); what the metadata cannot say, the cross-field rules of the models'
``model_validator``\\ s, is in :data:`CROSS_FIELD_RULES`.

:func:`slots` lists the fields present in a generated message with their types, and
:func:`json_kinds` the JSON types a field accepts, for the invalid-message properties.

The builder refuses metadata and validators it does not know, so a new constraint in the
contracts makes these strategies fail loudly instead of generating invalid messages.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import types
import typing
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from inspect import isclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

import annotated_types as at
from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Discriminator,
    JsonValue,
    Strict,
    StringConstraints,
    Tag,
    WithJsonSchema,
)
from pydantic.fields import FieldInfo
from pydantic.types import AllowInfNan

from tracktion.contracts import (
    BatchCueGenerationComplete,
    ClientMessage,
    CueFormatResult,
    CueGenerationComplete,
    CueGenerationRequest,
    FileLifecycleEvent,
    RenameResponse,
    ServerMessage,
    ValidationReport,
)
from tracktion.contracts._base import _check_major
from tracktion.contracts._types import _check_path, _unique
from tracktion.contracts.registry import MessageSpec
from tracktion.contracts.websocket import CLIENT_MESSAGE_TYPES, SERVER_MESSAGE_TYPES

__all__ = [
    "CROSS_FIELD_RULES",
    "JSON_KINDS",
    "UNIQUE",
    "Constraints",
    "Slot",
    "field_constraints",
    "field_values",
    "from_type",
    "json_kinds",
    "json_values",
    "literal_fields",
    "message_dicts",
    "messages",
    "model_dicts",
    "slots",
    "split",
    "union_type",
    "variant_of",
]

Json = Any
Path = tuple[str | int, ...]
DrawFn = st.DrawFn

# -- constraints from annotated metadata ------------------------------------------------


@dataclass(frozen=True)
class Constraints:
    """The constraints of a type, gathered from its ``Annotated`` metadata."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    allow_inf_nan: bool = True
    lax: bool = False
    validators: tuple[Callable[..., Any], ...] = ()
    discriminator: str | Discriminator | None = None

    def merge(self, item: object) -> Constraints:  # noqa: PLR0912 - one case per kind
        """These constraints and one more metadata item."""
        replace = dataclasses.replace
        if isinstance(item, at.Ge):
            return replace(self, ge=_as_float(item.ge))
        if isinstance(item, at.Gt):
            return replace(self, gt=_as_float(item.gt))
        if isinstance(item, at.Le):
            return replace(self, le=_as_float(item.le))
        if isinstance(item, at.Lt):
            return replace(self, lt=_as_float(item.lt))
        if isinstance(item, at.MinLen):
            return replace(self, min_length=item.min_length)
        if isinstance(item, at.MaxLen):
            return replace(self, max_length=item.max_length)
        if isinstance(item, StringConstraints):
            if item.strip_whitespace or item.to_upper or item.ascii_only:
                raise TypeError(f"no strategy rule for {item!r}")
            result = self
            if item.min_length is not None:
                result = replace(result, min_length=item.min_length)
            if item.max_length is not None:
                result = replace(result, max_length=item.max_length)
            if item.pattern is not None:
                result = replace(result, pattern=str(item.pattern))
            return result
        if isinstance(item, AllowInfNan):
            return replace(self, allow_inf_nan=item.allow_inf_nan)
        if isinstance(item, Strict):
            return replace(self, lax=not item.strict)
        if isinstance(item, AfterValidator):
            return replace(self, validators=(*self.validators, item.func))
        if isinstance(item, Discriminator):
            return replace(self, discriminator=item)
        if isinstance(item, Tag | WithJsonSchema):
            return self  # naming a union member / documenting: no effect on validation
        if isinstance(item, BeforeValidator):
            # Normalizes or narrows the input's form (lowering hashes, ISO text only);
            # the canonical values generated here pass it unchanged.
            return self
        if isinstance(item, FieldInfo):
            result = self.merge_all(item.metadata)
            if item.discriminator is not None:
                result = replace(result, discriminator=item.discriminator)
            return result
        raise TypeError(f"no strategy rule for the metadata {item!r}")

    def merge_all(self, items: typing.Iterable[object]) -> Constraints:
        result = self
        for item in items:
            result = result.merge(item)
        return result

    @property
    def has_bounds(self) -> bool:
        return any(bound is not None for bound in (self.ge, self.gt, self.le, self.lt))


def _as_float(bound: Any) -> float:
    return float(bound)


def split(tp: Any, constraints: Constraints | None = None) -> tuple[Any, Constraints]:
    """A type without its ``Annotated`` layers, and the constraints they carried."""
    constraints = constraints or Constraints()
    while get_origin(tp) is Annotated:
        tp, *metadata = get_args(tp)
        constraints = constraints.merge_all(metadata)
    return tp, constraints


def field_constraints(info: FieldInfo) -> Constraints:
    """The constraints pydantic moved from a field's annotation into its ``FieldInfo``."""
    constraints = Constraints().merge_all(info.metadata)
    if info.discriminator is not None:
        constraints = dataclasses.replace(constraints, discriminator=info.discriminator)
    return constraints


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


# -- scalar strategies ------------------------------------------------------------------

# JSON text cannot carry lone surrogates; everything else is fair game.
_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_CHARACTERS = st.characters(exclude_categories=_SURROGATES)
_PATH_CHARACTERS = st.characters(exclude_categories=_SURROGATES, exclude_characters="\x00")
_TEXT_SIZE = 24


def _text(min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    upper = min_size + _TEXT_SIZE if max_size is None else min(max_size, min_size + _TEXT_SIZE)
    small = st.text(_CHARACTERS, min_size=min_size, max_size=upper)
    if max_size is None or max_size <= upper:
        return small
    # The longest string allowed, cheaply.
    return small | _CHARACTERS.map(lambda char: char * max_size)


def _strings(constraints: Constraints) -> st.SearchStrategy[str]:
    if constraints.pattern is not None:
        values = st.from_regex(constraints.pattern, fullmatch=True)
        low, high = constraints.min_length, constraints.max_length
        if low is not None or high is not None:
            values = values.filter(
                lambda text: (
                    (low is None or len(text) >= low) and (high is None or len(text) <= high)
                )
            )
        return values
    return _text(constraints.min_length or 0, constraints.max_length)


def _paths(constraints: Constraints) -> st.SearchStrategy[str]:
    """Not blank, no NUL (``NonEmptyPath``): realistic paths and arbitrary text."""
    high = constraints.max_length or 4096
    low = max(constraints.min_length or 1, 1)
    segment = st.text(_PATH_CHARACTERS.filter(lambda char: char != "/"), min_size=1, max_size=12)
    realistic = st.lists(segment, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
    arbitrary = st.text(_PATH_CHARACTERS, min_size=low, max_size=min(high, low + _TEXT_SIZE))
    longest = _PATH_CHARACTERS.map(lambda char: char * high)
    return (realistic | arbitrary | longest).filter(
        lambda path: bool(path.strip()) and low <= len(path) <= high
    )


def _schema_versions() -> st.SearchStrategy[str]:
    """``1.<minor>``: any minor version of the supported major."""
    return st.integers(0, 9999).map(lambda minor: f"1.{minor}")


def _integers(constraints: Constraints) -> st.SearchStrategy[int]:
    low = high = None
    if constraints.ge is not None:
        low = math.ceil(constraints.ge)
    if constraints.gt is not None:
        low = math.floor(constraints.gt) + 1
    if constraints.le is not None:
        high = math.floor(constraints.le)
    if constraints.lt is not None:
        high = math.ceil(constraints.lt) - 1
    return st.integers(min_value=low, max_value=high)


def _floats(constraints: Constraints) -> st.SearchStrategy[float | int]:
    low = constraints.ge if constraints.gt is None else constraints.gt
    high = constraints.le if constraints.lt is None else constraints.lt
    floats = st.floats(
        min_value=low,
        max_value=high,
        exclude_min=constraints.gt is not None,
        exclude_max=constraints.lt is not None,
        allow_nan=False,
        allow_infinity=False,
    )
    # A JSON integer is a valid number too.
    whole = _integers(constraints).filter(lambda number: abs(number) < 2**53)
    return floats | whole


_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_TIMEZONES: st.SearchStrategy[Any] = st.just(UTC) | _OFFSETS


def _timestamps() -> st.SearchStrategy[str]:
    """ISO-8601 text of timezone-aware datetimes (``Z`` or a ``+hh:mm`` offset)."""

    def text(moment: datetime, zulu: bool) -> str:
        written = moment.isoformat()
        if zulu and moment.utcoffset() == timedelta():
            return written.removesuffix("+00:00") + "Z"
        return written

    return st.builds(text, st.datetimes(timezones=_TIMEZONES), st.booleans())


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Json]:
    """Small JSON values (no NaN or infinity, which JSON cannot write)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | _text(max_size=12)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(_text(max_size=8), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def _json_key(value: Json) -> Hashable:
    return json.dumps(value, sort_keys=True)


# Validators whose rule the metadata does not say: what generates values satisfying them.
_VALIDATOR_RULES: dict[Callable[..., Any], Callable[[Constraints], st.SearchStrategy[Any]]] = {
    _check_path: _paths,
    _check_major: lambda _: _schema_versions(),
}
_CONTAINER_VALIDATORS = {_unique}
UNIQUE = _unique
"""The validator of ``UniqueList``: no duplicate items."""

# -- the builder ------------------------------------------------------------------------


def from_type(tp: Any, constraints: Constraints | None = None) -> st.SearchStrategy[Json]:  # noqa: PLR0912
    """A strategy for valid JSON values of a (possibly annotated) type."""
    tp, constraints = split(tp, constraints)
    unknown = [
        validator
        for validator in constraints.validators
        if validator not in _VALIDATOR_RULES and validator not in _CONTAINER_VALIDATORS
    ]
    if unknown:
        raise TypeError(f"no strategy rule for the validators {unknown!r} of {tp!r}")
    for validator in constraints.validators:
        if validator in _VALIDATOR_RULES:
            return _VALIDATOR_RULES[validator](constraints)

    origin = get_origin(tp)
    args = get_args(tp)
    if tp is type(None):
        return st.none()
    if _is_union(tp):
        if constraints.discriminator is not None:
            return st.one_of([_variant_dicts(arg, constraints.discriminator) for arg in args])
        # Field-level constraints apply to the non-null member of an optional.
        return st.one_of([from_type(arg, constraints) for arg in args])
    if origin is Literal:
        return st.sampled_from(args)
    if tp is JsonValue:
        return json_values()
    if origin is list:
        (item_type,) = args
        low = constraints.min_length or 0
        high = min(constraints.max_length or low + 3, low + 3)
        items = from_type(item_type)
        if _unique in constraints.validators:
            return st.lists(items, min_size=low, max_size=high, unique_by=_json_key)
        return st.lists(items, min_size=low, max_size=high)
    if origin is dict:
        key_type, value_type = args
        return st.dictionaries(from_type(key_type), from_type(value_type), max_size=3)
    if isclass(tp):
        if issubclass(tp, BaseModel):
            return model_dicts(tp)
        if issubclass(tp, enum.Enum):
            return st.sampled_from([member.value for member in tp])
        if tp is bool:
            return st.booleans()
        if tp is int:
            return _integers(constraints)
        if tp is float:
            return _floats(constraints)
        if tp is str:
            return _strings(constraints)
        if tp is UUID:
            return st.uuids().map(str)
        if tp is AwareDatetime:
            return _timestamps()
    raise TypeError(f"no strategy rule for the type {tp!r}")


def literal_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if get_origin(split(info.annotation)[0]) is Literal
    )


def _variant_dicts(
    variant: Any, discriminator: str | Discriminator
) -> st.SearchStrategy[dict[str, Json]]:
    """A member of a discriminated union always carries its tag, even when defaulted."""
    model, _ = split(variant)
    if isinstance(discriminator, str):
        return model_dicts(model, frozenset({discriminator}))
    return model_dicts(model, literal_fields(model))


def field_values(
    model: type[BaseModel], name: str, *, allow_none: bool = True
) -> st.SearchStrategy[Json]:
    """Valid JSON values of one field (``allow_none=False``: never null)."""
    info = model.model_fields[name]
    tp: Any = info.annotation
    if not allow_none and _is_union(tp):
        members = [arg for arg in get_args(tp) if arg is not type(None)]
        tp = Union[tuple(members)] if len(members) > 1 else members[0]  # noqa: UP007
    return from_type(tp, field_constraints(info))


_MODEL_CACHE: dict[tuple[type[BaseModel], frozenset[str]], st.SearchStrategy[dict[str, Json]]] = {}


def model_dicts(
    model: type[BaseModel], require: frozenset[str] = frozenset()
) -> st.SearchStrategy[dict[str, Json]]:
    """Valid JSON objects of a model: required fields always, defaulted ones sometimes.

    ``require`` names defaulted fields to include anyway (a union member's tag).
    """
    key = (model, require)
    if key in _MODEL_CACHE:
        return _MODEL_CACHE[key]
    required: dict[str, st.SearchStrategy[Json]] = {}
    optional: dict[str, st.SearchStrategy[Json]] = {}
    for name, info in model.model_fields.items():
        target = required if info.is_required() or name in require else optional
        target[info.alias or name] = field_values(model, name)
    strategy: st.SearchStrategy[dict[str, Json]] = st.fixed_dictionaries(
        required, optional=optional
    )
    if model.model_config.get("extra") == "allow":
        strategy = _with_extra_keys(strategy, set(model.model_fields))
    rule = CROSS_FIELD_RULES.get(model)
    if rule is not None:
        strategy = _apply_rule(strategy, rule)
    _MODEL_CACHE[key] = strategy
    return strategy


def _with_extra_keys(
    strategy: st.SearchStrategy[dict[str, Json]], known: set[str]
) -> st.SearchStrategy[dict[str, Json]]:
    extra = st.dictionaries(
        _text(min_size=1, max_size=10).filter(lambda key: key not in known),
        json_values(4),
        max_size=2,
    )
    return st.builds(lambda base, more: {**more, **base}, strategy, extra)


def _apply_rule(
    strategy: st.SearchStrategy[dict[str, Json]],
    rule: Callable[[DrawFn, dict[str, Json]], dict[str, Json]],
) -> st.SearchStrategy[dict[str, Json]]:
    @st.composite
    def ruled(draw: DrawFn) -> dict[str, Json]:
        return rule(draw, dict(draw(strategy)))

    return ruled()


# -- cross-field rules (the models' ``model_validator``s) ------------------------------


def _present(draw: DrawFn, data: dict[str, Json], model: type[BaseModel], name: str) -> None:
    if data.get(name) is None:
        data[name] = draw(field_values(model, name, allow_none=False))


def _absent(data: dict[str, Json], name: str) -> None:
    data.pop(name, None)


def _lifecycle(draw: DrawFn, data: dict[str, Json]) -> dict[str, Json]:
    # moved/renamed: an old path other than the new one; all but deleted: size and hashes.
    kind = data["event_type"]
    if kind in ("moved", "renamed") and data.get("old_path") in (None, data["file_path"]):
        data["old_path"] = draw(
            field_values(FileLifecycleEvent, "old_path", allow_none=False).filter(
                lambda path: path != data["file_path"]
            )
        )
    if kind != "deleted":
        for name in ("size_bytes", "sha256_hash", "xxh128_hash"):
            _present(draw, data, FileLifecycleEvent, name)
    return data


def _audio_check(draw: DrawFn, data: dict[str, Json]) -> dict[str, Json]:
    # validate_audio needs the audio file.
    if data.get("validate_audio"):
        _present(draw, data, CueGenerationRequest, "audio_file_path")
    return data


def _verdict(draw: DrawFn, data: dict[str, Json]) -> dict[str, Json]:
    # Valid exactly when there is no error.
    data["is_valid"] = not data.get("errors")
    return data


def _outcome(model: type[BaseModel]) -> Callable[[DrawFn, dict[str, Json]], dict[str, Json]]:
    # Success: the stored file and no error; failure: an error.
    def rule(draw: DrawFn, data: dict[str, Json]) -> dict[str, Json]:
        if data["success"]:
            _absent(data, "error")
            for name in ("cue_file_id", "file_path", "checksum"):
                _present(draw, data, model, name)
        else:
            _present(draw, data, model, "error")
        return data

    return rule


def _batch_summary(draw: DrawFn, data: dict[str, Json]) -> dict[str, Json]:
    # Success exactly when every format succeeded.
    data["success"] = all(result["success"] for result in data["results"])
    return data


def _rename_outcome(draw: DrawFn, data: dict[str, Json]) -> dict[str, Json]:
    # Success: a new path and no error; failure: an error.
    if data["success"]:
        _absent(data, "error")
        _present(draw, data, RenameResponse, "new_path")
    else:
        _present(draw, data, RenameResponse, "error")
    return data


CROSS_FIELD_RULES: dict[type[BaseModel], Callable[[DrawFn, dict[str, Json]], dict[str, Json]]] = {
    FileLifecycleEvent: _lifecycle,
    CueGenerationRequest: _audio_check,
    ValidationReport: _verdict,
    CueGenerationComplete: _outcome(CueGenerationComplete),
    CueFormatResult: _outcome(CueFormatResult),
    BatchCueGenerationComplete: _batch_summary,
    RenameResponse: _rename_outcome,
}
"""Model -> how to make a generated dict satisfy the model's ``model_validator``."""

# -- message types ----------------------------------------------------------------------


def union_type(spec: MessageSpec) -> Any:
    """The WebSocket union a model-less spec validates."""
    return ClientMessage if spec.direction == "client" else ServerMessage


def message_dicts(spec: MessageSpec) -> st.SearchStrategy[dict[str, Json]]:
    """Valid JSON objects of a registered message type (a model or a WebSocket union)."""
    if spec.model is not None:
        return model_dicts(spec.model)
    strategy: st.SearchStrategy[dict[str, Json]] = from_type(union_type(spec))
    return strategy


def messages(spec: MessageSpec) -> st.SearchStrategy[BaseModel]:
    """Valid parsed messages of a registered message type."""
    return message_dicts(spec).map(spec.parse)


def variant_of(spec: MessageSpec, data: Mapping[str, Json]) -> type[BaseModel]:
    """The model a valid ``data`` of ``spec`` parses to (the union member for unions)."""
    if spec.model is not None:
        return spec.model
    if spec.direction == "client":
        return CLIENT_MESSAGE_TYPES[data["type"]]
    return SERVER_MESSAGE_TYPES[data.get("type", "recording_update")]


# -- fields of a message, for mutations -------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A field present in a message: where it is, what it accepts.

    Attributes:
        path: Keys and list positions from the message's root.
        tp: The field's type (``Annotated`` layers in :attr:`constraints`).
        constraints: Its constraints.
        required: The model requires the field (it has no default).
        tag: It is the tag of a discriminated union: changing it changes the variant.
    """

    path: Path
    tp: Any
    constraints: Constraints = field(default_factory=Constraints)
    required: bool = False
    tag: bool = False

    @property
    def dotted(self) -> str:
        """The path as an error location (``results.0.checksum``)."""
        return ".".join(str(part) for part in self.path)

    @property
    def base(self) -> Any:
        """The type without ``None`` (for optionals) and ``Annotated`` layers."""
        tp, _ = split(self.tp)
        if _is_union(tp):
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(members) == 1:
                tp, _ = split(members[0])
        return tp

    @property
    def all_constraints(self) -> Constraints:
        """The constraints, including those inside an optional's member."""
        tp, constraints = split(self.tp, self.constraints)
        if _is_union(tp):
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(members) == 1:
                _, constraints = split(members[0], constraints)
        return constraints


def slots(
    model: type[BaseModel],
    data: Mapping[str, Json],
    prefix: Path = (),
    tags: frozenset[str] = frozenset(),
) -> list[Slot]:
    """Every field present in ``data`` (a valid object of ``model``), nested ones too.

    ``tags`` names the fields of ``model`` that are its discriminated union's tag.
    """
    found: list[Slot] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in data:
            continue
        constraints = field_constraints(info)
        path = (*prefix, key)
        found.append(Slot(path, info.annotation, constraints, info.is_required(), key in tags))
        found.extend(_inner_slots(info.annotation, constraints, data[key], path))
    return found


def _inner_slots(tp: Any, constraints: Constraints, value: Json, path: Path) -> list[Slot]:
    tp, constraints = split(tp, constraints)
    if value is None:
        return []
    if _is_union(tp):
        members = [arg for arg in get_args(tp) if arg is not type(None)]
        discriminator = constraints.discriminator
        if isinstance(discriminator, str):
            for member in members:
                variant, _ = split(member)
                if value.get(discriminator) in get_args(
                    split(variant.model_fields[discriminator].annotation)[0]
                ):
                    return slots(variant, value, path, frozenset({discriminator}))
            return []
        if len(members) == 1:
            return _inner_slots(members[0], constraints, value, path)
        return []
    origin = get_origin(tp)
    if origin is list:
        (item_type,) = get_args(tp)
        found: list[Slot] = []
        for position, item in enumerate(value):
            found.append(Slot((*path, position), item_type))
            found.extend(_inner_slots(item_type, Constraints(), item, (*path, position)))
        return found
    if origin is dict:
        _, value_type = get_args(tp)
        if value_type is JsonValue:
            return []
        found = []
        for key, item in value.items():
            found.append(Slot((*path, key), value_type))
            found.extend(_inner_slots(value_type, Constraints(), item, (*path, key)))
        return found
    if isclass(tp) and issubclass(tp, BaseModel):
        return slots(tp, value, path)
    return []


JSON_KINDS = frozenset({"null", "bool", "int", "float", "string", "array", "object"})


def json_kinds(tp: Any, constraints: Constraints | None = None) -> frozenset[str]:
    """The JSON types a value of ``tp`` may have in a valid message."""
    tp, constraints = split(tp, constraints)
    if tp is type(None):
        return frozenset({"null"})
    if _is_union(tp):
        return frozenset().union(*(json_kinds(arg) for arg in get_args(tp)))
    origin = get_origin(tp)
    if origin is Literal:
        return frozenset(_kind(value) for value in get_args(tp))
    if tp is JsonValue:
        return JSON_KINDS
    if origin is list:
        return frozenset({"array"})
    if origin is dict or (isclass(tp) and issubclass(tp, BaseModel)):
        return frozenset({"object"})
    if isclass(tp) and issubclass(tp, enum.Enum):
        return frozenset(_kind(member.value) for member in tp)
    if tp is bool:
        return frozenset({"bool"})
    if tp is int:
        return frozenset({"int"})
    if tp is float:
        return frozenset({"int", "float"})
    if tp in (str, UUID):
        return frozenset({"string"})
    if tp is AwareDatetime:
        return frozenset({"string"})  # ISO-8601 text only, never Unix seconds
    raise TypeError(f"no JSON kinds known for {tp!r}")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"not a JSON scalar: {value!r}")
