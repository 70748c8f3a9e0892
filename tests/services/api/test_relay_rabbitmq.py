"""The relay on the real RabbitMQ: an exclusive, auto-deleted queue per API instance."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from websockets.asyncio.client import connect

from tests.core.bus.conftest import delete_topology, isolated_topology
from tracktion.contracts import AnalysisProgressEvent, AnalysisStatus, parse_server_message
from tracktion.contracts.websocket import RecordingUpdate
from tracktion.core.bus.rabbitmq import RabbitMQBus
from tracktion.core.errors import BackendError
from tracktion.services.api import ApiOptions, create_app

from .conftest import Ports, running

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_two_instances_each_relay_every_update(ports: Ports, rabbitmq_url: str) -> None:
    topology = isolated_topology()
    bus = await RabbitMQBus.connect(rabbitmq_url, topology)
    recording = uuid.uuid4()
    try:
        await bus.declare()
        on_rabbit = Ports(bus, ports.catalog, ports.cache, ports.graph)
        first = create_app(on_rabbit, ApiOptions(instance_id=f"a{uuid.uuid4().hex}"))
        second = create_app(on_rabbit, ApiOptions(instance_id=f"b{uuid.uuid4().hex}"))
        async with running(first) as one, running(second) as two:
            relays = [q.name for q in bus.topology.queues if q.name.startswith("api.relay.")]
            assert len(relays) == 2
            async with connect(f"{one}/v1/ws") as a, connect(f"{two}/v1/ws") as b:
                for ws in (a, b):
                    await ws.recv()
                    await ws.send(json.dumps({"type": "subscribe", "recording_id": str(recording)}))
                    await ws.recv()
                await bus.publish(
                    AnalysisProgressEvent(
                        recording_id=recording,
                        progress=0.25,
                        status=AnalysisStatus.DECODING,
                        correlation_id=uuid.uuid4(),
                        timestamp=datetime.now(UTC),
                    )
                )
                for ws in (a, b):
                    update = parse_server_message(await asyncio.wait_for(ws.recv(), 5))
                    assert isinstance(update, RecordingUpdate)
                    assert update.data.type == "progress"
                    assert update.data.progress == 0.25
        # Stopped instances leave no queue behind on the broker.
        for name in relays:
            with pytest.raises(BackendError, match="not declared"):
                await bus.depth(name)
    finally:
        await bus.close()
        await delete_topology(rabbitmq_url, topology)
