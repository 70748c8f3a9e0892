"""Field types shared by the contracts: identifiers, hashes, paths, ranges, keys.

Every type validates early and says what it expects; the JSON Schema of each carries the
same constraint (pattern, range or format), so non-Python consumers validate alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    JsonValue,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

__all__ = [
    "Camelot",
    "EpochSeconds",
    "Identifier",
    "JsonObject",
    "Lax",
    "MusicalKey",
    "NonEmptyPath",
    "NonEmptyStr",
    "NonNegativeFloat",
    "NonNegativeInt",
    "OpenKey",
    "Priority",
    "Probability",
    "Sha256Hex",
    "Timestamp",
    "UniqueList",
    "Uuid",
    "Xxh128Hex",
]

# Contracts are validated strictly (no "5" for 5, no "yes" for True), except for types
# whose JSON form is a string: UUIDs, timestamps and enums are parsed from their text.
Lax = Strict(False)

Uuid = Annotated[UUID, Lax]
"""A UUID, written in its canonical 36-character text form on the wire."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    # pydantic would also read a number (or numeric text) as Unix seconds; the contract
    # says ISO-8601 text, so that is all it accepts.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("expected an ISO-8601 timestamp such as 2024-01-01T00:00:00Z")


Timestamp = Annotated[AwareDatetime, Lax, BeforeValidator(_iso_text)]
"""An ISO-8601 timestamp with a timezone (``2024-01-01T00:00:00Z``); naive ones are rejected."""

EpochSeconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""Seconds since the Unix epoch as a JSON number (the WebSocket protocol's timestamps)."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


def _check_path(value: str) -> str:
    if not value.strip():
        raise ValueError("path must not be blank")
    if "\x00" in value:
        raise ValueError("path must not contain a NUL character")
    return value


NonEmptyPath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4096),
    AfterValidator(_check_path),
    # The same rule for schema readers: some non-space character, no NUL anywhere.
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 4096,
            "pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        }
    ),
]
"""A file-system path as text: not empty, not blank, no NUL character, at most 4096 characters."""

Sha256Hex = Annotated[
    str,
    # Either case is read and stored lower-case (pydantic checks the pattern, then lowers).
    StringConstraints(to_lower=True, pattern=r"^[0-9a-fA-F]{64}$"),
]
"""A SHA-256 digest: 64 hexadecimal digits (upper case is accepted and lowered)."""

Xxh128Hex = Annotated[
    str,
    # Either case is read and stored lower-case (pydantic checks the pattern, then lowers).
    StringConstraints(to_lower=True, pattern=r"^[0-9a-fA-F]{32}$"),
]
"""An XXH3-128 digest: 32 hexadecimal digits (upper case is accepted and lowered)."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,254}$")]
"""A short machine identifier (instance ids, user ids): 1-255 characters, no spaces."""

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A number in [0, 1]."""

Priority = Annotated[int, Field(ge=0, le=10)]
"""A message priority in [0, 10]; higher is served first."""

NonNegativeInt = Annotated[int, Field(ge=0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]

MusicalKey = Annotated[str, StringConstraints(pattern=r"^[A-G](#|b)? (major|minor)$")]
"""A key in standard notation: tonic, optional ``#``/``b``, then ``major`` or ``minor``."""

Camelot = Annotated[str, StringConstraints(pattern=r"^(1[0-2]|0?[1-9])[AB]$")]
"""A Camelot wheel position, ``1A``-``12B`` (``08A`` zero-padded is accepted)."""

OpenKey = Annotated[str, StringConstraints(pattern=r"^(1[0-2]|[1-9])[md]$")]
"""An Open Key notation position, ``1m``-``12d``."""


T = TypeVar("T")


def _unique(items: list[T]) -> list[T]:
    seen: list[T] = []
    for item in items:
        if item in seen:
            raise ValueError(f"duplicate item {item}")
        seen.append(item)
    return items


UniqueList = Annotated[
    list[T], Field(min_length=1, json_schema_extra={"uniqueItems": True}), AfterValidator(_unique)
]
"""A non-empty list without duplicates."""

JsonObject = dict[str, JsonValue]
"""A free-form JSON object (``metadata``, ``options``)."""
