"""The RabbitMQ message bus on aio-pika (``amqp://``; needs ``tracktion-core[rabbit]``).

- A robust connection: after a connection loss aio-pika reconnects, re-declares what was
  declared through its channels and resumes consuming; publishing waits for it.
- Publisher confirms and persistent messages: :meth:`RabbitMQBus.publish` returns once the
  broker has the message, or raises. A publish interrupted by a connection loss is retried
  with the same ``message_id`` until ``publish_timeout``, so consumers (which deduplicate
  by ``message_id``) see it at least once and act on it once.
- Manual acknowledgements: a message is acknowledged only after its handler returned (its
  effect committed), or after it was safely republished to a back-off or dead-letter
  queue. Until then a connection loss returns it to its queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit, urlunsplit

from tracktion.contracts import DEFAULT_EXCHANGE, DEFAULT_TOPOLOGY, Queue, Topology

from .._extras import require
from ..errors import BackendError, BackendUnavailableError
from ._consumer import Action, handle
from ._envelope import PublishingMixin
from ._port import Handler, HeaderValue, RawMessage, RetryPolicy

if TYPE_CHECKING:
    from aio_pika.abc import (
        AbstractChannel,
        AbstractExchange,
        AbstractIncomingMessage,
        AbstractQueue,
        AbstractRobustConnection,
    )

__all__ = ["RabbitMQBus", "TopologyConflictError"]

log = logging.getLogger("tracktion.bus")

_PERSISTENT = 2


class TopologyConflictError(BackendError):
    """The broker holds an exchange or queue of the same name with other arguments."""


def _redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _aio_pika() -> Any:
    return require("aio_pika", "rabbit", "The RabbitMQ message bus")


class _RabbitSubscription:
    """One consumer on its own channel, with ``prefetch`` unacknowledged messages at most."""

    def __init__(self, bus: RabbitMQBus, queue: Queue, channel: AbstractChannel) -> None:
        self.queue = queue.name
        self._bus = bus
        self._spec = queue
        self._channel = channel
        self._source: AbstractQueue | None = None
        self._tag: str | None = None
        self._handler: Handler | None = None
        self._inflight: set[asyncio.Task[Any]] = set()

    async def start(self, handler: Handler, prefetch: int) -> None:
        self._handler = handler
        await self._channel.set_qos(prefetch_count=prefetch)
        self._source = await self._channel.get_queue(self.queue, ensure=True)
        self._tag = await self._source.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        assert self._handler is not None
        raw = _raw(message)
        try:
            outcome = await handle(raw, self._spec, self._handler, self._bus.retry)
        except asyncio.CancelledError:
            await _settle(message.nack(requeue=True))
            raise
        if outcome.action is not Action.ACK and outcome.exchange is not None:
            try:
                await self._bus._publish(
                    dataclasses.replace(
                        raw,
                        exchange=outcome.exchange,
                        routing_key=outcome.routing_key or "",
                        headers=outcome.headers or {},
                    )
                )
            except BackendError:
                log.exception("could not move %s from %s; requeued", raw.message_id, self.queue)
                await _settle(message.nack(requeue=True))
                return
        await _settle(message.ack())

    async def cancel(self, timeout: float | None = None) -> None:
        """Stop consuming; let handlers in progress finish (up to ``timeout`` s), then close.

        Unacknowledged messages return to the queue when the channel closes.
        """
        if self._source is not None and self._tag is not None:
            try:
                await self._source.cancel(self._tag)
            except Exception:  # the channel may already be gone; closing still follows
                log.debug("cancelling consumer of %s failed", self.queue, exc_info=True)
        if self._inflight:
            _, pending = await asyncio.wait(self._inflight, timeout=timeout)
            for task in pending:
                task.cancel()
        if not self._channel.is_closed:
            await self._channel.close()
        self._bus._forget(self)


async def _settle(acknowledgement: Any) -> None:
    # After a connection loss the delivery tag is void: the broker has requeued the
    # message already, so there is nothing left to acknowledge.
    try:
        await acknowledgement
    except Exception:
        log.debug("acknowledgement lost with the connection; the broker redelivers", exc_info=True)


def _header_value(value: Any) -> HeaderValue | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return None  # nested tables such as x-death: RabbitMQ's own bookkeeping


def _raw(message: AbstractIncomingMessage) -> RawMessage:
    headers = {
        key: converted
        for key, value in (message.headers or {}).items()
        if (converted := _header_value(value)) is not None
    }
    # A message without an id (from a foreign publisher) is identified by its content,
    # so that its redeliveries still deduplicate.
    message_id = message.message_id or "sha256:" + hashlib.sha256(message.body).hexdigest()
    timestamp = message.timestamp if isinstance(message.timestamp, datetime) else None
    return RawMessage(
        body=message.body,
        routing_key=message.routing_key or "",
        exchange=message.exchange or DEFAULT_EXCHANGE,
        message_id=message_id,
        correlation_id=message.correlation_id,
        message_type=message.type,
        priority=message.priority,
        headers=headers,
        timestamp=timestamp,
        redelivered=bool(message.redelivered),
    )


class RabbitMQBus(PublishingMixin):
    """The distributed :class:`~tracktion.core.bus.MessageBus` on RabbitMQ."""

    def __init__(
        self,
        connection: AbstractRobustConnection,
        channel: AbstractChannel,
        topology: Topology,
        *,
        retry: RetryPolicy | None,
        publish_timeout: float,
        url: str,
    ) -> None:
        self.topology = topology
        self.retry = retry or RetryPolicy()
        self.publish_timeout = publish_timeout
        self._connection = connection
        self._channel = channel
        self._url = url
        self._exchanges: dict[str, AbstractExchange] = {}
        self._subscriptions: list[_RabbitSubscription] = []
        self._pika = _aio_pika()

    @classmethod
    async def connect(
        cls,
        url: str,
        topology: Topology = DEFAULT_TOPOLOGY,
        *,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 10.0,
        publish_timeout: float = 30.0,
        reconnect_interval: float = 1.0,
        name: str = "tracktion",
    ) -> RabbitMQBus:
        """Open a robust connection to ``url`` and a confirming channel.

        After a connection loss, reconnection is attempted every ``reconnect_interval``
        seconds; ``name`` is the connection name the broker shows (``connection_name``).

        Raises:
            BackendUnavailableError: the broker cannot be reached within ``connect_timeout``.
            MissingExtraError: aio-pika is not installed.
        """
        aio_pika = _aio_pika()
        try:
            connection = await aio_pika.connect_robust(
                url,
                timeout=connect_timeout,
                reconnect_interval=reconnect_interval,
                client_properties={"connection_name": name},
            )
            channel = await connection.channel(publisher_confirms=True)
        except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as exc:
            raise BackendUnavailableError(
                f"cannot reach RabbitMQ at {_redact(url)}: {exc or type(exc).__name__}"
            ) from exc
        return cls(
            connection,
            channel,
            topology,
            retry=retry,
            publish_timeout=publish_timeout,
            url=url,
        )

    async def declare(self) -> None:
        """Declare the topology; :class:`TopologyConflictError` on a mismatch.

        Declarations go through a robust channel that stays open, so they are repeated
        after a reconnection.
        """
        aio_pika = _aio_pika()
        channel = await self._connection.channel()
        try:
            exchanges = {
                exchange.name: await channel.declare_exchange(
                    exchange.name,
                    type=exchange.type.value,
                    durable=exchange.durable,
                    auto_delete=exchange.auto_delete,
                )
                for exchange in self.topology.exchanges
            }
            queues = {
                queue.name: await channel.declare_queue(
                    queue.name,
                    durable=queue.durable,
                    exclusive=queue.exclusive,
                    auto_delete=queue.auto_delete,
                    arguments=queue.arguments or None,
                )
                for queue in self.topology.queues
            }
            for binding in self.topology.bindings:
                await queues[binding.queue].bind(
                    exchanges[binding.exchange], routing_key=binding.routing_key
                )
        except aio_pika.exceptions.ChannelPreconditionFailed as exc:
            raise TopologyConflictError(
                f"RabbitMQ refused the topology: {exc}. An existing exchange or queue has "
                "other arguments; delete it or use other names."
            ) from exc
        except (OSError, aio_pika.exceptions.AMQPError) as exc:
            raise BackendError(f"declaring the topology failed: {exc}") from exc

    async def publish_raw(self, message: RawMessage) -> None:
        await self._publish(message)

    async def _publish(self, raw: RawMessage) -> None:
        aio_pika = self._pika
        message = aio_pika.Message(
            raw.body,
            headers=dict(raw.headers),
            content_type="application/json",
            delivery_mode=_PERSISTENT,
            priority=raw.priority,
            correlation_id=raw.correlation_id,
            message_id=raw.message_id,
            timestamp=raw.timestamp,
            type=raw.message_type,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.publish_timeout
        delay = 0.05
        while True:
            try:
                exchange = await self._exchange(raw.exchange)
                # asyncio.timeout rather than publish(timeout=...), which spawns a task each.
                async with asyncio.timeout(self.publish_timeout):
                    await exchange.publish(message, routing_key=raw.routing_key)
                return
            except aio_pika.exceptions.DeliveryError as exc:
                raise BackendError(f"RabbitMQ refused {raw.message_id}: {exc}") from exc
            except (OSError, TimeoutError, aio_pika.exceptions.AMQPError, RuntimeError) as exc:
                # Connection or channel lost: the robust connection is reconnecting.
                if loop.time() + delay > deadline:
                    raise BackendUnavailableError(
                        f"RabbitMQ at {_redact(self._url)} did not confirm {raw.message_id} "
                        f"within {self.publish_timeout} s: {exc or type(exc).__name__}"
                    ) from exc
                log.info("publish of %s interrupted (%s); retrying", raw.message_id, exc)
                self._exchanges.clear()
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 2.0)

    async def _exchange(self, name: str) -> AbstractExchange:
        if name == DEFAULT_EXCHANGE:
            return self._channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await self._channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def subscribe(
        self, queue: str, handler: Handler, *, prefetch: int = 16
    ) -> _RabbitSubscription:
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, not {prefetch}")
        try:
            spec = self.topology.queue(queue)
        except KeyError:
            raise BackendError(f"queue {queue!r} is not in the topology") from None
        channel = await self._connection.channel(publisher_confirms=True)
        subscription = _RabbitSubscription(self, spec, channel)
        await subscription.start(handler, prefetch)
        self._subscriptions.append(subscription)
        return subscription

    async def depth(self, queue: str) -> int:
        aio_pika = _aio_pika()
        channel = await self._connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True, robust=False)
            result = declared.declaration_result
            return int(result.message_count or 0)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            raise BackendError(f"queue {queue!r} is not declared") from None
        finally:
            if not channel.is_closed:
                await channel.close()

    async def fetch(self, queue: str) -> RawMessage | None:
        aio_pika = _aio_pika()
        channel = await self._connection.channel()
        try:
            source = await channel.get_queue(queue, ensure=True)
            message = await source.get(no_ack=True, fail=False)
            return None if message is None else _raw(message)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            raise BackendError(f"queue {queue!r} is not declared") from None
        finally:
            if not channel.is_closed:
                await channel.close()

    async def close(self) -> None:
        for subscription in list(self._subscriptions):
            await subscription.cancel()
        if not self._connection.is_closed:
            await self._connection.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _forget(self, subscription: _RabbitSubscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
