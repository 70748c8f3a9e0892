"""The message bus port: what every implementation offers, and what handlers receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Self

from pydantic import BaseModel

from tracktion.contracts import Contract, Topology

__all__ = [
    "Delivery",
    "Handler",
    "HeaderValue",
    "MessageBus",
    "RawMessage",
    "RetryPolicy",
    "Subscription",
]

HeaderValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message as it sits in a queue: bytes and AMQP properties."""

    body: bytes
    routing_key: str
    exchange: str
    message_id: str
    correlation_id: str | None = None
    message_type: str | None = None
    """The contract's type name (AMQP ``type`` property), when the publisher set it."""
    priority: int | None = None
    headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    timestamp: datetime | None = None
    redelivered: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """A validated message handed to a handler.

    Attributes:
        message: The contract, already validated.
        queue: The queue it was consumed from.
        routing_key: The key it was originally published with (also after retries).
        message_id: Stable across redeliveries and retries: the idempotency key.
        attempt: 1 on the first delivery, n on the n-th.
        redelivered: The broker delivered it before without an acknowledgement.
        headers: The AMQP headers, including the bus's ``x-tracktion-*`` ones.
    """

    message: BaseModel
    queue: str
    routing_key: str
    message_id: str
    correlation_id: str | None
    attempt: int
    redelivered: bool
    headers: Mapping[str, HeaderValue]


Handler = Callable[[Delivery], Awaitable[None]]
"""Handles one delivery. Returning acknowledges it; raising ``PermanentError``
dead-letters it at once; raising anything else retries it with back-off."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a failing message is tried before it is dead-lettered.

    ``max_attempts`` counts every delivery, the first included. The delays themselves are
    the back-off tiers of the topology (``retry_queues`` of each work queue): the n-th
    failure waits in tier ``min(n, tiers) - 1``.
    """

    max_attempts: int = 5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")


class Subscription(Protocol):
    """A running consumer of one queue."""

    queue: str

    async def cancel(self, timeout: float | None = None) -> None:
        """Stop taking messages; let the handlers in progress finish.

        A handler still running after ``timeout`` seconds is cancelled and its message
        goes back to the queue, marked redelivered.
        """
        ...


class MessageBus(Protocol):
    """Publishes contracts and runs handlers on queues, with retries and dead-lettering.

    Implementations: :class:`~tracktion.core.bus.memory.InMemoryBus` (embedded) and
    :class:`~tracktion.core.bus.rabbitmq.RabbitMQBus`. Both follow RabbitMQ's routing rules
    and the same retry semantics; one behaviour suite runs against both.
    """

    topology: Topology

    async def declare(self) -> None:
        """Declare every exchange, queue and binding of the topology (idempotent)."""
        ...

    async def publish(
        self,
        message: Contract,
        *,
        routing_key: str | None = None,
        priority: int | None = None,
        message_id: str | None = None,
        headers: Mapping[str, HeaderValue] | None = None,
    ) -> str:
        """Publish a contract to its exchange; return its ``message_id`` once confirmed.

        The exchange, the routing key and the priority come from the registry unless
        given. Raises ``BackendError`` when the broker does not confirm.
        """
        ...

    async def publish_raw(self, message: RawMessage) -> None:
        """Publish bytes as they are (replaying dead letters, tools, tests)."""
        ...

    async def subscribe(self, queue: str, handler: Handler, *, prefetch: int = 16) -> Subscription:
        """Run ``handler`` on every message of ``queue``, up to ``prefetch`` at a time."""
        ...

    async def depth(self, queue: str) -> int:
        """How many messages wait in ``queue`` (not counting those being handled)."""
        ...

    async def fetch(self, queue: str) -> RawMessage | None:
        """Take one message off ``queue`` without a handler (inspecting a DLQ)."""
        ...

    async def close(self) -> None:
        """Stop every subscription and release the connection."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...
