"""The message bus port, its embedded implementation and the RabbitMQ adapter.

>>> import asyncio
>>> from tracktion.core.bus import open_bus
>>> async def main() -> int:
...     async with await open_bus("memory://") as bus:
...         return await bus.depth("analysis_queue")
>>> asyncio.run(main())
0
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tracktion.contracts import DEFAULT_TOPOLOGY, Topology

from ..errors import ConfigurationError
from ._consumer import (
    ATTEMPTS,
    DEAD_REASON,
    LAST_ERROR,
    ORIGINAL_EXCHANGE,
    ORIGINAL_ROUTING_KEY,
    SOURCE_QUEUE,
)
from ._port import Delivery, Handler, HeaderValue, MessageBus, RawMessage, RetryPolicy, Subscription
from .idempotency import TransactionalHandler, idempotent
from .memory import InMemoryBus

__all__ = [
    "ATTEMPTS",
    "DEAD_REASON",
    "LAST_ERROR",
    "ORIGINAL_EXCHANGE",
    "ORIGINAL_ROUTING_KEY",
    "SOURCE_QUEUE",
    "Delivery",
    "Handler",
    "HeaderValue",
    "InMemoryBus",
    "MessageBus",
    "RawMessage",
    "RetryPolicy",
    "Subscription",
    "TransactionalHandler",
    "idempotent",
    "open_bus",
]


async def open_bus(
    url: str,
    topology: Topology = DEFAULT_TOPOLOGY,
    *,
    retry: RetryPolicy | None = None,
    declare: bool = True,
) -> MessageBus:
    """Connect the bus that ``url`` names and (by default) declare the topology.

    ``memory://`` is the embedded bus; ``amqp://`` and ``amqps://`` are RabbitMQ (needs
    ``tracktion-core[rabbit]``).

    Raises:
        ConfigurationError: the URL names no supported bus.
        BackendUnavailableError: the broker cannot be reached.
    """
    scheme = urlsplit(url).scheme
    bus: MessageBus
    if scheme == "memory":
        bus = InMemoryBus(topology, retry=retry)
    elif scheme in ("amqp", "amqps"):
        from .rabbitmq import RabbitMQBus

        bus = await RabbitMQBus.connect(url, topology, retry=retry)
    else:
        raise ConfigurationError(
            f"unsupported message bus URL {url!r}: use memory:// or amqp://user:pass@host/vhost"
        )
    if declare:
        await bus.declare()
    return bus
