"""Polite fetching of 1001tracklists pages: robots.txt, a pause between requests, a cache.

::

    async with TracklistFetcher(cache_dir=Path("~/.cache/tracktion/pages").expanduser()) as f:
        result = await f.import_url("https://www.1001tracklists.com/tracklist/...")

Every request to a host waits until ``min_interval_s`` (3 s at least for
1001tracklists.com, whatever is configured) has passed since the previous one to that
host, robots.txt included. That pause is kept by each fetcher for its own requests; to
keep it across several fetchers (the API's and the tracklist service's, in one process or
in many), give them one shared :class:`~tracktion.core.cache.Cache` as ``pacing``: before
each request a fetcher then reserves the host's slot in it (``add`` of the key
``tracklists-pace:<host>`` with the interval as its TTL) and waits while another fetcher
holds it, so that at most one request per interval goes to a host from all of them
together. robots.txt is read once per host and obeyed for the configured user agent.
Pages are cached in ``cache_dir`` (one file per URL, written atomically) and served from
there without any request until ``cache_ttl_s`` passes.
Refusals (robots.txt, HTTP 403/429, captcha pages) raise :class:`TracklistBlockedError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time
import urllib.robotparser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import anyio
import httpx

from ..cache import Cache
from ..errors import BackendError, ConfigurationError
from .errors import TracklistBlockedError, TracklistFetchError
from .html1001 import blocked_reason, parse_1001_page
from .model import ImportResult

__all__ = [
    "DEFAULT_USER_AGENT",
    "PACING_NAMESPACE",
    "PROTECTED_HOST_MIN_INTERVAL_S",
    "FetchedPage",
    "TracklistFetcher",
]

DEFAULT_USER_AGENT = "tracktion-tracklists/1.0 (+https://github.com/tracktion)"
PROTECTED_HOST_MIN_INTERVAL_S = 3.0
"""The least pause between two requests to 1001tracklists.com, in seconds."""
PACING_NAMESPACE = "tracklists-pace"
"""The namespace of the hosts' slots in a ``pacing`` cache: the key of a host is
``tracklists-pace:<host>`` (the host name in lower case, without the port), with an empty
value that expires when the host may be asked again."""
_PACE_POLL_S = 0.1
"""The longest wait between two attempts to reserve a host's slot, in seconds."""
_PROTECTED_DOMAIN = "1001tracklists.com"
_MAX_PAGE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A page's HTML and whether it came from the cache."""

    url: str
    html: str
    from_cache: bool


def _is_protected(host: str) -> bool:
    return host == _PROTECTED_DOMAIN or host.endswith("." + _PROTECTED_DOMAIN)


class TracklistFetcher:
    """Fetches and caches tracklist pages, obeying robots.txt and a pause per host.

    Args:
        cache_dir: Directory of the page cache (created on first write).
        user_agent: Sent with every request and matched against robots.txt.
        min_interval_s: Least pause between two requests to one host, in seconds
            (>= 0); 1001tracklists.com always gets at least 3 s.
        cache_ttl_s: How long a cached page is served, in seconds; ``None`` for ever.
        timeout_s: Timeout of each request, in seconds.
        transport: The httpx transport (tests, proxies); default: the network.
        clock: Monotonic seconds (tests inject a fake one).
        sleep: Awaitable pause in seconds (tests inject a fake one); also the pause
            between two attempts to reserve a host's slot in ``pacing``.
        pacing: A cache shared by every fetcher that must keep the pause together (the
            system's cache: in process, or Redis across processes); ``None``: this
            fetcher keeps the pause for its own requests only. Before each request to a
            host with a pause above 0, the fetcher adds the key of :data:`PACING_NAMESPACE`
            for the host, with the pause as TTL, and while another fetcher holds it tries
            again every ``min(0.1, pause / 10)`` seconds, without limit. So at most one
            request per pause goes to a host from all the fetchers sharing the cache,
            counted from the start of each request; each fetcher still waits the pause
            after its own previous request too, so an entry the cache loses (eviction, a
            server restart) can let another fetcher in early, never the same one twice.

    Raises:
        ConfigurationError: a negative or infinite interval, a negative TTL, or a
            non-positive timeout.
    """

    def __init__(
        self,
        *,
        cache_dir: Path,
        user_agent: str = DEFAULT_USER_AGENT,
        min_interval_s: float = PROTECTED_HOST_MIN_INTERVAL_S,
        cache_ttl_s: float | None = None,
        timeout_s: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        pacing: Cache | None = None,
    ) -> None:
        if not (0 <= min_interval_s < math.inf) or (cache_ttl_s is not None and cache_ttl_s < 0):
            raise ConfigurationError("min_interval_s must be finite and >= 0, and cache_ttl_s >= 0")
        if timeout_s <= 0:
            raise ConfigurationError(f"timeout_s must be > 0, not {timeout_s}")
        self.cache_dir = cache_dir
        self.user_agent = user_agent
        self.min_interval_s = min_interval_s
        self.cache_ttl_s = cache_ttl_s
        self.pacing = pacing
        """The cache whose pace this fetcher shares, if any (see ``pacing`` above)."""
        self._clock = clock
        self._sleep = sleep
        self._pace = None if pacing is None else pacing.namespace(PACING_NAMESPACE)
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout_s,
            follow_redirects=True,
            headers={"User-Agent": user_agent, "Accept": "text/html,*/*;q=0.5"},
        )
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._lock = anyio.Lock()
        self.requests = 0
        """Requests sent so far (robots.txt included)."""

    def interval_for(self, host: str) -> float:
        """The pause, in seconds, kept between two requests to ``host``."""
        if _is_protected(host.lower()):
            return max(self.min_interval_s, PROTECTED_HOST_MIN_INTERVAL_S)
        return self.min_interval_s

    async def fetch(self, url: str, *, refresh: bool = False) -> FetchedPage:
        """The page at ``url``, from the cache when fresh (unless ``refresh``).

        Raises:
            TracklistBlockedError: robots.txt disallows the URL, or the site answered 403,
                429 or a captcha page.
            TracklistFetchError: not an http(s) URL, a network failure, another error
                status, a page larger than 8 MiB, or a ``pacing`` cache that fails (no
                request is sent then).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TracklistFetchError(url, "not an http(s) URL")
        if not refresh:
            cached = self._read_cache(url)
            if cached is not None:
                return FetchedPage(url, cached, from_cache=True)
        async with self._lock:
            robots = await self._robots_for(parts.scheme, parts.netloc, parts.hostname)
            if not robots.can_fetch(self.user_agent, url):
                raise TracklistBlockedError(
                    url, f"robots.txt disallows this page for user agent {self.user_agent!r}"
                )
            response = await self._get(url, parts.hostname)
        if response.status_code in (403, 429):
            retry = response.headers.get("Retry-After")
            hint = f"; retry after {retry} s" if retry else ""
            raise TracklistBlockedError(
                url, f"the site refused the request (HTTP {response.status_code}){hint}"
            )
        if response.status_code != 200:
            raise TracklistFetchError(url, f"HTTP {response.status_code}")
        if len(response.content) > _MAX_PAGE_BYTES:
            raise TracklistFetchError(url, f"the page is larger than {_MAX_PAGE_BYTES} bytes")
        html = response.text
        reason = blocked_reason(html)
        if reason is not None:
            raise TracklistBlockedError(url, reason)
        self._write_cache(url, html)
        return FetchedPage(url, html, from_cache=False)

    async def import_url(self, url: str, *, refresh: bool = False) -> ImportResult:
        """Fetch a 1001tracklists page (see :meth:`fetch`) and read its tracklist.

        Raises:
            TracklistBlockedError, TracklistFetchError: see :meth:`fetch`.
            TracklistPageError: the page holds no tracklist (the message names the URL).
        """
        page = await self.fetch(url, refresh=refresh)
        return parse_1001_page(page.html, url=url)

    async def _get(self, url: str, host: str) -> httpx.Response:
        wait = self.interval_for(host)
        last = self._last_request.get(host)
        if last is not None:
            remaining = wait - (self._clock() - last)
            if remaining > 0:
                await self._sleep(remaining)
        if self._pace is not None and wait > 0:
            await self._reserve(self._pace, url, host.lower(), wait)
        self.requests += 1
        try:
            return await self._client.get(url)
        except httpx.HTTPError as exc:
            raise TracklistFetchError(url, f"request failed: {exc}") from exc
        finally:
            self._last_request[host] = self._clock()

    async def _reserve(self, pace: Cache, url: str, host: str, interval: float) -> None:
        """Wait until this fetcher holds ``host``'s slot in the shared pace."""
        poll = min(_PACE_POLL_S, interval / 10)
        try:
            while not await pace.add(host, b"", ttl=interval):
                await self._sleep(poll)
        except BackendError as exc:
            # Without the shared pace, a request could crowd another fetcher's: send none.
            raise TracklistFetchError(
                url, f"the pace shared with other fetchers is unavailable: {exc}"
            ) from exc

    async def _robots_for(
        self, scheme: str, netloc: str, host: str
    ) -> urllib.robotparser.RobotFileParser:
        key = f"{scheme}://{netloc}"
        if key in self._robots:
            return self._robots[key]
        robots_url = f"{key}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        response = await self._get(robots_url, host)
        if response.status_code in (401, 403) or response.status_code >= 500:
            # RFC 9309: an unreachable robots.txt means "disallow everything".
            parser.parse(["User-agent: *", "Disallow: /"])
        elif 400 <= response.status_code < 500:
            parser.parse([])  # no robots.txt: everything is allowed
        else:
            parser.parse(response.text.splitlines())
        self._robots[key] = parser
        return parser

    def _cache_path(self, url: str) -> Path:
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()}.json"

    def _read_cache(self, url: str) -> str | None:
        path = self._cache_path(url)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("url") != url:
            return None
        html, fetched_at = stored.get("html"), stored.get("fetched_at")
        if not isinstance(html, str) or not isinstance(fetched_at, int | float):
            return None
        if self.cache_ttl_s is not None and time.time() - fetched_at > self.cache_ttl_s:
            return None
        return html

    def _write_cache(self, url: str, html: str) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        target = self._cache_path(url)
        payload = json.dumps({"url": url, "fetched_at": time.time(), "html": html})
        handle, temporary = tempfile.mkstemp(dir=self.cache_dir, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(payload)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
