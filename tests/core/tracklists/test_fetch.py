"""Fetching pages from a local HTTP server: robots.txt, pauses (one fetcher's, and one
shared by several through a cache), cache, refusals."""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from time import monotonic

import anyio
import httpx
import pytest

from tests.local_http import PageServer, serving
from tracktion.core.cache import MemoryCache, RedisCache
from tracktion.core.errors import BackendUnavailableError, ConfigurationError
from tracktion.core.tracklists import (
    PACING_NAMESPACE,
    TracklistBlockedError,
    TracklistFetcher,
    TracklistFetchError,
    TracklistPageError,
    import_source,
)

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data"
ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: BadBot\nDisallow: /\n"
PAGES = {
    "/tracklist/good.html": (200, (DATA / "1001_page.html").read_bytes(), {}),
    "/tracklist/redesign.html": (200, (DATA / "1001_redesign.html").read_bytes(), {}),
    "/tracklist/captcha.html": (200, (DATA / "1001_captcha.html").read_bytes(), {}),
    "/tracklist/forbidden.html": (403, b"<h1>Forbidden</h1>", {}),
    "/tracklist/busy.html": (429, b"slow down", {"Retry-After": "60"}),
    "/private/set.html": (200, (DATA / "1001_page.html").read_bytes(), {}),
    "/robots.txt": (200, ROBOTS, {}),
}


Site = PageServer


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site(PAGES)
    with serving(served.server):
        yield served


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fetcher(tmp_path: Path, time: FakeTime | None = None, **options: object) -> TracklistFetcher:
    time = time or FakeTime()
    return TracklistFetcher(
        cache_dir=tmp_path / "pages",
        clock=time.clock,
        sleep=time.sleep,
        **options,  # type: ignore[arg-type]
    )


async def test_imports_a_page_and_serves_it_again_from_the_cache(
    site: Site, tmp_path: Path
) -> None:
    url = site.url + "/tracklist/good.html"
    async with fetcher(tmp_path) as first:
        result = await first.import_url(url)
        assert len(result.tracklist.entries) == 5
        assert result.tracklist.source_url == url
    async with fetcher(tmp_path) as second:
        page = await second.fetch(url)
        assert page.from_cache
        assert second.requests == 0
        refreshed = await second.fetch(url, refresh=True)
        assert not refreshed.from_cache
    assert site.hits[url.removeprefix(site.url)] == 2
    assert site.hits["/robots.txt"] == 2  # once per fetcher that went to the network


async def test_waits_the_minimum_interval_between_requests(site: Site, tmp_path: Path) -> None:
    time = FakeTime()
    async with fetcher(tmp_path, time, min_interval_s=3.0) as polite:
        await polite.fetch(site.url + "/tracklist/good.html")  # robots.txt, then the page
        await polite.fetch(site.url + "/tracklist/good.html", refresh=True)
        time.now += 10.0  # long after the last request: no pause needed
        await polite.fetch(site.url + "/tracklist/good.html", refresh=True)
    assert polite.requests == 4
    assert time.sleeps == [pytest.approx(3.0), pytest.approx(3.0)]


def test_the_real_host_never_gets_less_than_three_seconds(tmp_path: Path) -> None:
    eager = TracklistFetcher(cache_dir=tmp_path, min_interval_s=0.0)
    assert eager.interval_for("www.1001tracklists.com") == 3.0
    assert eager.interval_for("1001tracklists.com") == 3.0
    assert eager.interval_for("127.0.0.1") == 0.0
    slower = TracklistFetcher(cache_dir=tmp_path, min_interval_s=5.0)
    assert slower.interval_for("www.1001tracklists.com") == 5.0
    with pytest.raises(ConfigurationError):
        TracklistFetcher(cache_dir=tmp_path, min_interval_s=-1.0)


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/private/set.html", TracklistBlockedError, "robots.txt disallows this page"),
        ("/tracklist/forbidden.html", TracklistBlockedError, r"refused the request \(HTTP 403\)"),
        ("/tracklist/busy.html", TracklistBlockedError, r"HTTP 429\); retry after 60 s"),
        ("/tracklist/captcha.html", TracklistBlockedError, "captcha page"),
        ("/tracklist/missing.html", TracklistFetchError, "HTTP 404"),
        ("/tracklist/redesign.html", TracklistPageError, "no tracklist found"),
    ],
)
async def test_refusals_and_failures_are_clear_errors_naming_the_url(
    site: Site, tmp_path: Path, path: str, error: type[Exception], message: str
) -> None:
    url = site.url + path
    async with fetcher(tmp_path) as polite:
        with pytest.raises(error, match=message) as caught:
            await polite.import_url(url)
    assert str(caught.value).startswith(url + ": ")
    assert not (tmp_path / "pages").exists() or path == "/tracklist/redesign.html"


async def test_robots_txt_rules_for_the_user_agent(site: Site, tmp_path: Path) -> None:
    async with fetcher(tmp_path, user_agent="BadBot") as bad:
        with pytest.raises(TracklistBlockedError, match=r"robots\.txt"):
            await bad.fetch(site.url + "/tracklist/good.html")
    assert site.hits["/tracklist/good.html"] == 0


async def test_unreachable_hosts_and_non_http_urls(tmp_path: Path) -> None:
    async with fetcher(tmp_path, timeout_s=2.0) as polite:
        with pytest.raises(TracklistFetchError, match="not an http"):
            await polite.fetch("ftp://example.org/x")
        with pytest.raises(TracklistFetchError, match="request failed"):
            await polite.fetch("http://127.0.0.1:9/tracklist.html")


async def test_import_source_takes_paths_and_urls(site: Site, tmp_path: Path) -> None:
    local = tmp_path / "set.txt"
    local.write_text("[00:00] A - B\n")
    assert (await import_source(str(local))).tracklist.entries[0].artist == "A"
    async with fetcher(tmp_path) as polite:
        fetched = await import_source(site.url + "/tracklist/good.html", fetcher=polite)
    assert len(fetched.tracklist.entries) == 5


# A pace shared through a cache (``pacing``): several fetchers, one request per interval.

PAGE = "/tracklist/good.html"
LOCAL_PACE_KEY = f"{PACING_NAMESPACE}:127.0.0.1"


class Recording(httpx.AsyncBaseTransport):
    """The network, noting in ``sent`` when (on ``clock``) each request leaves, and its path."""

    def __init__(self, clock: Callable[[], float], sent: list[tuple[float, str]]) -> None:
        self._clock = clock
        self._network = httpx.AsyncHTTPTransport()
        self.sent = sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self._clock(), request.url.path))
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        await self._network.aclose()


class SharedTime(FakeTime):
    """A fake clock for fetchers that run concurrently: a sleep also lets the others run."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        await anyio.sleep(0)


def gaps(sent: list[tuple[float, str]]) -> list[float]:
    """The time between each request and the next, in the order they left."""
    times = sorted(when for when, _ in sent)
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def fetch_three_times(polite: TracklistFetcher, url: str) -> None:
    """robots.txt and the page, then the page twice more: four requests."""
    await polite.fetch(url)
    await polite.fetch(url, refresh=True)
    await polite.fetch(url, refresh=True)


async def test_fetchers_sharing_a_cache_keep_one_pace_per_host(site: Site, tmp_path: Path) -> None:
    time = SharedTime()
    pace = MemoryCache(clock=time.clock)
    sent: list[tuple[float, str]] = []
    fetchers = [
        fetcher(
            tmp_path / name,
            time,
            min_interval_s=3.0,
            pacing=pace,
            transport=Recording(time.clock, sent),
        )
        for name in ("api", "service")
    ]
    async with fetchers[0], fetchers[1], anyio.create_task_group() as group:
        for polite in fetchers:
            group.start_soon(fetch_three_times, polite, site.url + PAGE)
    assert len(sent) == 8
    assert min(gaps(sent)) >= 3.0 - 1e-9
    assert await pace.get(LOCAL_PACE_KEY) == b""  # the documented key, in the namespace
    # The fetcher that found the slot taken polled for it in steps of 0.1 s.
    assert pytest.approx(0.1) in time.sleeps


async def test_without_pacing_each_fetcher_keeps_only_its_own_pace(
    site: Site, tmp_path: Path
) -> None:
    time = SharedTime()
    sent: list[tuple[float, str]] = []
    by_fetcher: list[list[tuple[float, str]]] = [[], []]
    fetchers = [
        fetcher(tmp_path / name, time, min_interval_s=3.0, transport=Recording(time.clock, own))
        for name, own in zip(("api", "service"), by_fetcher, strict=True)
    ]
    async with fetchers[0], fetchers[1], anyio.create_task_group() as group:
        for polite in fetchers:
            group.start_soon(fetch_three_times, polite, site.url + PAGE)
    for own in by_fetcher:
        assert len(own) == 4
        assert min(gaps(own)) >= 3.0 - 1e-9
        sent.extend(own)
    assert min(gaps(sent)) < 3.0  # together they crowd the host: what pacing prevents
    assert pytest.approx(0.1) not in time.sleeps  # nobody polled a shared slot


async def test_one_paced_fetcher_waits_as_an_unpaced_one(site: Site, tmp_path: Path) -> None:
    time = FakeTime()
    pace = MemoryCache(clock=time.clock)
    async with fetcher(tmp_path, time, min_interval_s=3.0, pacing=pace) as polite:
        await polite.fetch(site.url + PAGE)
        await polite.fetch(site.url + PAGE, refresh=True)
        time.now += 10.0
        await polite.fetch(site.url + PAGE, refresh=True)
    assert polite.requests == 4
    assert polite.pacing is pace
    assert time.sleeps == [pytest.approx(3.0), pytest.approx(3.0)]


@pytest.mark.parametrize(("interval", "step"), [(3.0, 0.1), (0.5, 0.05)])
async def test_a_taken_slot_is_polled_for_until_it_expires(
    site: Site, tmp_path: Path, interval: float, step: float
) -> None:
    time = FakeTime()
    pace = MemoryCache(clock=time.clock)
    await pace.set(LOCAL_PACE_KEY, b"", ttl=1.0)  # another fetcher's request just left
    async with fetcher(tmp_path, time, min_interval_s=interval, pacing=pace) as polite:
        await polite.fetch(site.url + PAGE)
    assert polite.requests == 2
    # robots.txt waited for the slot, polling; the page waited its own pause only.
    *polls, own_pause = time.sleeps
    assert polls == [pytest.approx(step)] * len(polls)
    assert sum(polls) == pytest.approx(1.0, abs=step + 1e-9)
    assert own_pause == pytest.approx(interval)


async def test_an_interval_of_zero_reserves_nothing(site: Site, tmp_path: Path) -> None:
    time = FakeTime()
    pace = MemoryCache(clock=time.clock)
    await pace.set(LOCAL_PACE_KEY, b"", ttl=60)  # would block a fetcher that reserved
    async with fetcher(tmp_path, time, min_interval_s=0.0, pacing=pace) as eager:
        await eager.fetch(site.url + PAGE)
        await eager.fetch(site.url + PAGE, refresh=True)
    assert eager.requests == 3
    assert time.sleeps == []
    assert len(pace) == 1


async def test_a_failing_pace_sends_no_request(site: Site, tmp_path: Path) -> None:
    pace = MemoryCache()
    await pace.close()
    async with fetcher(tmp_path, pacing=pace) as polite:
        with pytest.raises(TracklistFetchError, match="pace shared with other fetchers") as caught:
            await polite.fetch(site.url + PAGE)
    assert str(caught.value).startswith(site.url + "/robots.txt: ")
    assert isinstance(caught.value.__cause__, BackendUnavailableError)
    assert sum(site.hits.values()) == 0


def test_an_infinite_or_nan_interval_is_refused(tmp_path: Path) -> None:
    for interval in (math.inf, math.nan):
        with pytest.raises(ConfigurationError, match="finite"):
            TracklistFetcher(cache_dir=tmp_path, min_interval_s=interval)


@pytest.mark.integration
async def test_fetchers_in_separate_processes_keep_one_pace_through_redis(
    site: Site, tmp_path: Path, redis_url: str
) -> None:
    # One Redis client per fetcher, as in separate processes; real time, so the gaps are
    # checked with a margin for the moments between the reservation and the request.
    interval, margin = 0.5, 0.15
    key_prefix = f"tracktion-test:{uuid.uuid4()}:"
    caches = [RedisCache.connect(redis_url, key_prefix=key_prefix) for _ in range(2)]
    sent: list[tuple[float, str]] = []
    fetchers = [
        TracklistFetcher(
            cache_dir=tmp_path / str(index),
            min_interval_s=interval,
            pacing=cache,
            transport=Recording(monotonic, sent),
        )
        for index, cache in enumerate(caches)
    ]
    try:
        async with fetchers[0], fetchers[1], anyio.create_task_group() as group:
            for polite in fetchers:
                group.start_soon(fetch_three_times, polite, site.url + PAGE)
        assert len(sent) == 8
        assert min(gaps(sent)) >= interval - margin, gaps(sent)
    finally:
        await caches[0].invalidate_prefix("")
        for cache in caches:
            await cache.close()
