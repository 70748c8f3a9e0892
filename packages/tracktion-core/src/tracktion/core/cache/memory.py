"""The embedded cache: an in-process TTL/LRU cache, the default behind ``memory://``."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from itertools import islice

from ..errors import BackendUnavailableError
from ._port import Cache, NamespacedCache, check_ttl, check_value, namespace_prefix

__all__ = ["MemoryCache"]

# Entries examined for expiry on each write: small and fixed so a write stays O(1), yet
# more than the one entry a write can add, so a backlog of expired entries drains.
_RECLAIM_SCAN = 4


class MemoryCache:
    """A :class:`~tracktion.core.cache.Cache` held in this process, bounded in entries.

    ``get``, ``set``, ``add`` and ``delete`` are O(1) (an ``OrderedDict`` in
    least-recently-used order); ``invalidate_prefix`` is O(n) in the entries held. When a
    write would hold more than ``max_entries`` entries (1 or more), the least recently read
    or written entry is evicted. Expired entries are dropped when read, and each write also drops
    expired entries among the few least recently used ones.

    ``clock`` returns seconds on a monotonic scale (``time.monotonic`` by default); tests
    pass a fake one to move time without sleeping.

    Every method runs to completion without awaiting, so concurrent asyncio tasks see each
    operation as atomic and need no lock. It is not safe to share between threads.
    """

    def __init__(
        self, max_entries: int = 10_000, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Raise ``ValueError`` if ``max_entries`` is not an integer of at least 1."""
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be an integer >= 1, not {max_entries!r}")
        self._max_entries = max_entries
        self._clock = clock
        # key -> (value, expiry on `clock`, or None for no expiry); oldest use first.
        self._entries: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._closed = False

    @property
    def max_entries(self) -> int:
        """The most entries held at once."""
        return self._max_entries

    def __len__(self) -> int:
        """Entries held, counting expired ones not yet dropped."""
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        self._check_open()
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at is not None and expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        check_value(value)
        ttl = check_ttl(ttl)
        self._check_open()
        self._store(key, value, ttl, self._clock())

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        check_value(value)
        ttl = check_ttl(ttl)
        self._check_open()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and self._live(entry[1], now):
            return False  # a miss leaves the entry, and its place in the LRU order, alone
        self._store(key, value, ttl, now)
        return True

    async def delete(self, key: str) -> bool:
        self._check_open()
        entry = self._entries.pop(key, None)
        return entry is not None and self._live(entry[1], self._clock())

    async def invalidate_prefix(self, prefix: str) -> int:
        self._check_open()
        now = self._clock()
        doomed = [key for key in self._entries if key.startswith(prefix)]
        removed = 0
        for key in doomed:
            _, expires_at = self._entries.pop(key)
            # Expired entries go too but do not count, as on Redis, where they are gone.
            removed += self._live(expires_at, now)
        return removed

    def namespace(self, prefix: str) -> Cache:
        return NamespacedCache(self, namespace_prefix(prefix))

    async def ping(self) -> None:
        self._check_open()

    async def close(self) -> None:
        self._closed = True
        self._entries.clear()

    def __repr__(self) -> str:
        return f"MemoryCache(max_entries={self._max_entries}, entries={len(self._entries)})"

    def _store(self, key: str, value: bytes, ttl: float | None, now: float) -> None:
        entries = self._entries
        entries[key] = (value, None if ttl is None else now + ttl)
        entries.move_to_end(key)
        self._reclaim(now)
        while len(entries) > self._max_entries:
            entries.popitem(last=False)

    def _reclaim(self, now: float) -> None:
        # An expired entry is never moved to the recent end (reading it drops it), so
        # expired entries drift towards the old end as others are used: looking there
        # finds them without a scan of the whole cache or an expiry heap.
        expired: list[str] = []
        for key, (_, expires_at) in islice(self._entries.items(), _RECLAIM_SCAN):
            if expires_at is not None and expires_at <= now:
                expired.append(key)
        for key in expired:
            del self._entries[key]

    @staticmethod
    def _live(expires_at: float | None, now: float) -> bool:
        return expires_at is None or expires_at > now

    def _check_open(self) -> None:
        if self._closed:
            # A ConnectionError rather than a RuntimeError: tasks still running during
            # shutdown then take the same "cache is down" path as for a lost server.
            raise BackendUnavailableError("the memory cache is closed")
