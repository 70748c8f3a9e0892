"""Discord webhooks: limits respected, rate limits honoured, bounded retries, in order.

One :class:`DiscordWebhookNotifier` serves one webhook with one sender task and queue:
notifications leave in the order they were sent, and a retried message holds back the
ones behind it, so retries never reorder. Pending notifications are packed into one
message (up to 10 embeds, 6000 characters) so that a backlog drains at ten times the
request rate.

Rate limits: every request first takes a token from each configured bucket (by
default 5 per 2 s, Discord's per-webhook limit, and 30 per 60 s, its per-channel limit:
several webhooks posting to one channel can share a :class:`~.ratelimit.TokenBucket`
through ``channel_bucket``). A response with ``X-RateLimit-Remaining: 0`` holds the
webhook for ``X-RateLimit-Reset-After`` seconds. An HTTP 429 is waited out for its
``retry_after`` (JSON body, seconds), else ``X-RateLimit-Reset-After`` or
``Retry-After``; with ``global: true`` every webhook sharing the :class:`RateGate`
waits. HTTP 5xx, timeouts and connection errors are retried with exponential back-off
and jitter, up to ``max_attempts`` requests; other 4xx answers (400, 401, 404...) fail
at once. Whatever happens, :meth:`DiscordWebhookNotifier.send` returns a
:class:`~._model.DeliveryResult` and the webhook's token never appears in a log line,
a repr or a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random as _random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from ._model import DeliveryResult, Level, Notification, NotifierConfigurationError
from ._redact import install_http_log_redaction, redact
from .discord_payload import (
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    embed_for,
    embed_length,
    message_payload,
)
from .ratelimit import Backoff, Clock, RateGate, RateLimit, Sleep, TokenBucket

__all__ = ["DEFAULT_DISCORD_RATE_LIMITS", "DiscordWebhookConfig", "DiscordWebhookNotifier"]

log = logging.getLogger("tracktion.notify.discord")

DEFAULT_DISCORD_RATE_LIMITS = (RateLimit(5, 2.0), RateLimit(30, 60.0))
"""Discord's documented webhook limits: 5 requests per 2 s, 30 messages per minute."""

_DETAIL_LIMIT = 300


@dataclass(frozen=True)
class DiscordWebhookConfig:
    """One Discord webhook and how to post to it.

    Attributes:
        url: ``https://discord.com/api/webhooks/<id>/<token>``; the token is a secret
            (kept as :class:`~pydantic.SecretStr`, never shown).
        name: Label in logs and results; default ``discord:<id>``.
        username: Overrides the webhook's display name (cut to 80 characters).
        mention_on_error: Message content for ``error`` notifications, such as
            ``@here`` or ``<@&role-id>``; mentions ping only then.
        rate_limits: Token buckets every request takes from.
        max_attempts: Requests per message for 5xx/timeouts/connection errors (>= 1).
        max_rate_limited: HTTP 429 answers tolerated per message before failing.
        max_retry_after_s: Longest rate-limit wait accepted; a longer one fails the
            message (transiently) instead of stalling the queue.
        backoff: Delays between retries of 5xx and connection errors.
        timeout_s: Per-request timeout, seconds.
        close_timeout_s: How long :meth:`DiscordWebhookNotifier.aclose` lets the queue
            drain, seconds.
        batch: Pack pending notifications into one message (up to 10 embeds).

    Raises:
        NotifierConfigurationError: the URL is not an http(s) URL with a host, or a
            number is out of range (the message never shows the URL).
    """

    url: SecretStr
    name: str | None = None
    username: str | None = None
    mention_on_error: str | None = None
    rate_limits: tuple[RateLimit, ...] = DEFAULT_DISCORD_RATE_LIMITS
    max_attempts: int = 5
    max_rate_limited: int = 10
    max_retry_after_s: float = 60.0
    backoff: Backoff = field(default_factory=Backoff)
    timeout_s: float = 10.0
    close_timeout_s: float = 10.0
    batch: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.url, str):
            object.__setattr__(self, "url", SecretStr(self.url))
        try:
            url = httpx.URL(self.url.get_secret_value())
        except (httpx.InvalidURL, TypeError):
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise NotifierConfigurationError(
                f"Discord webhook {self.label!r}: the URL must be an http(s) URL with a host"
            )
        for name in ("max_attempts", "max_rate_limited"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise NotifierConfigurationError(f"{name} must be at least 1, not {value!r}")
        for name in ("max_retry_after_s", "timeout_s", "close_timeout_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise NotifierConfigurationError(f"{name} must be positive, not {value!r}")

    @property
    def label(self) -> str:
        """``name``, or ``discord:<webhook id>`` (the id is not secret; the token is)."""
        if self.name:
            return self.name
        try:
            parts = httpx.URL(self.url.get_secret_value()).path.strip("/").split("/")
        except (httpx.InvalidURL, TypeError):
            return "discord"
        if len(parts) >= 2 and parts[-3:-2] == ["webhooks"]:
            return f"discord:{parts[-2]}"
        return "discord"


@dataclass(eq=False)
class _Item:
    embed: dict[str, Any]
    level: Level
    future: asyncio.Future[DeliveryResult]


_STOP = object()


class DiscordWebhookNotifier:
    """Posts notifications to one Discord webhook, in order, within its limits.

    ``transport`` replaces httpx's network transport (tests pass
    :class:`httpx.MockTransport`); ``client`` replaces the whole client (then it is not
    closed here). ``gate`` is shared by webhooks that share Discord's global limit;
    ``channel_bucket`` by webhooks posting to one channel. ``clock``, ``sleep`` and
    ``random`` are injectable for tests.
    """

    def __init__(
        self,
        config: DiscordWebhookConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        client: httpx.AsyncClient | None = None,
        gate: RateGate | None = None,
        channel_bucket: TokenBucket | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        install_http_log_redaction()
        self.config = config
        self.name = config.label
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            transport=transport, timeout=config.timeout_s, follow_redirects=False
        )
        self._gate = gate or RateGate()
        self._buckets = [TokenBucket(limit, clock) for limit in config.rate_limits]
        if channel_bucket is not None:
            self._buckets.append(channel_bucket)
        self._clock = clock
        self._sleep = sleep
        self._random = random
        self._blocked_until = 0.0
        self._queue: asyncio.Queue[_Item | object] = asyncio.Queue()
        self._held: deque[_Item | object] = deque()
        self._in_flight: list[_Item] = []
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"DiscordWebhookNotifier(name={self.name!r})"

    async def send(self, notification: Notification) -> DeliveryResult:
        """Queue ``notification`` behind those sent before; return once it is delivered
        or has failed (after the bounded retries). Never raises for delivery problems.

        A caller cancelled while waiting withdraws its notification if it has not left.
        """
        if self._closed:
            return DeliveryResult.failed(
                self.name, "notifier is closed", attempts=0, transient=True
            )
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name=f"notify {self.name}")
        future: asyncio.Future[DeliveryResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(embed_for(notification), notification.level, future))
        return await future

    async def aclose(self) -> None:
        """Deliver what is queued (up to ``close_timeout_s``), fail the rest, release."""
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._queue.put_nowait(_STOP)
            done, _ = await asyncio.wait({self._worker}, timeout=self.config.close_timeout_s)
            if not done:
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker
        leftovers = [*self._in_flight, *self._held]
        while not self._queue.empty():
            leftovers.append(self._queue.get_nowait())
        for item in leftovers:
            if isinstance(item, _Item) and not item.future.done():
                item.future.set_result(
                    DeliveryResult.failed(
                        self.name, "closed before delivery", attempts=0, transient=True
                    )
                )
        if self._owns_client:
            await self._client.aclose()

    # -- the sender ---------------------------------------------------------------------

    async def _next(self) -> _Item | object:
        return self._held.popleft() if self._held else await self._queue.get()

    async def _next_batch(self) -> list[_Item] | None:
        while True:
            first = await self._next()
            if first is _STOP:
                return None
            assert isinstance(first, _Item)
            if not first.future.done():  # a cancelled caller withdrew it
                break
        batch, size = [first], embed_length(first.embed)
        while self.config.batch and len(batch) < EMBEDS_PER_MESSAGE:
            try:
                item = self._held.popleft() if self._held else self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if isinstance(item, _Item) and item.future.done():
                continue
            if not isinstance(item, _Item) or size + embed_length(item.embed) > EMBED_TOTAL_LIMIT:
                self._held.appendleft(item)
                break
            batch.append(item)
            size += embed_length(item.embed)
        return batch

    async def _run(self) -> None:
        while (batch := await self._next_batch()) is not None:
            self._in_flight = batch
            try:
                result = await self._deliver(batch)
            except Exception as exc:  # a bug must not strand the callers
                log.exception("%s: delivery raised %s", self.name, type(exc).__name__)
                result = DeliveryResult.failed(
                    self.name, f"delivery raised {type(exc).__name__}", transient=False
                )
            for item in batch:
                if not item.future.done():
                    item.future.set_result(result)
            self._in_flight = []

    def _payload(self, batch: list[_Item]) -> dict[str, Any]:
        mention = self.config.mention_on_error
        alert = bool(mention) and any(item.level is Level.ERROR for item in batch)
        return message_payload(
            [item.embed for item in batch],
            content=mention if alert else None,
            username=self.config.username,
            mention=alert,
        )

    async def _wait_turn(self) -> None:
        while (wait := max(self._blocked_until, self._gate.blocked_until) - self._clock()) > 0:
            await self._sleep(wait)
        wait = max(bucket.reserve() for bucket in self._buckets) if self._buckets else 0.0
        if wait > 0:
            await self._sleep(wait)

    async def _deliver(self, batch: list[_Item]) -> DeliveryResult:
        payload = self._payload(batch)
        url = self.config.url.get_secret_value()
        requests = failures = limited = 0
        while True:
            await self._wait_turn()
            requests += 1
            try:
                response = await self._client.post(url, json=payload)
            except httpx.TransportError as exc:
                failures += 1
                reason = f"connection failed ({type(exc).__name__})"
                if failures >= self.config.max_attempts:
                    return self._failed(f"{reason} after {requests} attempts", requests, True)
                await self._retry_later(reason, failures)
                continue
            status = response.status_code
            if response.is_success:
                self._observe_bucket(response)
                log.debug("%s: delivered %d embed(s)", self.name, len(batch))
                return DeliveryResult.delivered(self.name, requests)
            if status == 429:
                limited += 1
                wait, is_global = _retry_after(response)
                if wait > self.config.max_retry_after_s or limited > self.config.max_rate_limited:
                    return self._failed(
                        f"rate limited by Discord {limited} times (retry after {wait:.1f} s; "
                        f"at most {self.config.max_retry_after_s:.1f} s and "
                        f"{self.config.max_rate_limited} times are waited for)",
                        requests,
                        True,
                    )
                log.info(
                    "%s: rate limited%s, waiting %.3f s",
                    self.name,
                    " (global)" if is_global else "",
                    wait,
                )
                until = self._clock() + wait
                if is_global:
                    self._gate.block(until)
                self._blocked_until = max(self._blocked_until, until)
                continue
            if status >= 500 or status == 408:
                failures += 1
                if failures >= self.config.max_attempts:
                    return self._failed(f"HTTP {status} after {requests} attempts", requests, True)
                await self._retry_later(f"HTTP {status}", failures)
                continue
            return self._failed(
                f"HTTP {status} (not retried){_discord_error(response)}", requests, False
            )

    def _failed(self, detail: str, attempts: int, transient: bool) -> DeliveryResult:
        detail = redact(detail, [self.config.url.get_secret_value()])
        log.warning("%s: notification not delivered: %s", self.name, detail)
        return DeliveryResult.failed(self.name, detail, attempts=attempts, transient=transient)

    async def _retry_later(self, reason: str, failures: int) -> None:
        delay = self.config.backoff.delay(failures, self._random)
        log.info("%s: %s; retry %d in %.3f s", self.name, reason, failures, delay)
        await self._sleep(delay)

    def _observe_bucket(self, response: httpx.Response) -> None:
        # Discord announces an exhausted bucket before the next request would get a 429.
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = _seconds(response.headers.get("X-RateLimit-Reset-After"))
            if reset is not None:
                self._blocked_until = max(self._blocked_until, self._clock() + reset)


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


_DEFAULT_RETRY_AFTER_S = 1.0


def _retry_after(response: httpx.Response) -> tuple[float, bool]:
    """Seconds to wait after a 429, and whether the limit is global."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = response.json()
    body = body if isinstance(body, dict) else {}
    headers = response.headers
    is_global = (
        body.get("global") is True
        or headers.get("X-RateLimit-Global", "").lower() == "true"
        or headers.get("X-RateLimit-Scope", "").lower() == "global"
    )
    for candidate in (
        body.get("retry_after"),
        headers.get("X-RateLimit-Reset-After"),
        headers.get("Retry-After"),
    ):
        seconds = _seconds(candidate)
        if seconds is not None:
            return seconds, is_global
    return _DEFAULT_RETRY_AFTER_S, is_global


def _discord_error(response: httpx.Response) -> str:
    """``: <Discord's message> (code N)`` from an error body, short and secret-free."""
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            code = body.get("code")
            text = body["message"] + (f" (code {code})" if isinstance(code, int) else "")
            return ": " + redact(text)[:_DETAIL_LIMIT]
    return ""
