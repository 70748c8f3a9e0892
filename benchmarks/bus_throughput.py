"""Message bus throughput: publish-with-confirm and end-to-end, embedded and RabbitMQ.

    python benchmarks/bus_throughput.py [--messages 5000] [--url amqp://...] [--json]

Cases, each on the same serialized ``analysis.request`` bytes:

- ``raw aio-pika publish`` (floor): ``exchange.publish`` of the bytes on a confirming
  channel, what any RabbitMQ client must at least pay;
- ``bus.publish``: the bus's publish (registry lookup, serialization, confirm);
- ``end to end``: publish N messages and wait until a subscribed handler has received all
  of them (decode, validation, acknowledgement included).

Each is run one message at a time (``sequential``: every publish awaits its confirm) and
with 100 publishes in flight (``pipelined``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial

import aio_pika

from tracktion.contracts import AnalysisRequest, ExchangeNames, Topology, build_topology
from tracktion.core.bus import Delivery, InMemoryBus, MessageBus
from tracktion.core.bus.rabbitmq import RabbitMQBus

IN_FLIGHT = 100


@dataclass
class Result:
    bus: str
    case: str
    mode: str
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def topology() -> Topology:
    tag = f"bench{uuid.uuid4().hex[:8]}"
    names = ExchangeNames(
        file_events=f"{tag}.file_events",
        events=f"{tag}.events",
        cue=f"{tag}.cue",
        rename=f"{tag}.rename",
        dead_letter=f"{tag}.dlx",
    )
    return build_topology(names, queue_prefix=f"{tag}.")


def messages(count: int) -> list[AnalysisRequest]:
    return [
        AnalysisRequest(
            recording_id=uuid.uuid4(), file_path=f"/music/{n}.mp3", correlation_id=uuid.uuid4()
        )
        for n in range(count)
    ]


async def run(calls: Sequence[Callable[[], Awaitable[object]]], pipelined: bool) -> float:
    start = time.perf_counter()
    if pipelined:
        for first in range(0, len(calls), IN_FLIGHT):
            await asyncio.gather(*(call() for call in calls[first : first + IN_FLIGHT]))
    else:
        for call in calls:
            await call()
    return time.perf_counter() - start


def counter(count: int, done: asyncio.Event) -> Callable[[Delivery], Awaitable[None]]:
    """A handler that sets ``done`` once it has received ``count`` messages."""
    received = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    return handler


async def bus_cases(name: str, bus: MessageBus, count: int) -> list[Result]:
    queue = next(q.name for q in bus.topology.work_queues() if q.name.endswith("analysis_queue"))
    results = []
    for mode in ("sequential", "pipelined"):
        batch = messages(count)
        seconds = await run([partial(bus.publish, m) for m in batch], mode == "pipelined")
        results.append(Result(name, "bus.publish", mode, count, seconds))
        while await bus.fetch(queue) is not None:  # drain, unmeasured
            pass

        done = asyncio.Event()
        subscription = await bus.subscribe(queue, counter(count, done), prefetch=IN_FLIGHT)
        batch = messages(count)
        start = time.perf_counter()
        await run([partial(bus.publish, m) for m in batch], mode == "pipelined")
        await done.wait()
        results.append(Result(name, "end to end", mode, count, time.perf_counter() - start))
        await subscription.cancel()
    return results


async def raw_floor(url: str, bench: Topology, count: int) -> list[Result]:
    """Persistent, confirmed publishes of the same bytes, routed as the bus routes them."""
    body = messages(1)[0].to_json()
    queue_name = next(q.name for q in bench.work_queues() if q.name.endswith("analysis_queue"))
    events = next(e.name for e in bench.exchanges if e.name.endswith(".events"))
    connection = await aio_pika.connect(url)
    results = []
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(events)
        queue = await channel.get_queue(queue_name)
        for mode in ("sequential", "pipelined"):
            calls = [
                lambda: exchange.publish(
                    aio_pika.Message(body, delivery_mode=2, priority=5),
                    routing_key="analysis.request",
                )
                for _ in range(count)
            ]
            seconds = await run(calls, mode == "pipelined")
            results.append(Result("rabbitmq", "raw aio-pika publish (floor)", mode, count, seconds))
            await queue.purge()
    return results


async def main(count: int, url: str | None) -> list[Result]:
    results: list[Result] = []
    memory = InMemoryBus(topology())
    await memory.declare()
    results += await bus_cases("memory", memory, count)
    await memory.close()
    if url:
        bench = topology()
        rabbit = await RabbitMQBus.connect(url, bench)
        await rabbit.declare()
        try:
            results += await raw_floor(url, bench, count)
            results += await bus_cases("rabbitmq", rabbit, count)
        finally:
            await rabbit.close()
            connection = await aio_pika.connect(url)
            async with connection:
                channel = await connection.channel()
                for queue in bench.queues:
                    await channel.queue_delete(queue.name)
                for exchange in bench.exchanges:
                    await channel.exchange_delete(exchange.name)
    return results


def report(results: list[Result]) -> None:
    floors = {r.mode: r.rate for r in results if r.case.startswith("raw")}
    print(f"{'bus':9} {'case':30} {'mode':10} {'msg/s':>9} {'vs floor':>9}")
    print("-" * 71)
    for r in results:
        floor = floors.get(r.mode)
        ratio = f"{r.rate / floor:8.2f}x" if floor and r.bus == "rabbitmq" else ""
        print(f"{r.bus:9} {r.case:30} {r.mode:10} {r.rate:9,.0f} {ratio:>9}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--no-rabbitmq", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.messages, None if args.no_rabbitmq else args.url))
    if args.json:
        json.dump([asdict(r) | {"rate": r.rate} for r in outcome], sys.stdout, indent=2)
        print()
    else:
        report(outcome)
