from __future__ import annotations

import pytest

from tracktion.core.notify import Backoff, NotifierConfigurationError, RateLimit, TokenBucket


def test_no_window_ever_holds_more_than_the_limit() -> None:
    now = [0.0]
    bucket = TokenBucket(RateLimit(3, 1.0), clock=lambda: now[0])
    sent: list[float] = []
    for _ in range(10):
        now[0] += bucket.reserve()
        sent.append(now[0])
        now[0] += 0.05  # the request itself takes a while
    for start in sent:
        assert sum(start <= t < start + 1.0 for t in sent) <= 3
    assert sent[3] == pytest.approx(1.0)


def test_backoff_grows_is_capped_and_jittered() -> None:
    backoff = Backoff(initial_s=0.5, max_s=3.0, multiplier=2.0, jitter=0.5)
    assert [backoff.delay(n, lambda: 0.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.delay(2, lambda: 0.999) == pytest.approx(0.5005)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: RateLimit(0, 1.0), "at least 1 request"),
        (lambda: RateLimit(1, 0.0), "per_seconds must be a positive number"),
        (lambda: Backoff(jitter=1.5), "jitter must be in"),
        (lambda: Backoff(multiplier=0.5), "multiplier must be at least 1"),
        (lambda: Backoff(initial_s=float("nan")), "initial_s must be a positive number"),
    ],
)
def test_bad_values_are_named(make: object, message: str) -> None:
    with pytest.raises(NotifierConfigurationError, match=message):
        make()  # type: ignore[operator]
