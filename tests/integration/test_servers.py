"""Round trips against the real servers, through the client libraries the services use."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import asyncpg  # asyncpg ships no type information
import pytest
import redis.asyncio as redis
from pamqp.commands import Basic

pytestmark = pytest.mark.integration


async def _rabbitmq_round_trip(url: str, body: bytes) -> tuple[object, bytes]:
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        confirmation = await channel.default_exchange.publish(
            aio_pika.Message(body), routing_key=queue.name
        )
        message = await queue.get(timeout=5)
        await message.ack()
        return confirmation, message.body


def test_rabbitmq_publish_confirm_and_get(rabbitmq_url: str) -> None:
    body = f"tracktion {uuid.uuid4()}".encode()

    confirmation, received = asyncio.run(_rabbitmq_round_trip(rabbitmq_url, body))

    assert isinstance(confirmation, Basic.Ack)
    assert received == body


async def _postgres_round_trip(url: str) -> tuple[int, list[tuple[int, str]]]:
    connection = await asyncpg.connect(url)
    try:
        one = await connection.fetchval("SELECT 1")
        await connection.execute("CREATE TEMP TABLE track (id int PRIMARY KEY, title text)")
        await connection.executemany(
            "INSERT INTO track (id, title) VALUES ($1, $2)", [(1, "Intro"), (2, "Outro")]
        )
        rows = await connection.fetch("SELECT id, title FROM track ORDER BY id")
        return one, [(row["id"], row["title"]) for row in rows]
    finally:
        await connection.close()


def test_postgres_select_and_temp_table(postgres_url: str) -> None:
    one, rows = asyncio.run(_postgres_round_trip(postgres_url))

    assert one == 1
    assert rows == [(1, "Intro"), (2, "Outro")]


async def _redis_round_trip(url: str, key: str, value: str) -> tuple[bytes | str | None, int]:
    client = redis.Redis.from_url(url)
    try:
        await client.set(key, value, ex=60)
        stored = await client.get(key)
        ttl = await client.ttl(key)
        await client.delete(key)
        return stored, ttl
    finally:
        await client.aclose()


def test_redis_set_with_expiry_and_get(redis_url: str) -> None:
    key = f"tracktion:test:{uuid.uuid4().hex}"

    stored, ttl = asyncio.run(_redis_round_trip(redis_url, key, "cue"))

    assert stored == b"cue"
    assert 0 < ttl <= 60
