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

The notifier (:mod:`tracktion.core.notify`) is the one port whose channels add up rather
than one URL choosing: the log by default, plus Discord webhooks and SMTP email when
configured, all behind one ``MultiNotifier``.
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
