"""Argument checks shared by the catalog's records and repositories.

Each returns the (possibly normalized) value or raises :class:`CatalogInputError` naming
the argument, so that nothing malformed reaches the database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from .errors import CatalogInputError

_HEX = re.compile(r"[0-9a-f]+")


def aware(value: datetime, name: str) -> datetime:
    """``value`` converted to UTC; naive datetimes are rejected (their zone is unknown)."""
    if not isinstance(value, datetime):
        raise CatalogInputError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CatalogInputError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def text(value: str, name: str, *, max_length: int | None = None) -> str:
    """A non-blank string without NUL characters (PostgreSQL cannot store NUL in text)."""
    if not isinstance(value, str) or not value.strip():
        raise CatalogInputError(f"{name} must be a non-blank string, got {value!r}")
    if "\x00" in value:
        raise CatalogInputError(f"{name} must not contain NUL characters: {value!r}")
    if max_length is not None and len(value) > max_length:
        raise CatalogInputError(f"{name} is longer than {max_length} characters: {value!r}")
    return value


def optional_text(value: str | None, name: str, *, max_length: int | None = None) -> str | None:
    """``None``, or a string checked like :func:`text`."""
    return None if value is None else text(value, name, max_length=max_length)


def digest(value: str, hex_digits: int, name: str) -> str:
    """A hexadecimal digest of exactly ``hex_digits`` digits, returned lower-case."""
    lowered = value.lower() if isinstance(value, str) else ""
    if len(lowered) != hex_digits or not _HEX.fullmatch(lowered):
        raise CatalogInputError(f"{name} must be {hex_digits} hexadecimal digits, got {value!r}")
    return lowered


def non_negative(value: int, name: str) -> int:
    """An integer >= 0 (``bool`` is refused although it is an ``int``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CatalogInputError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def positive(value: int, name: str) -> int:
    """An integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogInputError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def probability(value: float, name: str) -> float:
    """A finite number in [0, 1], as ``float``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogInputError(f"{name} must be a number in [0, 1], got {value!r}")
    number = float(value)
    if not 0.0 <= number <= 1.0:  # also rejects NaN, which compares false
        raise CatalogInputError(f"{name} must be in [0, 1], got {value!r}")
    return number


def optional_probability(value: float | None, name: str) -> float | None:
    """``None``, or a number checked like :func:`probability`."""
    return None if value is None else probability(value, name)


def seconds(value: float | None, name: str) -> float | None:
    """``None``, or a finite number of seconds >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogInputError(f"{name} must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise CatalogInputError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return number


def json_value(value: Any, name: str) -> Any:
    """``value`` as plain JSON data (dicts with string keys, lists, strings, finite numbers,
    booleans, ``None``); other mappings and sequences are copied into dicts and lists.

    NaN and infinities are refused because PostgreSQL's ``json`` type rejects them; a
    non-string key is refused because it would come back as a different (string) key.
    """
    return _plain(value, name)


def _plain(value: Any, where: str) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CatalogInputError(f"{where} is {value}, which JSON cannot hold")
        return value
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CatalogInputError(f"{where} has a non-string key {key!r}")
            plain[key] = _plain(item, f"{where}[{key!r}]")
        return plain
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise CatalogInputError(f"{where} is a {type(value).__name__}, which is not JSON")


def page(limit: int, offset: int) -> tuple[int, int]:
    """A validated ``(limit, offset)`` pair: limit in [1, 10000], offset >= 0."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise CatalogInputError(f"limit must be an integer in [1, 10000], got {limit!r}")
    return limit, non_negative(offset, "offset")


E = TypeVar("E", bound=StrEnum)


def member(enum: type[E], value: E | str, name: str) -> E:
    """``value`` as a member of ``enum`` (its value may be given as a string)."""
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(item.value for item in enum)
        raise CatalogInputError(f"{name} must be one of {known}; got {value!r}") from None
