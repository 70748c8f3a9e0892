"""The embedded message bus: RabbitMQ's routing and delivery rules inside one process.

It is the default, not a test double: the reference services run on it in one process
(``tracktion up``). Exchanges route as RabbitMQ's do (direct, topic, fanout, and the
default exchange), queues honour priorities, per-queue TTL and dead-lettering, handlers
acknowledge manually, and a message taken by a handler that is cancelled goes back to
its queue, marked redelivered. Messages live in memory: a process restart loses those
not yet handled (the distributed deployment uses RabbitMQ for durability).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Self

from tracktion.contracts import DEFAULT_EXCHANGE, DEFAULT_TOPOLOGY, Queue, Topology

from ..errors import BackendError
from ._consumer import Action, handle
from ._envelope import PublishingMixin
from ._port import Handler, RawMessage, RetryPolicy

__all__ = ["InMemoryBus"]

log = logging.getLogger("tracktion.bus")


@dataclass(eq=False)
class _Entry:
    raw: RawMessage
    expires_at: float | None
    taken: bool = False


@dataclass(eq=False)
class _MemoryQueue:
    """One queue: a priority heap, FIFO within a priority, with TTL expiry."""

    spec: Queue
    bus: InMemoryBus
    _heap: list[tuple[int, int, _Entry]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _front: itertools.count[int] = field(default_factory=lambda: itertools.count(-1, -1))
    _expiring: deque[_Entry] = field(default_factory=deque)
    _getters: deque[asyncio.Future[None]] = field(default_factory=deque)
    _timer: asyncio.TimerHandle | None = None
    _size: int = 0

    def put(self, raw: RawMessage, *, requeue: bool = False) -> None:
        loop = asyncio.get_running_loop()
        ttl = self.spec.message_ttl_ms
        # A requeued message keeps its place at the front and no longer expires.
        expires = None if requeue or ttl is None else loop.time() + ttl / 1000
        entry = _Entry(raw, expires)
        priority = min(raw.priority or 0, self.spec.max_priority) if self.spec.max_priority else 0
        order = next(self._front) if requeue else next(self._order)
        heapq.heappush(self._heap, (-priority, order, entry))
        self._size += 1
        if expires is not None:
            self._expiring.append(entry)
            self._schedule_expiry()
        self._wake_one()

    def take_nowait(self) -> RawMessage | None:
        while self._heap:
            _, _, entry = heapq.heappop(self._heap)
            if not entry.taken:
                entry.taken = True
                self._size -= 1
                return entry.raw
        return None

    async def take(self) -> RawMessage:
        loop = asyncio.get_running_loop()
        while (raw := self.take_nowait()) is None:
            waiter: asyncio.Future[None] = loop.create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                with contextlib.suppress(ValueError):
                    self._getters.remove(waiter)
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # pass on the wake-up this getter will not use
                raise
        return raw

    def depth(self) -> int:
        return self._size

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _schedule_expiry(self) -> None:
        if self._timer is None and self._expiring:
            head = self._expiring[0].expires_at
            assert head is not None
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(head, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        while self._expiring and (self._expiring[0].expires_at or 0.0) <= now:
            entry = self._expiring.popleft()
            if entry.taken:
                continue
            entry.taken = True
            self._size -= 1
            letter = self.spec.dead_letter
            if letter is not None:
                # As RabbitMQ: dead-lettered with the queue's dead-letter routing key.
                self.bus._route(
                    dataclasses.replace(
                        entry.raw, exchange=letter.exchange, routing_key=letter.routing_key
                    )
                )
        self._schedule_expiry()


class _MemorySubscription:
    """``prefetch`` workers taking messages from one queue."""

    def __init__(
        self, bus: InMemoryBus, queue: _MemoryQueue, handler: Handler, prefetch: int
    ) -> None:
        self.queue = queue.spec.name
        self._bus = bus
        self._source = queue
        self._handler = handler
        self._stopping = False
        self._busy: set[asyncio.Task[None]] = set()
        self._workers = [
            asyncio.create_task(self._work(), name=f"consume {self.queue} #{n}")
            for n in range(prefetch)
        ]

    async def _work(self) -> None:
        while not self._stopping:
            raw = await self._source.take()
            task = asyncio.current_task()
            assert task is not None
            self._busy.add(task)
            try:
                outcome = await handle(raw, self._source.spec, self._handler, self._bus.retry)
            except asyncio.CancelledError:
                self._source.put(dataclasses.replace(raw, redelivered=True), requeue=True)
                raise
            finally:
                self._busy.discard(task)
            if outcome.action is not Action.ACK and outcome.exchange is not None:
                self._bus._route(
                    dataclasses.replace(
                        raw,
                        exchange=outcome.exchange,
                        routing_key=outcome.routing_key or "",
                        headers=outcome.headers or {},
                        redelivered=False,
                    )
                )

    async def cancel(self, timeout: float | None = None) -> None:
        """Stop taking messages; let handlers in progress finish (up to ``timeout`` s).

        A handler still running after the timeout is cancelled and its message requeued.
        """
        self._stopping = True
        for worker in self._workers:
            if worker not in self._busy:
                worker.cancel()
        _, pending = await asyncio.wait(self._workers, timeout=timeout)
        for worker in pending:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for worker in self._workers:
            if not worker.cancelled() and worker.exception() is not None:
                log.error("consumer of %s failed", self.queue, exc_info=worker.exception())
        self._bus._forget(self)


class InMemoryBus(PublishingMixin):
    """The embedded :class:`~tracktion.core.bus.MessageBus` (``memory://``)."""

    def __init__(
        self, topology: Topology = DEFAULT_TOPOLOGY, *, retry: RetryPolicy | None = None
    ) -> None:
        self.topology = topology
        self.retry = retry or RetryPolicy()
        self._queues: dict[str, _MemoryQueue] = {}
        self._exchanges: set[str] = set()
        self._subscriptions: list[_MemorySubscription] = []

    async def declare(self) -> None:
        self._exchanges.update(exchange.name for exchange in self.topology.exchanges)
        for queue in self.topology.queues:
            self._queues.setdefault(queue.name, _MemoryQueue(queue, self))

    async def publish_raw(self, message: RawMessage) -> None:
        self._route(message)

    async def subscribe(
        self, queue: str, handler: Handler, *, prefetch: int = 16
    ) -> _MemorySubscription:
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, not {prefetch}")
        subscription = _MemorySubscription(self, self._queue(queue), handler, prefetch)
        self._subscriptions.append(subscription)
        return subscription

    async def depth(self, queue: str) -> int:
        return self._queue(queue).depth()

    async def fetch(self, queue: str) -> RawMessage | None:
        return self._queue(queue).take_nowait()

    async def close(self) -> None:
        for subscription in list(self._subscriptions):
            await subscription.cancel()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _queue(self, name: str) -> _MemoryQueue:
        try:
            return self._queues[name]
        except KeyError:
            raise BackendError(f"queue {name!r} is not declared") from None

    def _route(self, raw: RawMessage) -> None:
        if raw.exchange != DEFAULT_EXCHANGE and raw.exchange not in self._exchanges:
            raise BackendError(f"exchange {raw.exchange!r} is not declared")
        for name in self.topology.route(raw.exchange, raw.routing_key):
            if name in self._queues:
                self._queues[name].put(raw)

    def _forget(self, subscription: _MemorySubscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)
