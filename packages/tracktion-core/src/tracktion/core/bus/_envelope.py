"""Turning a contract into the bytes and properties that travel (shared by every bus)."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime

from tracktion.contracts import Contract, Topology, spec_for_model

from ._port import HeaderValue, RawMessage

__all__ = ["PublishingMixin", "envelope_for"]


def envelope_for(
    topology: Topology,
    message: Contract,
    *,
    routing_key: str | None = None,
    priority: int | None = None,
    message_id: str | None = None,
    headers: Mapping[str, HeaderValue] | None = None,
) -> RawMessage:
    """The raw message for ``message``: its exchange, key, priority and ids from the registry.

    The ``message_id`` is the message's own (CUE messages have one), else a new UUID; it
    is the consumers' idempotency key, so a publisher retrying a send must reuse it.
    """
    spec = spec_for_model(type(message))
    if spec.exchange is None:
        raise ValueError(f"{spec.name} is a WebSocket message; it is not published on the bus")
    own_id = getattr(message, "message_id", None)
    correlation = getattr(message, "correlation_id", None)
    return RawMessage(
        body=message.to_json(),
        routing_key=routing_key or spec.routing_key_for(message),
        exchange=topology.exchange_for(spec.exchange).name,
        message_id=message_id or (str(own_id) if own_id is not None else str(uuid.uuid4())),
        correlation_id=str(correlation) if correlation is not None else None,
        message_type=spec.name,
        priority=priority if priority is not None else spec.priority_for(message),
        headers=dict(headers or {}),
        timestamp=datetime.now(UTC),
    )


class PublishingMixin:
    """``publish`` for every bus: the envelope from the registry, then ``publish_raw``."""

    topology: Topology

    @abstractmethod
    async def publish_raw(self, message: RawMessage) -> None:
        """Send bytes and properties as they are."""

    async def publish(
        self,
        message: Contract,
        *,
        routing_key: str | None = None,
        priority: int | None = None,
        message_id: str | None = None,
        headers: Mapping[str, HeaderValue] | None = None,
    ) -> str:
        """Publish a contract to its exchange; return its ``message_id`` once sent."""
        raw = envelope_for(
            self.topology,
            message,
            routing_key=routing_key,
            priority=priority,
            message_id=message_id,
            headers=headers,
        )
        await self.publish_raw(raw)
        return raw.message_id
