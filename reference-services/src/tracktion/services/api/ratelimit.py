"""Token-bucket rate limits: one bucket per WebSocket client, one per HTTP caller."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["KeyedRateLimiter", "TokenBucket"]

Clock = Callable[[], float]


class TokenBucket:
    """``burst`` tokens refilled at ``rate`` per second; each event takes one.

    Raises ``ValueError`` for a rate or burst that is not positive.
    """

    __slots__ = ("_clock", "_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, *, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError(f"rate and burst must be positive, got rate={rate}, burst={burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> bool:
        """Take a token if one is left; ``False`` means the event is over the limit."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def retry_after(self) -> float:
        """Seconds until the next token, 0 when one is available."""
        return max(0.0, (1.0 - self._tokens) / self.rate)


class KeyedRateLimiter:
    """A :class:`TokenBucket` per key (a caller), for at most ``max_keys`` recent keys.

    The least recently seen key is forgotten first, so memory stays bounded whatever the
    number of callers; a forgotten caller starts again with a full bucket.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_keys: int = 10_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def check(self, key: str) -> float | None:
        """Count one event for ``key``: ``None`` if allowed, else seconds to wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.burst, clock=self._clock)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return None if bucket.take() else bucket.retry_after()
