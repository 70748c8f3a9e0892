"""The base of every contract: strict validation, a schema version, JSON in and out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from ._errors import ContractValidationError, Location
from ._types import JsonObject

__all__ = ["SCHEMA_MAJOR", "SCHEMA_VERSION", "Contract", "Part"]

SCHEMA_MAJOR = 1
"""The major schema version this release reads and writes."""

SCHEMA_VERSION = f"{SCHEMA_MAJOR}.0"
"""The schema version stamped on messages this release creates."""


def _check_major(value: str) -> str:
    major = int(value.split(".", 1)[0])
    if major != SCHEMA_MAJOR:
        raise ValueError(
            f"schema major version {major} is not supported; "
            f"this release reads {SCHEMA_MAJOR}.x messages"
        )
    return value


def _json_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.annotation == JsonObject}


SchemaVersion = Annotated[
    str,
    StringConstraints(pattern=r"^(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})$"),
    AfterValidator(_check_major),
    # Readers of the schema see the supported major directly.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^{SCHEMA_MAJOR}\.(0|[1-9][0-9]{{0,3}})$",
            "default": SCHEMA_VERSION,
        }
    ),
]


class Part(BaseModel):
    """A structured part of a message (not a message itself): same validation rules."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class Contract(Part):
    """A message contract.

    Validation is strict about JSON types (a number is not a string, a boolean is not
    ``"yes"``) and lenient where the compatibility policy says so: fields this release
    does not know are ignored, and any minor version of the supported major is read.

    Subclasses set :attr:`MESSAGE_TYPE`, the stable name used by the registry, the CLI
    and the error messages.
    """

    MESSAGE_TYPE: ClassVar[str] = "contract"

    schema_version: SchemaVersion = SCHEMA_VERSION
    """``MAJOR.MINOR`` of the contract the sender wrote; defaults to this release's."""

    @classmethod
    def parse(cls, data: str | bytes | bytearray | Mapping[str, Any]) -> Self:
        """Validate a message given as JSON text/bytes or as an already-decoded mapping.

        Raises:
            ContractValidationError: the message does not satisfy the contract; every
                field error is listed with its location.
        """
        try:
            if isinstance(data, str | bytes | bytearray):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ContractValidationError.from_pydantic(
                cls.MESSAGE_TYPE, exc, cls.field_location
            ) from None

    @classmethod
    def field_location(cls, location: Location) -> Location:
        """The field path of a pydantic error location (without union variant tags).

        Inside a free-form JSON field (``metadata``, ``options``...) pydantic puts the
        kind of each value (``list``, ``dict``...) before each step into it; the field
        path has only the keys and indexes.
        """
        if len(location) > 2 and location[0] in _json_fields(cls):
            return (*location[:2], *location[3::2])
        return location

    def to_json(self) -> bytes:
        """The message as compact UTF-8 JSON, as it goes on the wire."""
        return self.model_dump_json().encode()

    def to_dict(self) -> dict[str, Any]:
        """The message as JSON-compatible Python data."""
        return self.model_dump(mode="json")
