"""A bus per test, embedded or on the real RabbitMQ, on a topology no other test uses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tracktion.contracts import ExchangeNames, Topology, build_topology
from tracktion.core.bus import InMemoryBus, MessageBus, RetryPolicy
from tracktion.core.bus.rabbitmq import RabbitMQBus

# Short back-off tiers so that retries finish within a test.
RETRY_DELAYS_MS = (40, 80)


def isolated_topology(retry_delays_ms: tuple[int, ...] = RETRY_DELAYS_MS) -> Topology:
    tag = uuid.uuid4().hex[:10]
    names = ExchangeNames(
        file_events=f"t{tag}.file_events",
        events=f"t{tag}.events",
        cue=f"t{tag}.cue",
        rename=f"t{tag}.rename",
        dead_letter=f"t{tag}.dlx",
    )
    return build_topology(names, retry_delays_ms=retry_delays_ms, queue_prefix=f"t{tag}.")


async def delete_topology(url: str, topology: Topology) -> None:
    import aio_pika

    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for queue in topology.queues:
            await channel.queue_delete(queue.name)
        for exchange in topology.exchanges:
            await channel.exchange_delete(exchange.name)


BusFactory = Callable[..., Any]


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_bus(
    bus_kind: str, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[..., Any]]:
    """``await make_bus(topology=None, max_attempts=3)``: a declared bus, closed afterwards.

    Two calls with the same topology give two clients of one broker (for RabbitMQ) or,
    for the embedded bus, the same bus: it lives in one process by definition.
    """
    url = request.getfixturevalue("rabbitmq_url") if bus_kind == "rabbitmq" else "memory://"
    opened: list[MessageBus] = []
    topologies: list[Topology] = []
    shared: dict[str, MessageBus] = {}

    async def factory(topology: Topology | None = None, max_attempts: int = 3) -> MessageBus:
        topology = topology or isolated_topology()
        retry = RetryPolicy(max_attempts=max_attempts)
        bus: MessageBus
        if bus_kind == "memory":
            key = str(id(topology))
            if key in shared:
                return shared[key]
            bus = InMemoryBus(topology, retry=retry)
            shared[key] = bus
        else:
            bus = await RabbitMQBus.connect(url, topology, retry=retry, publish_timeout=10)
            topologies.append(topology)
        await bus.declare()
        opened.append(bus)
        return bus

    yield factory
    for bus in opened:
        await bus.close()
    for topology in topologies:
        await delete_topology(url, topology)
