"""A consumer of your own: print the BPM and key of every recording as its analysis completes.

    python examples/custom_consumer.py                                   # embedded bus, a demo
    python examples/custom_consumer.py amqp://guest:guest@127.0.0.1:5672/  # a running system

A consumer gets a queue of its own, so that it receives its own copy of every
``analysis.complete`` event without taking any from the services' queues. This script adds
that queue to the messaging topology (bound on the events exchange to
``analysis.complete``), declares it and subscribes to it. The queue is private to this
process (exclusive, deleted when the script stops): events published while no consumer
runs are not kept for it.

On RabbitMQ it prints what the running services publish until Ctrl-C (or ``--seconds``).
On the embedded bus (``memory://``) nothing else can publish into this process, so the
script publishes a few sample events itself, prints them, and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from tracktion.contracts import (
    DEFAULT_TOPOLOGY,
    AnalysisCompleteEvent,
    AnalysisResults,
    Binding,
    ExchangeRole,
    Queue,
    Topology,
    TracktionError,
)
from tracktion.core.bus import Delivery, MessageBus, Subscription, open_bus

__all__ = [
    "ROUTING_KEY",
    "consumer_topology",
    "describe",
    "main",
    "run",
    "sample_events",
    "start_consumer",
]

ROUTING_KEY = "analysis.complete"
"""The events-exchange routing key the consumer's queue is bound to."""


def consumer_topology(topology: Topology, queue: str) -> Topology:
    """``topology`` plus ``queue``: private to one connection, bound to ``analysis.complete``.

    Raises ``ValueError`` when ``topology`` already declares a queue of that name.
    """
    events = topology.exchange_for(ExchangeRole.EVENTS).name
    declared = Queue(
        name=queue,
        consumer="example",
        durable=False,
        exclusive=True,
        auto_delete=True,
        description="examples/custom_consumer.py: BPM and key of every analyzed recording.",
    )
    return Topology(
        exchanges=topology.exchanges,
        queues=(*topology.queues, declared),
        bindings=(
            *topology.bindings,
            Binding(exchange=events, queue=queue, routing_key=ROUTING_KEY),
        ),
    )


def describe(event: AnalysisCompleteEvent) -> str:
    """One line for an analyzed recording: its id, file, tempo and key."""
    results = event.results
    bpm = "-" if results.bpm is None else f"{results.bpm:.1f} BPM"
    key = results.key or "-"
    if results.camelot is not None:
        key += f" ({results.camelot})"
    return f"{event.recording_id}  {bpm:>10}  {key:<16}  {event.file_path}"


async def start_consumer(
    bus: MessageBus, queue: str, emit: Callable[[str], None] = print
) -> Subscription:
    """Add ``queue`` to the bus's topology, declare it, and consume it, calling ``emit``
    with :func:`describe`'s line for every ``analysis.complete`` event.

    Raises ``BackendError`` when the broker refuses the queue.
    """
    bus.topology = consumer_topology(bus.topology, queue)
    await bus.declare()

    async def handle(delivery: Delivery) -> None:
        if isinstance(delivery.message, AnalysisCompleteEvent):
            emit(describe(delivery.message))

    # One at a time, so that lines come out in the order the events were published.
    return await bus.subscribe(queue, handle, prefetch=1)


def sample_events() -> list[AnalysisCompleteEvent]:
    """Three ``analysis.complete`` events such as the analysis service publishes."""
    samples = (
        ("/music/house_loop_01.flac", 124.0, "A minor", "8A"),
        ("/music/dnb-roller.flac", 174.0, "F minor", "4A"),
        ("/music/HIPHOP beat.flac", 90.0, "C major", "8B"),
    )
    return [
        AnalysisCompleteEvent(
            recording_id=uuid.uuid4(),
            file_path=path,
            results=AnalysisResults(bpm=bpm, key=key, camelot=camelot),
            algorithm_version="example",
            processing_time_ms=0.0,
            correlation_id=uuid.uuid4(),
            timestamp=datetime.now(UTC),
        )
        for path, bpm, key, camelot in samples
    ]


async def run(
    url: str,
    *,
    topology: Topology = DEFAULT_TOPOLOGY,
    seconds: float | None = None,
    emit: Callable[[str], None] = print,
) -> int:
    """Consume ``analysis.complete`` on the bus at ``url``; returns how many were printed.

    On ``memory://`` the sample events are published and the run ends once they are
    printed. Otherwise it runs until SIGINT/SIGTERM, or for ``seconds``.

    Raises the bus's errors (``ConfigurationError`` for an unsupported URL,
    ``BackendUnavailableError`` when the broker cannot be reached).
    """
    printed = 0

    def count(line: str) -> None:
        nonlocal printed
        printed += 1
        emit(line)

    bus = await open_bus(url, topology)
    try:
        queue = f"example.consumer.{uuid.uuid4().hex[:12]}"
        subscription = await start_consumer(bus, queue, count)
        if url.startswith("memory:"):
            samples = sample_events()
            for event in samples:
                await bus.publish(event)
            async with asyncio.timeout(seconds or 10.0):
                while printed < len(samples):
                    await asyncio.sleep(0.01)
        else:
            await _until_stopped(seconds)
        await subscription.cancel(timeout=2.0)
    finally:
        await bus.close()
    return printed


async def _until_stopped(seconds: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for received in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(received, stop.set)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
    finally:
        for received in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(received)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 when the bus cannot be used)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "url", nargs="?", default="memory://", help="memory:// (default) or amqp://..."
    )
    parser.add_argument(
        "--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)"
    )
    args = parser.parse_args(argv)
    try:
        asyncio.run(run(args.url, seconds=args.seconds, emit=lambda line: print(line, flush=True)))
    except TracktionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
