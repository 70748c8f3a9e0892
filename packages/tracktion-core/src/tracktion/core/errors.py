"""Errors of tracktion.core, under the one ``TracktionError`` root.

::

    TracktionError
     +-- ConfigurationError (also ValueError)     a URL or setting that names nothing usable
     +-- MissingExtraError (also ImportError)     an adapter's driver is not installed
     +-- BackendError                             a server failed or could not be reached
     |    +-- BackendUnavailableError             ... could not be reached (after retries)
     +-- HandlerError                             raised by message handlers to steer retries
          +-- TransientError                      retry later, with back-off
          +-- PermanentError                      never retry: dead-letter at once

Adapters translate their driver's exceptions into these; driver exceptions do not leak.
"""

from __future__ import annotations

from tracktion.contracts import TracktionError

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigurationError",
    "HandlerError",
    "MissingExtraError",
    "PermanentError",
    "TransientError",
]


class ConfigurationError(TracktionError, ValueError):
    """A URL or setting is malformed or names an unsupported backend."""


class MissingExtraError(TracktionError, ImportError):
    """An adapter needs a driver that is not installed; the message names the extra (of
    ``distribution``: ``tracktion-core`` unless another package's extra provides it)."""

    def __init__(
        self, module: str, extra: str, purpose: str, *, distribution: str = "tracktion-core"
    ) -> None:
        self.module = module
        self.extra = extra
        self.distribution = distribution
        super().__init__(
            f"{purpose} needs the '{module}' package: pip install '{distribution}[{extra}]'",
            name=module,
        )


class BackendError(TracktionError):
    """A backend server failed an operation."""


class BackendUnavailableError(BackendError, ConnectionError):
    """A backend server could not be reached, even after retrying."""


class HandlerError(TracktionError):
    """Base of the errors a message handler raises to tell the bus what to do."""


class TransientError(HandlerError):
    """The handler may succeed later (a timeout, a lock): retry with back-off."""


class PermanentError(HandlerError):
    """The message can never be handled (it refers to nothing that exists): dead-letter it."""
