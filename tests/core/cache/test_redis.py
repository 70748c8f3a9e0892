"""Behaviour of the Redis adapter only: reconnection, unreachable servers, translated
errors and the key layout on the server."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from tracktion.core.cache import RedisCache
from tracktion.core.errors import BackendError, BackendUnavailableError

from .conftest import remove_keys, unique_prefix

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[redis_asyncio.Redis]:
    """A separate client, to look at and tamper with the server behind the cache's back."""
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def named_cache(redis_url: str) -> AsyncIterator[tuple[RedisCache, str]]:
    """A cache whose connections carry a name of their own, so a test can kill them."""
    name = f"tracktion-test-{uuid.uuid4().hex}"
    key_prefix = unique_prefix()
    # A short back-off keeps the many reconnections of these tests quick.
    cache = RedisCache.connect(
        redis_url, key_prefix=key_prefix, client_name=name, backoff_base=0.005
    )
    try:
        yield cache, name
    finally:
        await cache.close()
        await remove_keys(redis_url, key_prefix)


async def connection_ids(admin: redis_asyncio.Redis, name: str) -> set[str]:
    return {client["id"] for client in await admin.client_list() if client["name"] == name}


async def kill_connections(admin: redis_asyncio.Redis, name: str) -> set[str]:
    ids = await connection_ids(admin, name)
    for client_id in ids:
        await admin.client_kill_filter(_id=client_id)
    return ids


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.integration
async def test_operations_succeed_after_the_server_drops_the_connection(
    named_cache: tuple[RedisCache, str], admin: redis_asyncio.Redis
) -> None:
    cache, name = named_cache
    await cache.set("before", b"v")
    for round_ in range(3):
        killed = await kill_connections(admin, name)
        assert killed, "the cache should hold a connection to kill"
        # Each kind of operation meets a dead connection once.
        assert await cache.get("before") == b"v"
        await kill_connections(admin, name)
        await cache.set(f"after:{round_}", b"w", ttl=60)
        await kill_connections(admin, name)
        assert await cache.add(f"added:{round_}", b"a", ttl=60) is True
        await kill_connections(admin, name)
        assert await cache.invalidate_prefix("after:") == 1
        await kill_connections(admin, name)
        await cache.ping()
        now = await connection_ids(admin, name)
        assert now, "the cache should have reconnected"
        assert not now & killed


@pytest.mark.integration
async def test_concurrent_operations_survive_a_connection_loss(
    named_cache: tuple[RedisCache, str], admin: redis_asyncio.Redis
) -> None:
    cache, name = named_cache

    async def writer(index: int) -> bytes | None:
        await cache.set(f"c:{index}", str(index).encode())
        return await cache.get(f"c:{index}")

    await asyncio.gather(*(writer(index) for index in range(16)))  # fill the pool
    killer = asyncio.create_task(kill_connections(admin, name))
    results = await asyncio.gather(*(writer(index) for index in range(200)))
    assert await killer
    assert results == [str(index).encode() for index in range(200)]
    assert await cache.invalidate_prefix("c:") == 200


async def test_an_unreachable_server_raises_backend_unavailable_in_bounded_time() -> None:
    cache = RedisCache.connect(
        f"redis://127.0.0.1:{closed_port()}/0",
        retries=2,
        backoff_base=0.01,
        backoff_cap=0.05,
        connect_timeout=0.5,
    )
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="unreachable") as caught:
            await cache.get("k")
        assert time.monotonic() - started < 2.0
        assert isinstance(caught.value, ConnectionError)
        with pytest.raises(BackendUnavailableError):
            await cache.set("k", b"v")
        with pytest.raises(BackendUnavailableError, match="SET NX"):
            await cache.add("k", b"v", ttl=1)
        with pytest.raises(BackendUnavailableError):
            await cache.invalidate_prefix("")
    finally:
        await cache.close()


async def test_an_unroutable_server_times_out_as_unavailable() -> None:
    # 192.0.2.0/24 (TEST-NET-1) is never routed: the connect hangs until its timeout.
    cache = RedisCache.connect(
        "redis://192.0.2.1:6379/0", retries=1, backoff_base=0.01, connect_timeout=0.1
    )
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError):
            await cache.ping()
        assert time.monotonic() - started < 2.0
    finally:
        await cache.close()


@pytest.mark.integration
async def test_server_errors_become_backend_errors(
    named_cache: tuple[RedisCache, str], admin: redis_asyncio.Redis
) -> None:
    cache, _ = named_cache
    await admin.lpush(cache.key_prefix + "a-list", b"x")  # GET on a list: WRONGTYPE
    with pytest.raises(BackendError, match="WRONGTYPE") as caught:
        await cache.get("a-list")
    assert not isinstance(caught.value, RedisError | BackendUnavailableError)
    assert isinstance(caught.value.__cause__, RedisError)


@pytest.mark.integration
async def test_refused_credentials_are_a_backend_error_without_the_password(
    redis_url: str,
) -> None:
    url = redis_url.replace("redis://", "redis://nobody:s3cret-pw@", 1)
    cache = RedisCache.connect(url, retries=1, backoff_base=0.01)
    try:
        with pytest.raises(BackendError) as caught:
            await cache.get("k")
        assert not isinstance(caught.value, BackendUnavailableError)
        assert "s3cret-pw" not in str(caught.value)
        assert "***" in str(caught.value)
    finally:
        await cache.close()


@pytest.mark.integration
async def test_keys_live_under_the_key_prefix_with_millisecond_ttls(
    named_cache: tuple[RedisCache, str], admin: redis_asyncio.Redis
) -> None:
    cache, _ = named_cache
    await cache.namespace("tracks").set("42", b"v", ttl=1.5)
    await cache.set("tiny", b"v", ttl=0.0001)  # rounds up to 1 ms, never to PX 0
    key = cache.key_prefix + "tracks:42"
    assert await admin.get(key) == b"v"
    assert 1_000 < await admin.pttl(key) <= 1_500
    await cache.set("plain", b"v")
    assert await admin.pttl(cache.key_prefix + "plain") == -1  # no expiry


@pytest.mark.integration
async def test_add_is_set_nx_under_the_key_prefix(
    named_cache: tuple[RedisCache, str], admin: redis_asyncio.Redis
) -> None:
    cache, _ = named_cache
    assert await cache.namespace("pace").add("host", b"", ttl=3) is True
    key = cache.key_prefix + "pace:host"
    assert await admin.get(key) == b""
    assert 2_000 < await admin.pttl(key) <= 3_000
    assert await cache.add("tiny", b"v", ttl=0.0001) is True  # PX 1, never PX 0
    assert await cache.add("forever", b"v") is True
    assert await admin.pttl(cache.key_prefix + "forever") == -1
    # Another client of the server holding the key wins over the cache, and the reverse.
    await admin.set(cache.key_prefix + "taken", b"theirs")
    assert await cache.add("taken", b"mine") is False
    assert await admin.get(cache.key_prefix + "taken") == b"theirs"
    assert await admin.set(key, b"theirs", nx=True) is None


@pytest.mark.integration
async def test_adds_from_separate_clients_exclude_each_other(redis_url: str) -> None:
    # Separate caches on one server and prefix, as in separate processes.
    key_prefix = unique_prefix()
    caches = [
        RedisCache.connect(redis_url, key_prefix=key_prefix, client_name="tracktion-test")
        for _ in range(4)
    ]
    try:
        won = await asyncio.gather(
            *(
                cache.add("slot", str(index).encode(), ttl=60)
                for index, cache in enumerate(caches * 5)
            )
        )
        assert won.count(True) == 1
        assert await caches[0].get("slot") == str(won.index(True)).encode()
    finally:
        for cache in caches:
            await cache.close()
        await remove_keys(redis_url, key_prefix)


@pytest.mark.integration
async def test_caches_with_other_prefixes_are_untouched(redis_url: str) -> None:
    # The second prefix holds glob metacharacters: its SCAN pattern must be escaped too.
    base = unique_prefix()
    prefixes = [base, base.rstrip(":") + "[*]?:"]
    caches = [RedisCache.connect(redis_url, key_prefix=prefix) for prefix in prefixes]
    try:
        for cache in caches:
            await cache.set("k", b"v")
            await cache.set("other", b"v")
        assert await caches[0].invalidate_prefix("") == 2
        assert await caches[1].get("k") == b"v"
        assert await caches[1].invalidate_prefix("") == 2
    finally:
        for cache, prefix in zip(caches, prefixes, strict=True):
            await cache.close()
            await remove_keys(redis_url, prefix)


async def test_repr_names_the_server_without_the_password() -> None:
    cache = RedisCache.connect("redis://user:hunter2@cache.example:6380/3?socket_timeout=1")
    try:
        assert repr(cache) == (
            "RedisCache('redis://user:***@cache.example:6380/3', key_prefix='tracktion:')"
        )
    finally:
        await cache.close()
