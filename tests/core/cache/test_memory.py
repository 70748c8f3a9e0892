"""Behaviour of the embedded cache only: LRU eviction, its bound, expiry on its clock."""

from __future__ import annotations

import pytest

from tracktion.core.cache import MemoryCache

from .conftest import FakeClock

pytestmark = pytest.mark.anyio


async def test_the_least_recently_used_entry_is_evicted_first(clock: FakeClock) -> None:
    cache = MemoryCache(max_entries=3, clock=clock)
    for key in ("a", "b", "c"):
        await cache.set(key, key.encode())
    assert await cache.get("a") == b"a"  # a read makes "a" the most recent
    await cache.set("d", b"d")
    assert await cache.get("b") is None
    await cache.set("c", b"c2")  # so does a write
    await cache.set("e", b"e")
    assert await cache.get("a") is None
    assert [await cache.get(key) for key in ("c", "d", "e")] == [b"c2", b"d", b"e"]


async def test_a_miss_does_not_change_the_eviction_order(clock: FakeClock) -> None:
    cache = MemoryCache(max_entries=2, clock=clock)
    await cache.set("a", b"a")
    await cache.set("b", b"b")
    assert await cache.get("zzz") is None
    await cache.set("c", b"c")
    assert await cache.get("a") is None
    assert await cache.get("b") == b"b"


async def test_never_holds_more_than_max_entries(clock: FakeClock) -> None:
    cache = MemoryCache(max_entries=10, clock=clock)
    for index in range(1_000):
        await cache.set(f"k{index}", b"v")
        assert len(cache) <= 10
    assert len(cache) == 10
    assert cache.max_entries == 10
    assert [await cache.get(f"k{index}") for index in range(990, 1_000)] == [b"v"] * 10
    assert await cache.get("k989") is None


async def test_max_entries_of_one(clock: FakeClock) -> None:
    cache = MemoryCache(max_entries=1, clock=clock)
    await cache.set("a", b"a")
    await cache.set("b", b"b")
    assert (await cache.get("a"), await cache.get("b")) == (None, b"b")


@pytest.mark.parametrize("max_entries", [0, -1, True, 1.5, "10"])
def test_max_entries_must_be_a_positive_integer(max_entries: object) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCache(max_entries=max_entries)  # type: ignore[arg-type]


async def test_expiry_is_exact_on_the_clock(clock: FakeClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("k", b"v", ttl=5)
    clock.advance(4.999)
    assert await cache.get("k") == b"v"
    clock.advance(0.001)
    assert await cache.get("k") is None
    assert len(cache) == 0  # dropped when read


async def test_expired_entries_make_room_before_live_ones(clock: FakeClock) -> None:
    cache = MemoryCache(max_entries=3, clock=clock)
    await cache.set("stale", b"s", ttl=1)
    await cache.set("b", b"b")
    await cache.set("c", b"c")
    clock.advance(2)
    await cache.set("d", b"d")
    assert [await cache.get(key) for key in ("b", "c", "d")] == [b"b", b"c", b"d"]


async def test_writes_reclaim_expired_entries_a_few_at_a_time(clock: FakeClock) -> None:
    cache = MemoryCache(max_entries=1_000, clock=clock)
    for index in range(50):
        await cache.set(f"old:{index}", b"v", ttl=1)
    clock.advance(2)
    await cache.set("new:0", b"v")
    after_one_write = len(cache)
    assert 1 < after_one_write < 51  # some reclaimed, but not a full sweep
    writes = 1
    while len(cache) > writes and writes < 50:
        await cache.set(f"new:{writes}", b"v")
        writes += 1
    assert len(cache) == writes  # only the live entries are left


async def test_expired_entries_do_not_count_as_removed(clock: FakeClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("p:stale", b"v", ttl=1)
    await cache.set("p:other-stale", b"v", ttl=1)
    await cache.set("p:live", b"v")
    clock.advance(1)
    assert await cache.delete("p:stale") is False
    assert await cache.invalidate_prefix("p:") == 1
    assert len(cache) == 0


async def test_close_drops_the_entries(clock: FakeClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("k", b"v")
    await cache.close()
    assert len(cache) == 0
    assert "MemoryCache(max_entries=10000" in repr(cache)
