"""A worker process for the integration tests: consume one queue idempotently into the catalog.

    python tests/integration/bus_worker.py AMQP_URL DATABASE_URL TOPOLOGY_JSON QUEUE NAME

Each ``analysis.request`` becomes a job of type ``TYPE`` (from the environment variable
``TRACKTION_TEST_JOB_TYPE``) whose payload names this worker. Runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from tracktion.contracts import AnalysisRequest, Topology
from tracktion.core.bus import Delivery, idempotent
from tracktion.core.bus.rabbitmq import RabbitMQBus
from tracktion.core.catalog import CatalogTransaction, open_catalog


async def main(url: str, database: str, topology_json: str, queue: str, name: str) -> None:
    job_type = os.environ["TRACKTION_TEST_JOB_TYPE"]
    topology = Topology.model_validate_json(topology_json)
    store = await open_catalog(database, migrate=False)
    bus = await RabbitMQBus.connect(url, topology, name=name)

    async def effect(delivery: Delivery, tx: CatalogTransaction) -> None:
        assert isinstance(delivery.message, AnalysisRequest)
        await tx.create_job(
            job_type,
            correlation_id=delivery.message.correlation_id,
            payload={"worker": name},
        )
        await asyncio.sleep(0.002)  # a little work, so that the other worker takes turns

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    subscription = await bus.subscribe(queue, idempotent(store, "test-worker", effect), prefetch=4)
    print("ready", flush=True)
    await stop.wait()
    await subscription.cancel(timeout=5)
    await bus.close()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
