"""Fetching pages from a local HTTP server: robots.txt, pauses, cache, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local_http import PageServer, serving
from tracktion.core.errors import ConfigurationError
from tracktion.core.tracklists import (
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
