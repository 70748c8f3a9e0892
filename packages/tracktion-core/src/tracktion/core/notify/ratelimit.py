"""Token buckets, a shared "blocked until" gate and jittered exponential back-off.

Time is read from an injected clock (seconds, monotonic) so tests need not wait.

>>> now = [0.0]
>>> bucket = TokenBucket(RateLimit(requests=5, per_seconds=2.0), clock=lambda: now[0])
>>> [bucket.reserve() for _ in range(6)]
[0.0, 0.0, 0.0, 0.0, 0.0, 2.0]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ._model import NotifierConfigurationError

__all__ = ["Backoff", "Clock", "RateGate", "RateLimit", "Sleep", "TokenBucket"]

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic``)."""

Sleep = Callable[[float], Awaitable[None]]
"""Waits the given seconds (``asyncio.sleep``)."""


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise NotifierConfigurationError(f"{name} must be a positive number, not {value!r}")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``requests`` requests in any ``per_seconds`` seconds (bursts allowed).

    Raises:
        NotifierConfigurationError: a value is not positive.
    """

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        if not isinstance(self.requests, int) or self.requests < 1:
            raise NotifierConfigurationError(
                f"a rate limit allows at least 1 request, not {self.requests!r}"
            )
        _positive("a rate limit's per_seconds", self.per_seconds)


class TokenBucket:
    """``requests`` tokens; each one taken comes back ``per_seconds`` after its request.

    So no window of ``per_seconds`` ever holds more than ``requests`` requests, whether
    the server counts in fixed windows (Discord resets its buckets) or sliding ones: a
    bucket refilled evenly would allow a sixth request 0.4 s after a burst of five,
    which a fixed-window server answers with a 429.

    :meth:`reserve` takes a token even when none is left and says how long to wait
    before using it, so one sender in a loop keeps the rate.
    """

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._returns: deque[float] = deque()  # when each taken token comes back

    def reserve(self) -> float:
        """Take a token; return the seconds to wait before the request may go (0.0 or more)."""
        now = self._clock()
        while self._returns and self._returns[0] <= now:
            self._returns.popleft()
        start = now
        if len(self._returns) >= self.limit.requests:
            start = max(now, self._returns[-self.limit.requests])
        self._returns.append(start + self.limit.per_seconds)
        return start - now


class RateGate:
    """A "nobody sends before" time shared by senders (Discord's global rate limit)."""

    def __init__(self) -> None:
        self.blocked_until = 0.0

    def block(self, until: float) -> None:
        """Hold every sender until the monotonic time ``until`` (later blocks win)."""
        self.blocked_until = max(self.blocked_until, until)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential back-off with jitter between retries of a failed request.

    The n-th retry waits ``min(max_s, initial_s * multiplier ** (n - 1))``, less a random
    fraction of up to ``jitter`` of it (so that senders do not retry in lock-step).

    Raises:
        NotifierConfigurationError: a value is out of range.
    """

    initial_s: float = 0.5
    max_s: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        _positive("backoff initial_s", self.initial_s)
        _positive("backoff max_s", self.max_s)
        if not (isinstance(self.multiplier, int | float) and self.multiplier >= 1):
            raise NotifierConfigurationError(
                f"backoff multiplier must be at least 1, not {self.multiplier!r}"
            )
        if not (isinstance(self.jitter, int | float) and 0 <= self.jitter <= 1):
            raise NotifierConfigurationError(
                f"backoff jitter must be in [0, 1], not {self.jitter!r}"
            )

    def delay(self, retry: int, random: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); ``random()`` in [0, 1)."""
        base = min(self.max_s, self.initial_s * self.multiplier ** max(0, retry - 1))
        return base * (1.0 - self.jitter * random())
