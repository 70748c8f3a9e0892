"""Ports, embedded defaults and adapters of Tracktion.

Every external system sits behind a small protocol with an embedded implementation (the
default, no server needed) and an adapter for the distributed engine; one URL picks it:

=============  =======================  ==============================
port           embedded                 distributed
=============  =======================  ==============================
message bus    ``memory://``            ``amqp://...`` (RabbitMQ)
catalog store  ``sqlite+aiosqlite://``  ``postgresql+asyncpg://...``
cache          ``memory://``            ``redis://...``
graph          ``sql://``               ``neo4j://...``
=============  =======================  ==============================
"""

from importlib.metadata import version as _version

from .errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    HandlerError,
    MissingExtraError,
    PermanentError,
    TransientError,
)

__version__ = _version("tracktion-core")

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigurationError",
    "HandlerError",
    "MissingExtraError",
    "PermanentError",
    "TransientError",
    "__version__",
]
