"""The error tree shared by every Tracktion package.

::

    TracktionError
     +-- ContractValidationError (also ValueError)   a message does not satisfy its contract
     +-- UnknownMessageTypeError (also LookupError)  no contract has that name or routing key

Other packages derive their errors from :class:`TracktionError` too, so that a caller can
catch everything Tracktion raises with one ``except`` clause.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

__all__ = [
    "ContractValidationError",
    "FieldError",
    "TracktionError",
    "UnknownMessageTypeError",
]

_MAX_INPUT_REPR = 80

Location = tuple[int | str, ...]


class TracktionError(Exception):
    """Root of every error that Tracktion raises on purpose."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason a message was rejected.

    Attributes:
        location: Dotted path of the offending field (``file_info.sha256_hash``,
            ``formats.1``); empty when the message as a whole is wrong (invalid JSON,
            not an object).
        message: Human-readable reason.
        error_type: Machine-readable reason, pydantic's error type (``uuid_parsing``,
            ``missing``, ``greater_than_equal``...).
        input: A short ``repr`` of the rejected value, or ``None`` when it was absent.
    """

    location: str
    message: str
    error_type: str
    input: str | None = None

    def __str__(self) -> str:
        where = self.location or "(message)"
        shown = f" (got {self.input})" if self.input is not None else ""
        return f"{where}: {self.message}{shown}"


class ContractValidationError(TracktionError, ValueError):
    """A message failed validation against its contract.

    Attributes:
        message_type: The contract's type name (for example ``cue_generation``).
        errors: Every field error, in the order the validator found them.
    """

    def __init__(self, message_type: str, errors: tuple[FieldError, ...]) -> None:
        self.message_type = message_type
        self.errors = errors
        count = len(errors)
        lines = "\n".join(f"  {error}" for error in errors)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"invalid {message_type} message, {count} {noun}:\n{lines}")

    @property
    def locations(self) -> tuple[str, ...]:
        """The dotted locations of the field errors, in order."""
        return tuple(error.location for error in self.errors)

    @classmethod
    def from_pydantic(
        cls,
        message_type: str,
        exc: ValidationError,
        relocate: Callable[[Location], Location] | None = None,
    ) -> ContractValidationError:
        """Translate pydantic's error into the contract error tree.

        ``relocate`` maps pydantic's location to the field path, for unions whose variant
        tags pydantic inserts into locations.
        """
        errors = []
        for detail in exc.errors(include_url=False):
            loc = tuple(detail["loc"])
            location = ".".join(str(part) for part in (relocate(loc) if relocate else loc))
            missing = detail["type"] == "missing"
            shown = None if missing else _short_repr(detail.get("input"))
            errors.append(FieldError(location, detail["msg"], detail["type"], shown))
        return cls(message_type, tuple(errors))


class UnknownMessageTypeError(TracktionError, LookupError):
    """No contract matches the given type name or routing key."""


# Depth- and size-limited, so that hostile input (nested thousands deep) cannot make the
# error itself fail.
_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = _MAX_INPUT_REPR


def _short_repr(value: object) -> str:
    text = _REPR.repr(value)
    if len(text) > _MAX_INPUT_REPR:
        return text[: _MAX_INPUT_REPR - 3] + "..."
    return text
