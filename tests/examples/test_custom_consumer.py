"""examples/custom_consumer.py: its own queue receives every analysis.complete, on both buses."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from examples import custom_consumer
from tests.core.bus.conftest import delete_topology, isolated_topology
from tracktion.contracts import DEFAULT_TOPOLOGY, ExchangeRole
from tracktion.core.bus import InMemoryBus, open_bus

pytestmark = pytest.mark.anyio


def test_the_queue_is_bound_to_analysis_complete_only() -> None:
    topology = custom_consumer.consumer_topology(DEFAULT_TOPOLOGY, "mine")
    events = topology.exchange_for(ExchangeRole.EVENTS).name
    assert "mine" in topology.route(events, "analysis.complete")
    assert "mine" not in topology.route(events, "analysis.progress")
    assert topology.queue("mine").exclusive
    assert len(topology.queues) == len(DEFAULT_TOPOLOGY.queues) + 1
    with pytest.raises(ValueError, match="declared twice"):
        custom_consumer.consumer_topology(topology, "mine")


async def test_in_memory_every_sample_is_printed_in_order() -> None:
    lines: list[str] = []
    printed = await custom_consumer.run("memory://", emit=lines.append)
    samples = custom_consumer.sample_events()
    assert printed == len(samples) == len(lines)
    assert [line.split()[1:5] for line in lines] == [
        ["124.0", "BPM", "A", "minor"],
        ["174.0", "BPM", "F", "minor"],
        ["90.0", "BPM", "C", "major"],
    ]
    assert "A minor (8A)" in lines[0]
    assert lines[0].endswith("/music/house_loop_01.flac")


async def test_the_services_queues_still_get_their_copy() -> None:
    bus = InMemoryBus()
    await bus.declare()
    lines: list[str] = []
    subscription = await custom_consumer.start_consumer(bus, "mine", lines.append)
    [event] = custom_consumer.sample_events()[:1]
    await bus.publish(event)
    for _ in range(200):
        if lines:
            break
        await asyncio.sleep(0.01)
    assert lines == [custom_consumer.describe(event)]
    assert await bus.depth("catalog_queue") == 1  # untouched by the example
    await subscription.cancel()
    await bus.close()


def test_main_reports_an_unusable_bus(capsys: pytest.CaptureFixture[str]) -> None:
    assert custom_consumer.main(["nosuch://bus"]) == 2
    assert "unsupported message bus URL" in capsys.readouterr().err


@pytest.mark.integration
async def test_on_rabbitmq_it_prints_what_another_process_publishes(rabbitmq_url: str) -> None:
    topology = isolated_topology()
    publisher = await open_bus(rabbitmq_url, topology)
    consumer = await open_bus(rabbitmq_url, topology)
    queue = f"{topology.queues[0].name}.example.{uuid.uuid4().hex[:8]}"
    try:
        lines: list[str] = []
        subscription = await custom_consumer.start_consumer(consumer, queue, lines.append)
        events = custom_consumer.sample_events()
        for event in events:
            await publisher.publish(event)
        async with asyncio.timeout(10):
            while len(lines) < len(events):
                await asyncio.sleep(0.02)
        assert lines == [custom_consumer.describe(event) for event in events]
        await subscription.cancel(timeout=2.0)
    finally:
        await consumer.close()
        await publisher.close()
        await delete_topology(rabbitmq_url, topology)
