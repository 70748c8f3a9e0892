"""Fixtures of the cache behaviour suite: one ``backend`` per implementation.

``backend`` runs each test against the embedded cache (time moved by a fake clock) and
against Redis (real time, short TTLs; skipped without a server, failing on CI).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as redis_asyncio

from tracktion.core.cache import Cache, MemoryCache, RedisCache, escape_glob


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    name: str
    cache: Cache
    short_ttl: float
    """A TTL (seconds) that tests can afford to wait out."""
    elapse: Callable[[float], Awaitable[None]]
    """Let this many seconds pass, on the cache's clock."""

    async def gone_after_short_ttl(self, key: str, *, within: float = 2.0) -> bool:
        """Let ``short_ttl`` pass, then poll until ``key`` is gone; False if it stays."""
        await self.elapse(self.short_ttl)
        deadline = time.monotonic() + within
        while await self.cache.get(key) is not None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


def unique_prefix() -> str:
    return f"tracktion-test:{uuid.uuid4()}:"


async def remove_keys(redis_url: str, key_prefix: str) -> None:
    """Remove whatever a test left under ``key_prefix`` (also after it closed its cache)."""
    admin = redis_asyncio.Redis.from_url(redis_url)
    try:
        keys = [key async for key in admin.scan_iter(match=escape_glob(key_prefix) + "*")]
        if keys:
            await admin.unlink(*keys)
    finally:
        await admin.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def backend(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Backend]:
    if request.param == "memory":

        async def advance(seconds: float) -> None:
            clock.advance(seconds)

        memory = MemoryCache(clock=clock)
        yield Backend("memory", memory, short_ttl=1.0, elapse=advance)
        await memory.close()
        return

    redis_url: str = request.getfixturevalue("redis_url")
    key_prefix = unique_prefix()
    cache = RedisCache.connect(redis_url, key_prefix=key_prefix, client_name="tracktion-test")
    try:
        # 0.15 s: long enough that a key is still there when read back at once under
        # load, short enough that waiting it out costs little.
        yield Backend("redis", cache, short_ttl=0.15, elapse=asyncio.sleep)
    finally:
        await cache.close()
        await remove_keys(redis_url, key_prefix)
