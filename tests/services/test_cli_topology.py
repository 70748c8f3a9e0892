"""``tracktion topology show|declare``, declaring on the real RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import aio_pika
import pytest
from typer.testing import CliRunner

from tracktion.contracts import DEFAULT_TOPOLOGY, ExchangeNames
from tracktion.services.cli import app
from tracktion.services.settings import topology_for

from ..core.bus.conftest import delete_topology

runner = CliRunner()


def test_show_json_is_the_topology() -> None:
    result = runner.invoke(app, ["topology", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == DEFAULT_TOPOLOGY.model_dump(mode="json")


def test_show_table_lists_every_queue_unwrapped() -> None:
    result = runner.invoke(app, ["topology", "show", "--prefix", "p."])
    assert result.exit_code == 0, result.output
    for queue in DEFAULT_TOPOLOGY.queues:
        assert f" p.{queue.name} " in result.stdout
    assert "p.tracktion.events:analysis.cancel" in result.stdout


@pytest.fixture
def prefix(rabbitmq_url: str) -> Iterator[str]:
    """A name prefix of this test's own; what it declared is deleted afterwards."""
    name = f"clitest-{uuid.uuid4().hex[:8]}."
    yield name
    asyncio.run(delete_topology(rabbitmq_url, topology_for(ExchangeNames(), name)))


@pytest.mark.integration
def test_declare_is_idempotent(rabbitmq_url: str, prefix: str) -> None:
    for _ in range(2):
        result = runner.invoke(
            app, ["topology", "declare", "--broker", rabbitmq_url, "--prefix", prefix]
        )
        assert result.exit_code == 0, result.output
        assert "declared 5 exchanges" in result.stdout


@pytest.mark.integration
def test_declare_conflict_exits_1_with_the_brokers_reason(rabbitmq_url: str, prefix: str) -> None:
    async def squat() -> None:
        connection = await aio_pika.connect(rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            # Same name as the topology's priority queue, but without its arguments.
            await channel.declare_queue(prefix + "analysis_queue", durable=True)

    asyncio.run(squat())
    result = runner.invoke(
        app, ["topology", "declare", "--broker", rabbitmq_url, "--prefix", prefix]
    )
    assert result.exit_code == 1
    assert "PRECONDITION_FAILED" in result.stderr
    assert f"inequivalent arg 'x-dead-letter-exchange' for queue '{prefix}analysis_queue'" in (
        result.stderr
    )


def test_declare_on_an_unreachable_broker_exits_1() -> None:
    result = runner.invoke(
        app, ["topology", "declare", "--broker", "amqp://guest:secret@127.0.0.1:1/"]
    )
    assert result.exit_code == 1
    assert "cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1/" in result.stderr
    assert "secret" not in result.stderr


def test_declare_with_an_unsupported_url_exits_1() -> None:
    result = runner.invoke(app, ["topology", "declare", "--broker", "kafka://x"])
    assert result.exit_code == 1
    assert "unsupported message bus URL 'kafka://x'" in result.stderr
