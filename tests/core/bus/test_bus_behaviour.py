"""One behaviour suite for every MessageBus: the embedded bus and RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tracktion.contracts import (
    AnalysisCancellation,
    AnalysisRequest,
    Binding,
    Exchange,
    ExchangeRole,
    ExchangeType,
    FileLifecycleEvent,
    PingMessage,
    Topology,
)
from tracktion.core.bus import (
    ATTEMPTS,
    DEAD_REASON,
    LAST_ERROR,
    ORIGINAL_ROUTING_KEY,
    SOURCE_QUEUE,
    Delivery,
    MessageBus,
    RawMessage,
)
from tracktion.core.errors import PermanentError, TransientError

from .conftest import isolated_topology

pytestmark = pytest.mark.anyio

MakeBus = Callable[..., Awaitable[MessageBus]]


def q(topology: Topology, name: str) -> str:
    """The test topology's name of a canonical queue."""
    (found,) = [queue.name for queue in topology.work_queues() if queue.name.endswith("." + name)]
    return found


def analysis_request(path: str = "/music/a.mp3") -> AnalysisRequest:
    return AnalysisRequest(recording_id=uuid.uuid4(), file_path=path, correlation_id=uuid.uuid4())


def lifecycle(kind: str = "created", old_path: str | None = None) -> FileLifecycleEvent:
    return FileLifecycleEvent(
        old_path=old_path,
        correlation_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
        event_type=kind,  # type: ignore[arg-type]
        file_path="/music/x.flac",
        size_bytes=1,
        sha256_hash="ab" * 32,
        xxh128_hash="cd" * 16,
        file_type="flac",
        instance_id="w1",
        watched_directory="/music",
    )


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def depth_is(bus: MessageBus, queue: str, expected: int) -> None:
    async def check() -> bool:
        return await bus.depth(queue) == expected

    await eventually(check)


async def test_publish_and_consume_a_contract(make_bus: MakeBus) -> None:
    bus = await make_bus()
    queue = q(bus.topology, "analysis_queue")
    got: list[Delivery] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        got.append(delivery)
        done.set()

    sent = analysis_request()
    message_id = await bus.publish(sent)
    await bus.subscribe(queue, handler)
    await asyncio.wait_for(done.wait(), 10)

    (delivery,) = got
    assert delivery.message == sent
    assert delivery.message_id == message_id
    assert delivery.routing_key == "analysis.request"
    assert delivery.queue == queue
    assert delivery.attempt == 1
    assert delivery.correlation_id == str(sent.correlation_id)
    await depth_is(bus, queue, 0)


async def test_topic_routing_reaches_every_bound_queue(make_bus: MakeBus) -> None:
    bus = await make_bus()
    await bus.publish(lifecycle("moved", old_path="/music/old.flac"))
    await depth_is(bus, q(bus.topology, "cataloging.file.events"), 1)
    await depth_is(bus, q(bus.topology, "analysis.lifecycle.events"), 1)
    await depth_is(bus, q(bus.topology, "analysis_queue"), 0)


async def test_higher_priority_first_then_fifo(make_bus: MakeBus) -> None:
    bus = await make_bus()
    queue = q(bus.topology, "analysis_queue")
    paths = [f"/music/{n}.mp3" for n in range(4)]
    for path in paths:
        await bus.publish(analysis_request(path))  # priority 5 by the registry
    cancel = AnalysisCancellation(recording_id=uuid.uuid4(), correlation_id=uuid.uuid4())
    await bus.publish(cancel)  # priority 8
    await bus.publish(analysis_request("/music/low.mp3"), priority=1)
    await depth_is(bus, queue, 6)

    order: list[Any] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        order.append(delivery.message)
        if len(order) == 6:
            done.set()

    await bus.subscribe(queue, handler, prefetch=1)
    await asyncio.wait_for(done.wait(), 10)
    assert order[0] == cancel
    assert [m.file_path for m in order[1:5]] == paths
    assert order[5].file_path == "/music/low.mp3"


async def test_transient_failures_are_retried_with_attempts_and_reason(make_bus: MakeBus) -> None:
    bus = await make_bus(max_attempts=4)
    queue = q(bus.topology, "analysis_queue")
    seen: list[Delivery] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        seen.append(delivery)
        if delivery.attempt < 3:
            raise TransientError(f"database busy on attempt {delivery.attempt}")
        done.set()

    sent = analysis_request()
    await bus.publish(sent)
    await bus.subscribe(queue, handler)
    await asyncio.wait_for(done.wait(), 10)

    assert [d.attempt for d in seen] == [1, 2, 3]
    assert all(d.message == sent for d in seen)
    assert len({d.message_id for d in seen}) == 1
    last = seen[-1]
    assert last.routing_key == "analysis.request"
    assert last.headers[ATTEMPTS] == 2
    assert "database busy on attempt 2" in str(last.headers[LAST_ERROR])
    await depth_is(bus, queue + ".dlq", 0)


async def test_exhausted_message_is_dead_lettered_and_does_not_block(make_bus: MakeBus) -> None:
    bus = await make_bus(max_attempts=3)
    queue = q(bus.topology, "analysis_queue")
    handled: list[str] = []

    async def handler(delivery: Delivery) -> None:
        assert isinstance(delivery.message, AnalysisRequest)
        if delivery.message.file_path == "/music/poison.mp3":
            raise RuntimeError("decoder crashed")
        handled.append(delivery.message.file_path)

    await bus.publish(analysis_request("/music/poison.mp3"))
    for n in range(3):
        await bus.publish(analysis_request(f"/music/ok{n}.mp3"))
    await bus.subscribe(queue, handler, prefetch=1)

    await depth_is(bus, queue + ".dlq", 1)
    assert sorted(handled) == ["/music/ok0.mp3", "/music/ok1.mp3", "/music/ok2.mp3"]
    dead = await bus.fetch(queue + ".dlq")
    assert dead is not None
    assert dead.headers[DEAD_REASON] == "exhausted"
    assert dead.headers[ATTEMPTS] == 3
    assert dead.headers[SOURCE_QUEUE] == queue
    assert dead.headers[ORIGINAL_ROUTING_KEY] == "analysis.request"
    assert "RuntimeError: decoder crashed" in str(dead.headers[LAST_ERROR])
    assert AnalysisRequest.parse(dead.body).file_path == "/music/poison.mp3"


async def test_permanent_failure_is_dead_lettered_at_once(make_bus: MakeBus) -> None:
    bus = await make_bus(max_attempts=5)
    queue = q(bus.topology, "analysis_queue")
    attempts: list[int] = []

    async def handler(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise PermanentError("recording does not exist")

    await bus.publish(analysis_request())
    await bus.subscribe(queue, handler)
    await depth_is(bus, queue + ".dlq", 1)
    dead = await bus.fetch(queue + ".dlq")
    assert dead is not None
    assert attempts == [1]
    assert dead.headers[DEAD_REASON] == "permanent"
    assert "recording does not exist" in str(dead.headers[LAST_ERROR])


async def test_invalid_message_is_dead_lettered_and_consumer_survives(make_bus: MakeBus) -> None:
    bus = await make_bus()
    queue = q(bus.topology, "analysis_queue")
    events = bus.topology.exchange_for(bus.topology.exchanges[1].role).name
    handled: list[Delivery] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        handled.append(delivery)
        done.set()

    for body in (b"not json at all", b'{"recording_id": "uuid-string"}'):
        await bus.publish_raw(
            RawMessage(
                body=body,
                routing_key="analysis.request",
                exchange=events,
                message_id=str(uuid.uuid4()),
            )
        )
    await bus.subscribe(queue, handler)
    await depth_is(bus, queue + ".dlq", 2)
    good = analysis_request()
    await bus.publish(good)
    await asyncio.wait_for(done.wait(), 10)
    assert [d.message for d in handled] == [good]
    reasons = []
    while (dead := await bus.fetch(queue + ".dlq")) is not None:
        reasons.append((dead.headers[DEAD_REASON], str(dead.headers[LAST_ERROR])))
    assert [reason for reason, _ in reasons] == ["invalid", "invalid"]
    assert "Invalid JSON" in reasons[0][1]
    assert "recording_id" in reasons[1][1]


async def test_messages_expire_from_a_ttl_queue_into_its_dead_letter_target(
    make_bus: MakeBus,
) -> None:
    bus = await make_bus()
    queue = q(bus.topology, "rename_queue")
    (tier, _) = bus.topology.queue(queue).retry_queues
    await bus.publish_raw(
        RawMessage(
            body=b"{}",
            routing_key=tier,
            exchange="",
            message_id="m-1",
            headers={ORIGINAL_ROUTING_KEY: "analysis.complete"},
        )
    )
    # 40 ms in the back-off tier, then dead-lettered straight back to the work queue only.
    await depth_is(bus, queue, 1)
    assert await bus.depth(tier) == 0
    assert await bus.depth(q(bus.topology, "notification_queue")) == 0


async def test_cancelled_handler_returns_its_message_redelivered(make_bus: MakeBus) -> None:
    topology = isolated_topology()
    bus = await make_bus(topology)
    queue = q(topology, "analysis_queue")
    started = asyncio.Event()

    async def stuck(delivery: Delivery) -> None:
        started.set()
        await asyncio.sleep(3600)

    sent = analysis_request()
    await bus.publish(sent)
    subscription = await bus.subscribe(queue, stuck, prefetch=1)
    await asyncio.wait_for(started.wait(), 10)
    await subscription.cancel(timeout=0)

    again: list[Delivery] = []
    done = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        again.append(delivery)
        done.set()

    other = await make_bus(topology)
    await other.subscribe(queue, handler)
    await asyncio.wait_for(done.wait(), 10)
    assert again[0].message == sent
    assert again[0].redelivered is True


async def test_competing_consumers_share_the_queue(make_bus: MakeBus) -> None:
    topology = isolated_topology()
    first, second = await make_bus(topology), await make_bus(topology)
    queue = q(topology, "analysis_queue")
    by_consumer: dict[str, list[str]] = {"a": [], "b": []}
    total = 40
    done = asyncio.Event()

    def consumer(name: str) -> Callable[[Delivery], Awaitable[None]]:
        async def handler(delivery: Delivery) -> None:
            by_consumer[name].append(delivery.message_id)
            await asyncio.sleep(0.005)  # long enough for the other consumer to take a turn
            if sum(len(ids) for ids in by_consumer.values()) == total:
                done.set()

        return handler

    await first.subscribe(queue, consumer("a"), prefetch=2)
    await second.subscribe(queue, consumer("b"), prefetch=2)
    sent = {await first.publish(analysis_request(f"/music/{n}.mp3")) for n in range(total)}
    await asyncio.wait_for(done.wait(), 20)
    everything = by_consumer["a"] + by_consumer["b"]
    assert sorted(everything) == sorted(sent)
    assert by_consumer["a"]
    assert by_consumer["b"]


async def test_declare_is_idempotent_and_fetch_takes_one(make_bus: MakeBus) -> None:
    bus = await make_bus()
    await bus.declare()
    queue = q(bus.topology, "tracklist_queue")
    assert await bus.fetch(queue) is None
    assert await bus.depth(queue) == 0


async def test_websocket_messages_are_not_published(make_bus: MakeBus) -> None:
    bus = await make_bus()
    with pytest.raises(ValueError, match="WebSocket"):
        await bus.publish(PingMessage())


async def test_fanout_exchange_ignores_the_routing_key(make_bus: MakeBus) -> None:
    base = isolated_topology()
    fanout = Exchange(
        name=base.exchanges[0].name + ".fanout", role=ExchangeRole.EVENTS, type=ExchangeType.FANOUT
    )
    first, second = base.queues[0].name, base.queues[1].name
    topology = Topology(
        exchanges=(*base.exchanges, fanout),
        queues=base.queues,
        bindings=(
            *base.bindings,
            Binding(exchange=fanout.name, queue=first, routing_key="ignored"),
            Binding(exchange=fanout.name, queue=second, routing_key=""),
        ),
    )
    bus = await make_bus(topology)
    await bus.publish_raw(
        RawMessage(body=b"{}", routing_key="any.key", exchange=fanout.name, message_id="f-1")
    )
    await depth_is(bus, first, 1)
    await depth_is(bus, second, 1)
