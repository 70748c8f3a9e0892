"""Event-to-catalog latency: from a file appearing in a watched folder to its catalog row.

    python benchmarks/catalog_latency.py [--files 40] [--stability 0.2]
        [--amqp-url URL] [--postgres-url URL] [--json]

The watcher service and the cataloging service run in this process, on the embedded
defaults (in-process bus, SQLite) and on RabbitMQ + PostgreSQL (a temporary database and
an isolated topology; skipped with a note when the servers do not answer). Files of
64 KiB are written one at a time; each latency runs from the file being closed to its
row being readable in the catalog (polled every 2 ms). The watcher waits ``--stability``
seconds for a file to stop changing before hashing it: that wait is the floor printed
beside the figures (what the pipeline adds is the rest).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from tracktion.contracts import ExchangeNames, build_topology
from tracktion.core.bus import InMemoryBus, MessageBus
from tracktion.core.catalog import CatalogStore, open_catalog, upgrade
from tracktion.services.cataloging import CatalogingOptions, CatalogingService
from tracktion.services.watcher import WatcherOptions, WatcherService

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def reachable(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), 2):
            return True
    except OSError:
        return False


@contextlib.asynccontextmanager
async def embedded(directory: Path) -> AsyncIterator[tuple[MessageBus, CatalogStore]]:
    bus = InMemoryBus()
    await bus.declare()
    async with await open_catalog(f"sqlite+aiosqlite:///{directory / 'catalog.db'}") as store:
        yield bus, store
    await bus.close()


@contextlib.asynccontextmanager
async def servers(amqp: str, postgres: str) -> AsyncIterator[tuple[MessageBus, CatalogStore]]:
    import aio_pika
    import asyncpg
    from sqlalchemy import make_url

    from tracktion.core.bus.rabbitmq import RabbitMQBus

    tag = uuid.uuid4().hex[:8]
    names = ExchangeNames(**{r: f"bench{tag}.{n}" for r, n in ExchangeNames().model_dump().items()})
    topology = build_topology(names, queue_prefix=f"bench{tag}.")
    database = f"tracktion_bench_{tag}"
    admin = await asyncpg.connect(postgres)
    await admin.execute(f'CREATE DATABASE "{database}"')
    url = make_url(postgres).set(database=database).render_as_string(hide_password=False)
    try:
        await upgrade(url)
        bus = await RabbitMQBus.connect(amqp, topology)
        await bus.declare()
        async with await open_catalog(url) as store:
            yield bus, store
        await bus.close()
    finally:
        connection = await aio_pika.connect(amqp)
        async with connection:
            channel = await connection.channel()
            for queue in topology.queues:
                await channel.queue_delete(queue.name)
            for exchange in topology.exchanges:
                await channel.exchange_delete(exchange.name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def measure(
    bus: MessageBus, store: CatalogStore, root: Path, files: int, stability: float
) -> list[float]:
    watcher = WatcherService(
        bus, store, WatcherOptions(roots=[str(root)], stability_s=stability, debounce_ms=20)
    )
    cataloging = CatalogingService(bus, store, CatalogingOptions(purge_interval_s=0))
    tasks = [asyncio.create_task(watcher.run()), asyncio.create_task(cataloging.run())]
    latencies: list[float] = []
    try:
        await asyncio.wait_for(watcher.watcher.ready.wait(), 30)
        for n in range(files):
            path = root / f"track{n:04d}.flac"
            path.write_bytes(os.urandom(64 * 1024))
            start = time.perf_counter()
            while await store.get_file(str(path)) is None:
                if time.perf_counter() - start > 30:
                    raise TimeoutError(f"{path} did not reach the catalog in 30 s")
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(ordered), "p99_s": p99, "max_s": ordered[-1]}


async def run(args: argparse.Namespace) -> dict[str, object]:
    results: dict[str, object] = {"files": args.files, "stability_floor_s": args.stability}
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        (directory / "embedded").mkdir()
        async with embedded(directory) as (bus, store):
            latencies = await measure(
                bus, store, directory / "embedded", args.files, args.stability
            )
        results["embedded (memory bus + SQLite)"] = summary(latencies)
        if reachable(args.amqp_url, 5672) and reachable(args.postgres_url, 5432):
            (directory / "servers").mkdir()
            async with servers(args.amqp_url, args.postgres_url) as (bus, store):
                latencies = await measure(
                    bus, store, directory / "servers", args.files, args.stability
                )
            results["RabbitMQ + PostgreSQL"] = summary(latencies)
        else:
            sys.stderr.write("RabbitMQ or PostgreSQL not reachable: skipped\n")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--stability", type=float, default=0.2)
    parser.add_argument("--amqp-url", default=DEFAULT_AMQP)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(f"{args.files} files; stability wait (floor) {args.stability:.2f} s")
    print(f"{'backend':<32} {'median s':>9} {'p99 s':>7} {'max s':>7}")
    for name, value in results.items():
        if isinstance(value, dict):
            median, p99, worst = value["median_s"], value["p99_s"], value["max_s"]
            print(f"{name:<32} {median:>9.3f} {p99:>7.3f} {worst:>7.3f}")


if __name__ == "__main__":
    main()
