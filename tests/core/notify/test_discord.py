from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.core.notify.fake_discord import TOKEN, FakeClock, FakeDiscord, webhook_url
from tracktion.core.notify import (
    Backoff,
    DeliveryStatus,
    DiscordWebhookConfig,
    DiscordWebhookNotifier,
    Level,
    Notification,
    NotifierConfigurationError,
    RateGate,
    RateLimit,
)

pytestmark = pytest.mark.anyio

FAST = Backoff(initial_s=0.5, max_s=4.0, multiplier=2.0, jitter=0.5)


def note(i: int | str, level: Level = Level.INFO) -> Notification:
    return Notification(title=f"n{i}", body="body", level=level)


Make = Callable[..., DiscordWebhookNotifier]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make(clock: FakeClock) -> AsyncIterator[Make]:
    made: list[DiscordWebhookNotifier] = []

    def factory(
        fake: FakeDiscord | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        gate: RateGate | None = None,
        url: str | None = None,
        sleep: Callable[[float], Any] | None = None,
        **options: Any,
    ) -> DiscordWebhookNotifier:
        options.setdefault("backoff", FAST)
        config = DiscordWebhookConfig(url=SecretStr(url or webhook_url()), **options)
        notifier = DiscordWebhookNotifier(
            config,
            transport=transport or (fake or FakeDiscord(clock=clock)).transport(),
            gate=gate,
            clock=clock,
            sleep=sleep or clock.sleep,
            random=lambda: 0.5,
        )
        made.append(notifier)
        return notifier

    yield factory
    for notifier in made:
        await notifier.aclose()


async def test_delivers_one_embed_and_names_the_webhook_by_id(make: Make, clock: FakeClock) -> None:
    fake = FakeDiscord(clock=clock)
    notifier = make(fake, username="Tracktion")
    result = await notifier.send(note(1))
    assert result.ok
    assert result.attempts == 1
    assert result.channel == "discord:112233445566778899"
    assert fake.titles() == ["n1"]
    assert fake.received[0]["username"] == "Tracktion"


async def test_a_429_burst_is_waited_out_and_everything_arrives_in_order(
    make: Make, clock: FakeClock
) -> None:
    # The server allows 3 requests per 2 s; the client's own buckets are off, so it runs
    # into 429s and must honour retry_after.
    fake = FakeDiscord(bucket=3, window=2.0, clock=clock)
    notifier = make(fake, rate_limits=(), batch=False)
    results = await asyncio.gather(*(notifier.send(note(i)) for i in range(10)))
    assert all(result.ok for result in results)
    assert fake.titles() == [f"n{i}" for i in range(10)]
    assert fake.rate_limited >= 3
    assert fake.invalid == []
    # Three windows of waiting, never a busy loop.
    assert clock.now - 1000.0 == pytest.approx(6.0)


async def test_the_client_bucket_keeps_discords_rate_without_any_429(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(bucket=5, window=2.0, clock=clock)
    notifier = make(fake, batch=False)  # default buckets: 5 per 2 s, 30 per 60 s
    results = await asyncio.gather(*(notifier.send(note(i)) for i in range(12)))
    assert all(result.ok for result in results)
    assert fake.rate_limited == 0
    assert fake.titles() == [f"n{i}" for i in range(12)]
    # 5 at once, 5 more when the first come back 2 s later, then the last 2.
    assert clock.sleeps == [pytest.approx(2.0)] * 2


async def test_a_channel_limit_of_30_per_minute_is_kept(make: Make, clock: FakeClock) -> None:
    fake = FakeDiscord(clock=clock)
    notifier = make(fake, batch=False, rate_limits=(RateLimit(30, 60.0),))
    results = await asyncio.gather(*(notifier.send(note(i)) for i in range(31)))
    assert all(result.ok for result in results)
    assert clock.sleeps == [pytest.approx(60.0)]  # the 31st waits for the first token


async def test_an_exhausted_bucket_announced_in_headers_is_respected(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(bucket=2, window=2.0, clock=clock, announce_remaining=True)
    notifier = make(fake, rate_limits=(), batch=False)
    results = await asyncio.gather(*(notifier.send(note(i)) for i in range(5)))
    assert all(result.ok for result in results)
    assert fake.rate_limited == 0  # it waited for X-RateLimit-Reset-After instead


async def test_pending_notifications_share_a_message_of_up_to_ten_embeds(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock)
    notifier = make(fake)
    results = await asyncio.gather(*(notifier.send(note(i)) for i in range(15)))
    assert all(result.ok for result in results)
    assert [len(payload["embeds"]) for payload in fake.received] == [10, 5]
    assert fake.titles() == [f"n{i}" for i in range(15)]


async def test_large_notifications_are_split_to_stay_within_6000_characters(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock)
    notifier = make(fake)
    big = [Notification(title=f"b{i}", body="x" * 2500) for i in range(5)]
    results = await asyncio.gather(*(notifier.send(n) for n in big))
    assert all(result.ok for result in results)
    assert fake.invalid == []
    assert [len(payload["embeds"]) for payload in fake.received] == [2, 2, 1]


async def test_server_errors_are_retried_with_backoff_then_delivered(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock, script=deque([503, 502]))
    notifier = make(fake, rate_limits=())
    result = await notifier.send(note(1))
    assert result.ok
    assert result.attempts == 3
    assert clock.sleeps == [0.375, 0.75]  # 0.5 and 1.0 s, less a quarter (jitter 0.5 x 0.5)


async def test_server_errors_end_in_a_transient_failure_after_max_attempts(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock, script=deque([500] * 10))
    notifier = make(fake, rate_limits=(), max_attempts=4)
    result = await notifier.send(note(1))
    assert result.status is DeliveryStatus.FAILED
    assert result.transient
    assert result.attempts == 4
    assert fake.requests == 4
    assert "HTTP 500 after 4 attempts" in result.detail


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_fail_at_once(make: Make, clock: FakeClock, status: int) -> None:
    fake = FakeDiscord(clock=clock, script=deque([status]))
    notifier = make(fake)
    result = await notifier.send(note(1))
    assert not result.ok
    assert not result.transient
    assert fake.requests == 1
    assert f"HTTP {status} (not retried): scripted" in result.detail


async def test_an_unknown_webhook_is_a_permanent_failure_with_discords_reason(
    make: Make,
) -> None:
    notifier = make(url=webhook_url().replace(TOKEN, "wrong-token"))
    result = await notifier.send(note(1))
    assert not result.ok
    assert not result.transient
    assert "HTTP 404 (not retried): Unknown Webhook (code 10015)" in result.detail


async def test_connection_errors_are_retried_then_reported(make: Make, clock: FakeClock) -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("connection refused", request=request)

    notifier = make(transport=httpx.MockTransport(refuse), max_attempts=3, rate_limits=())
    result = await notifier.send(note(1))
    assert not result.ok
    assert result.transient
    assert calls == 3
    assert result.detail == "connection failed (ConnectError) after 3 attempts"


async def test_a_failing_message_never_lets_a_later_one_overtake_it(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock, script=deque([503, 429, 500]))
    notifier = make(fake, batch=False, rate_limits=())
    results = await asyncio.gather(*(notifier.send(note(i)) for i in range(4)))
    assert all(result.ok for result in results)
    assert fake.titles() == ["n0", "n1", "n2", "n3"]
    assert results[0].attempts == 4
    assert all(r.attempts == 1 for r in results[1:])


async def test_a_rate_limit_longer_than_allowed_fails_transiently(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(bucket=1, window=120.0, clock=clock)
    notifier = make(fake, rate_limits=(), batch=False, max_retry_after_s=30.0)
    first, second = await asyncio.gather(notifier.send(note(1)), notifier.send(note(2)))
    assert first.ok
    assert not second.ok
    assert second.transient
    assert "retry after 120.0 s" in second.detail


async def test_endless_429s_are_bounded(make: Make, clock: FakeClock) -> None:
    fake = FakeDiscord(clock=clock, script=deque([429] * 50))
    notifier = make(fake, rate_limits=(), max_rate_limited=3)
    result = await notifier.send(note(1))
    assert not result.ok
    assert result.transient
    assert fake.requests == 4


async def test_a_global_rate_limit_holds_every_webhook_sharing_the_gate(
    make: Make, clock: FakeClock
) -> None:
    gate = RateGate()
    limited = FakeDiscord(bucket=1, window=5.0, clock=clock, global_limit=True)
    other = FakeDiscord(clock=clock)
    waking = asyncio.Event()

    async def first_sleep(seconds: float) -> None:
        await waking.wait()  # the first webhook's wait does not move the clock

    first = make(limited, gate=gate, rate_limits=(), batch=False, sleep=first_sleep)
    second = make(other, gate=gate, rate_limits=(), batch=False, name="second")
    assert (await first.send(note(1))).ok
    sending = asyncio.create_task(first.send(note(2)))  # gets a global 429: 5 s
    while limited.rate_limited == 0:
        await asyncio.sleep(0)
    assert gate.blocked_until == pytest.approx(1005.0)
    assert (await second.send(note("other"))).ok
    assert clock.sleeps == [pytest.approx(5.0)]  # the other webhook waited it out too
    waking.set()
    assert (await sending).ok
    assert limited.titles() == ["n1", "n2"]


async def test_error_notifications_carry_the_configured_mention(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock)
    notifier = make(fake, mention_on_error="@here", batch=False)
    await notifier.send(note("ok"))
    await notifier.send(note("bad", Level.ERROR))
    assert "content" not in fake.received[0]
    assert fake.received[0]["allowed_mentions"] == {"parse": []}
    assert fake.received[1]["content"] == "@here"
    assert fake.received[1]["allowed_mentions"]["parse"] == ["users", "roles", "everyone"]


async def test_close_delivers_what_is_queued_and_later_sends_fail(
    make: Make, clock: FakeClock
) -> None:
    fake = FakeDiscord(clock=clock)
    notifier = make(fake, batch=False)
    pending = [asyncio.create_task(notifier.send(note(i))) for i in range(3)]
    await asyncio.sleep(0)
    await notifier.aclose()
    assert all(task.result().ok for task in pending)
    assert fake.titles() == ["n0", "n1", "n2"]
    late = await notifier.send(note(9))
    assert not late.ok
    assert late.detail == "notifier is closed"


async def test_close_gives_up_on_a_stuck_queue_after_its_timeout() -> None:
    release = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(204)

    config = DiscordWebhookConfig(url=SecretStr(webhook_url()), close_timeout_s=0.05, batch=False)
    notifier = DiscordWebhookNotifier(config, transport=httpx.MockTransport(hang))
    pending = [asyncio.create_task(notifier.send(note(i))) for i in range(2)]
    await asyncio.sleep(0.01)
    await notifier.aclose()
    results = await asyncio.gather(*pending)
    assert [r.detail for r in results] == ["closed before delivery"] * 2


async def test_a_cancelled_caller_withdraws_its_notification(make: Make, clock: FakeClock) -> None:
    fake = FakeDiscord(clock=clock, script=deque([503]))
    notifier = make(fake, batch=False, rate_limits=())
    first = asyncio.create_task(notifier.send(note(1)))
    second = asyncio.create_task(notifier.send(note(2)))
    await asyncio.sleep(0)
    second.cancel()
    assert (await first).ok
    await notifier.aclose()
    assert fake.titles() == ["n1"]


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("ftp://discord.test/api/webhooks/1/" + TOKEN, {}),
        ("not a url " + TOKEN, {}),
        (webhook_url(), {"max_attempts": 0}),
        (webhook_url(), {"timeout_s": 0}),
    ],
)
def test_bad_configuration_is_refused_without_showing_the_token(
    url: str, options: dict[str, Any]
) -> None:
    with pytest.raises(NotifierConfigurationError) as caught:
        DiscordWebhookConfig(url=url, **options)  # type: ignore[arg-type]
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"X-RateLimit-Reset-After": "1.5"}, b"", 1.5),
        ({"Retry-After": "3"}, b"", 3.0),
        ({"Retry-After": "3"}, b'{"retry_after": 0.25, "global": false}', 0.25),
        ({}, b"not json", 1.0),  # nothing usable: a second
    ],
)
async def test_429_wait_comes_from_the_body_then_the_headers(
    make: Make, clock: FakeClock, headers: dict[str, str], body: bytes, expected: float
) -> None:
    answers = deque([httpx.Response(429, headers=headers, content=body), httpx.Response(204)])
    notifier = make(
        transport=httpx.MockTransport(lambda request: answers.popleft()), rate_limits=()
    )
    result = await notifier.send(note(1))
    assert result.ok
    assert result.attempts == 2
    assert clock.sleeps == [pytest.approx(expected)]
