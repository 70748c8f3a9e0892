"""WebSocket fan-out: delivery latency of recording updates to 1,000 subscribed clients.

    python benchmarks/websocket_fanout.py [--clients 1000] [--messages 50] [--json]

The clients run in ``--processes`` separate processes (so that reading does not compete
with the server's event loop) and all subscribe to one recording. Two servers are
measured with the same clients and the same JSON text:

- ``raw websockets (floor)``: a bare ``websockets`` server whose broadcast is
  ``websockets.broadcast`` over the open connections: no protocol, no subscriptions, no
  bus, what sending the bytes costs at least;
- ``tracktion app``: the API under uvicorn; each update is published on the embedded bus
  as ``analysis.progress`` and relayed by the app (bus delivery, conversion to the
  WebSocket message, one serialization, a bounded queue and a sender task per client).

Latency is from just before the publish to the client's receipt of that message, on the
system-wide monotonic clock. Updates are published ``--interval`` seconds apart, so each
fan-out is measured on its own; the p50, p99 and max over every (message, client) pair
are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast
from websockets.asyncio.server import serve as raw_serve

from tracktion.contracts import AnalysisProgressEvent, AnalysisStatus
from tracktion.contracts.websocket import ProgressData, RecordingUpdate
from tracktion.core.bus import InMemoryBus
from tracktion.core.cache import open_cache
from tracktion.core.catalog import open_catalog
from tracktion.core.graph import open_graph
from tracktion.services.api import ApiOptions, create_app, serve

RECORDING = uuid.UUID("00000000-0000-4000-8000-000000000001")


@dataclass
class Result:
    case: str
    clients: int
    messages: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    received: int


# -- clients (in other processes) -------------------------------------------------------


def _clients_process(url: str, count: int, messages: int, app: bool, pipe: Connection) -> None:
    pipe.send(asyncio.run(_clients(url, count, messages, app, pipe)))


async def _clients(
    url: str, count: int, messages: int, app: bool, pipe: Connection
) -> list[tuple[int, float]]:
    connections: list[ClientConnection] = []
    for _ in range(count):
        ws = await connect(url, max_queue=None, open_timeout=60)
        if app:
            await ws.recv()  # welcome
            await ws.send(json.dumps({"type": "subscribe", "recording_id": str(RECORDING)}))
            await ws.recv()  # subscribed
        connections.append(ws)
    pipe.send("ready")
    received: list[tuple[int, float]] = []

    async def read(ws: ClientConnection) -> None:
        for _ in range(messages):
            raw = await ws.recv()
            at = time.monotonic()
            received.append((int(json.loads(raw)["data"]["message"]), at))

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(60):
            await asyncio.gather(*(read(ws) for ws in connections))
    for ws in connections:
        await ws.close()
    return received


# -- servers ----------------------------------------------------------------------------


def _update_text(seq: int) -> str:
    data = ProgressData(
        progress=0.5, status=AnalysisStatus.ANALYZING, message=str(seq), timestamp=time.time()
    )
    return RecordingUpdate(recording_id=RECORDING, data=data).model_dump_json()


Publisher = Callable[[int], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server() -> AsyncIterator[tuple[str, Publisher]]:
    connections: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        connections.add(ws)
        try:
            await ws.wait_closed()
        finally:
            connections.discard(ws)

    async with raw_serve(handler, "127.0.0.1", 0, max_queue=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]

        async def publish(seq: int) -> None:
            broadcast(connections, _update_text(seq))

        yield f"ws://127.0.0.1:{port}", publish


@contextlib.asynccontextmanager
async def app_server(workdir: Path) -> AsyncIterator[tuple[str, Publisher]]:
    catalog = await open_catalog(f"sqlite+aiosqlite:///{workdir / 'catalog.db'}")
    bus = InMemoryBus()
    await bus.declare()
    cache = open_cache("memory://")
    graph = await open_graph("sql://", engine=catalog.engine)

    @dataclass(frozen=True)
    class Ports:
        bus: InMemoryBus
        catalog: object
        cache: object
        graph: object

    options = ApiOptions(ws_messages_per_second=1000, ws_message_burst=1000, ws_send_queue=1024)
    app = create_app(Ports(bus, catalog, cache, graph), options)  # type: ignore[arg-type]
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(app, "127.0.0.1", 0, on_started=lambda _h, p: bound.set_result(p), log_level="error")
    )
    port = await bound
    correlation = uuid.uuid4()

    async def publish(seq: int) -> None:
        await bus.publish(
            AnalysisProgressEvent(
                recording_id=RECORDING,
                progress=0.5,
                status=AnalysisStatus.ANALYZING,
                message=str(seq),
                correlation_id=correlation,
                timestamp=datetime.now(UTC),
            )
        )

    try:
        yield f"ws://127.0.0.1:{port}/v1/ws", publish
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.close()
        await cache.close()
        await catalog.close()


# -- measurement ------------------------------------------------------------------------


async def measure(
    case: str,
    server: contextlib.AbstractAsyncContextManager[tuple[str, Publisher]],
    clients: int,
    messages: int,
    processes: int,
    interval: float,
    app: bool,
) -> Result:
    context = multiprocessing.get_context("spawn")
    async with server as (url, publish):
        pipes = []
        workers = []
        share = [
            clients // processes + (1 if n < clients % processes else 0) for n in range(processes)
        ]
        for count in share:
            here, there = context.Pipe()
            worker = context.Process(
                target=_clients_process, args=(url, count, messages, app, there), daemon=True
            )
            worker.start()
            pipes.append(here)
            workers.append(worker)
        loop = asyncio.get_running_loop()
        for pipe in pipes:  # every client connected and subscribed
            await loop.run_in_executor(None, pipe.recv)
        await asyncio.sleep(0.5)
        published: dict[int, float] = {}
        for seq in range(messages):
            published[seq] = time.monotonic()
            await publish(seq)
            await asyncio.sleep(interval)
        latencies = []
        for pipe in pipes:
            for seq, at in await loop.run_in_executor(None, pipe.recv):
                latencies.append((at - published[seq]) * 1000)
        for worker in workers:
            worker.join(timeout=10)
    latencies.sort()
    return Result(
        case=case,
        clients=clients,
        messages=messages,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        max_ms=latencies[-1],
        received=len(latencies),
    )


async def main(clients: int, messages: int, processes: int, interval: float) -> list[Result]:
    with tempfile.TemporaryDirectory() as workdir:
        return [
            await measure(
                "raw websockets (floor)",
                raw_server(),
                clients,
                messages,
                processes,
                interval,
                False,
            ),
            await measure(
                "tracktion app",
                app_server(Path(workdir)),
                clients,
                messages,
                processes,
                interval,
                True,
            ),
        ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between updates")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(main(args.clients, args.messages, args.processes, args.interval))
    if args.json:
        json.dump([asdict(result) for result in results], sys.stdout, indent=2)
        print()
    else:
        floor = results[0].p99_ms
        header = ("case", "clients", "msgs", "p50 ms", "p99 ms", "max ms", "x floor p99")
        print("{:<24} {:>7} {:>5} {:>8} {:>8} {:>8} {:>11}".format(*header))
        for r in results:
            print(
                f"{r.case:<24} {r.clients:>7} {r.messages:>5} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                f"{r.max_ms:>8.2f} {r.p99_ms / floor:>11.2f}"
            )
            if r.received != r.clients * r.messages:
                print(f"  missing deliveries: {r.clients * r.messages - r.received}")
