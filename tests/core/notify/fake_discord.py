"""A stand-in for Discord's "Execute Webhook" endpoint, for httpx.MockTransport or a real
local HTTP server: it validates payloads against Discord's documented limits (written
here independently of the library's payload builder), answers 204, and rate limits with
429 + ``retry_after`` like Discord does. Every request is kept in ``history`` with its
arrival time, so a test can check how long a client waited after a 429."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.local_http import reply, serving

WEBHOOK_ID = "112233445566778899"
TOKEN = "tOkEn-Secret_abcdefghijklmnopqrstuvwxyz0123456789"
PATH = re.compile(r"^/api/webhooks/(\d+)/([\w-]+)$")


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def payload_errors(payload: Any) -> list[str]:
    """Every way ``payload`` breaks Discord's limits (empty when valid)."""
    if not isinstance(payload, dict):
        return ["payload is not an object"]
    errors: list[str] = []
    content = payload.get("content")
    embeds = payload.get("embeds", [])
    if content is not None and (not isinstance(content, str) or units(content) > 2000):
        errors.append("content over 2000")
    if not content and not embeds:
        errors.append("empty message")
    if "username" in payload and not 1 <= units(payload["username"]) <= 80:
        errors.append("username length")
    if len(embeds) > 10:
        errors.append("more than 10 embeds")
    total = sum(_embed_errors(n, embed, errors) for n, embed in enumerate(embeds))
    if total > 6000:
        errors.append(f"embeds total {total} over 6000")
    return errors


def _embed_errors(n: int, embed: dict[str, Any], errors: list[str]) -> int:
    """Append the embed's errors; return its characters counted towards the 6000."""
    total = 0
    for key, limit in (("title", 256), ("description", 4096)):
        value = embed.get(key, "")
        total += units(value)
        if units(value) > limit:
            errors.append(f"embeds.{n}.{key} over {limit}")
    for key, inner, limit in (("footer", "text", 2048), ("author", "name", 256)):
        if key in embed:
            text = embed[key].get(inner, "")
            total += units(text)
            if not 1 <= units(text) <= limit:
                errors.append(f"embeds.{n}.{key} length")
    fields = embed.get("fields", [])
    if len(fields) > 25:
        errors.append(f"embeds.{n} has more than 25 fields")
    for m, item in enumerate(fields):
        name, value = item.get("name", ""), item.get("value", "")
        total += units(name) + units(value)
        if not 1 <= units(name) <= 256 or not 1 <= units(value) <= 1024:
            errors.append(f"embeds.{n}.fields.{m} length")
    if "color" in embed and not 0 <= embed["color"] <= 0xFFFFFF:
        errors.append(f"embeds.{n}.color")
    return total


@dataclass(frozen=True)
class Hit:
    """One request to the webhook as the stand-in saw it.

    Attributes:
        at: Arrival time, by the stand-in's ``clock`` (``time.monotonic`` by default,
            which other processes on this machine share).
        status: The answer's HTTP status.
        retry_after: The ``retry_after`` of a 429 answer, seconds.
        titles: The embed titles of an accepted message.
    """

    at: float
    status: int
    retry_after: float | None = None
    titles: tuple[str, ...] = ()


@dataclass
class FakeDiscord:
    """Discord's webhook endpoint, thread-safe.

    ``bucket`` requests are allowed per ``window`` seconds (by ``clock``); past that a
    429 says how long to wait. ``script`` holds status codes to answer first, one per
    request, before behaving normally (503, 500, 429...). ``burst`` requests to the
    webhook are answered first with the 429 Discord sends, body and headers, asking to
    wait ``burst_retry_after`` seconds (before ``script``).
    """

    bucket: int | None = None
    window: float = 2.0
    clock: Callable[[], float] = time.monotonic
    global_limit: bool = False
    script: deque[int] = field(default_factory=deque)
    announce_remaining: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    rate_limited: int = 0
    invalid: list[list[str]] = field(default_factory=list)
    burst: int = 0
    burst_retry_after: float = 1.0
    history: list[Hit] = field(default_factory=list)
    _window_start: float | None = None
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def titles(self) -> list[str]:
        return [embed["title"] for payload in self.received for embed in payload["embeds"]]

    def respond(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            arrived = self.clock()
            received = len(self.received)
            status, headers, answer = self._respond(method, path, body, arrived)
            retry_after = json.loads(answer)["retry_after"] if status == 429 else None
            titles: tuple[str, ...] = ()
            if len(self.received) > received:
                embeds = self.received[-1].get("embeds", [])
                titles = tuple(embed.get("title", "") for embed in embeds)
            self.history.append(Hit(arrived, status, retry_after, titles))
            return status, headers, answer

    def _respond(
        self, method: str, path: str, body: bytes, now: float
    ) -> tuple[int, dict[str, str], bytes]:
        """The answer to one request (the caller holds the lock)."""
        self.requests += 1
        match = PATH.match(path)
        if method != "POST" or match is None or match.group(2) != TOKEN:
            return _json(404, {"message": "Unknown Webhook", "code": 10015})
        if self.burst:
            self.burst -= 1
            self.rate_limited += 1
            return _discord_429(self.burst_retry_after)
        if self.script:
            status = self.script.popleft()
            if status == 429:
                self.rate_limited += 1
                return _json(
                    429,
                    {"message": "rate limited", "retry_after": 0.01, "global": False},
                    {"Retry-After": "1"},
                )
            return _json(status, {"message": "scripted", "code": 0})
        if self.bucket is not None:
            if self._window_start is None or now - self._window_start >= self.window:
                self._window_start, self._used = now, 0
            if self._used >= self.bucket:
                self.rate_limited += 1
                reset = round(self._window_start + self.window - now, 6)
                return _json(
                    429,
                    {
                        "message": "You are being rate limited.",
                        "retry_after": reset,
                        "global": self.global_limit,
                    },
                    {"X-RateLimit-Reset-After": str(reset), "X-RateLimit-Remaining": "0"},
                )
            self._used += 1
        try:
            payload = json.loads(body)
        except ValueError:
            return _json(400, {"message": "Cannot send an empty message", "code": 50006})
        errors = payload_errors(payload)
        if errors:
            self.invalid.append(errors)
            return _json(400, {"message": "Invalid Form Body", "code": 50035})
        self.received.append(payload)
        headers: dict[str, str] = {}
        if self.announce_remaining and self.bucket is not None and self._window_start:
            left = self.bucket - self._used
            headers["X-RateLimit-Remaining"] = str(left)
            headers["X-RateLimit-Reset-After"] = str(
                round(self._window_start + self.window - now, 6)
            )
        return 204, headers, b""

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            method, path = request.method, request.url.path
            status, headers, body = self.respond(method, path, request.content)
            return httpx.Response(status, headers=headers, content=body)

        return httpx.MockTransport(handle)


def _discord_429(retry_after: float) -> tuple[int, dict[str, str], bytes]:
    """A 429 as Discord sends it: the wait in the body (seconds, fractional) and in the
    headers (``Retry-After`` whole seconds, rounded up; the bucket's ``X-RateLimit-*``)."""
    return _json(
        429,
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
        {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "5b1d9e2c3a4f6e7d8c9b0a1f2e3d4c5b",
            "X-RateLimit-Scope": "user",
        },
    )


def webhook_url(base: str = "https://discord.test") -> str:
    return f"{base}/api/webhooks/{WEBHOOK_ID}/{TOKEN}"


def _json(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


class FakeClock:
    """Monotonic time that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        import asyncio

        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class DiscordHTTPServer:
    """``fake`` served by a real HTTP server on 127.0.0.1 in a thread."""

    def __init__(self, fake: FakeDiscord) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                status, headers, body = fake.respond("POST", self.path, self.rfile.read(length))
                reply(self, status, body, headers)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._serving = serving(self.server)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> DiscordHTTPServer:
        self._serving.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._serving.__exit__(None, None, None)
