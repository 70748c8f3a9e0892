"""The system's API imports tracklists from URLs: the fetcher ``tracktion up`` and
``tracktion api`` wire in (``system.tracklist_fetcher``) against a local HTTP server that
serves saved 1001tracklists pages, with its page cache under the data directory."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from time import monotonic

import pytest

from tests.local_http import PageServer, serving
from tracktion.core.tracklists import TracklistBlockedError
from tracktion.services import tracklist
from tracktion.services.api import create_app
from tracktion.services.runtime import open_ports
from tracktion.services.settings import Settings
from tracktion.services.system import api_options, tracklist_fetcher

from .conftest import Ports, client_for
from .pages import PAGE_FIRST, PAGE_TRACKS, page_site
from .test_tracklists import problem

pytestmark = pytest.mark.anyio


def settings_for(tmp_path: Path, interval_s: float | None = None) -> Settings:
    """Settings with the data directory under ``tmp_path`` (and the fetch interval given)."""
    settings = Settings(data_dir=str(tmp_path / "data"), api_auth=False)
    if interval_s is None:
        return settings
    return settings.model_copy(update={"api_tracklist_fetch_interval_s": interval_s})


async def test_the_systems_fetcher_imports_urls_and_caches_pages_in_the_data_dir(
    ports: Ports, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, 0)
    with page_site() as site:
        async with tracklist_fetcher(settings) as fetcher:
            app = create_app(ports, api_options(settings, (), tracklist_fetcher=fetcher))
            async with client_for(app) as client:
                url = f"{site.url}/tracklist/set.html"
                fetched = await client.post("/v1/tracklists", json={"source": {"url": url}})
                again = await client.post("/v1/tracklists", json={"source": {"url": url}})
                refused = await client.post(
                    "/v1/tracklists", json={"source": {"url": f"{site.url}/tracklist/refused.html"}}
                )
                captcha = await client.post(
                    "/v1/tracklists", json={"source": {"url": f"{site.url}/tracklist/captcha.html"}}
                )
                missing = await client.post(
                    "/v1/tracklists", json={"source": {"url": f"{site.url}/tracklist/gone.html"}}
                )
        hits = dict(site.hits)
    assert fetched.status_code == 201, fetched.text
    body = fetched.json()
    assert (body["source"], body["source_url"]) == ("1001tracklists", url)
    assert len(body["entries"]) == PAGE_TRACKS
    assert (body["entries"][0]["artist"], body["entries"][0]["title"]) == PAGE_FIRST
    assert again.status_code == 201, again.text
    assert again.json()["entries"] == body["entries"]
    assert hits["/robots.txt"] == 1
    assert hits["/tracklist/set.html"] == 1  # the second import came from the cache
    assert list((tmp_path / "data" / "pages").iterdir())
    field, message = problem(refused)
    assert field == "source.url"
    assert "403" in message
    field, message = problem(captcha)
    assert field == "source.url"
    assert "captcha.html" in message
    assert missing.status_code == 502
    assert "HTTP 404" in missing.json()["message"]


async def test_the_fetch_interval_setting_spares_1001tracklists(tmp_path: Path) -> None:
    async with (
        tracklist_fetcher(settings_for(tmp_path)) as default,
        tracklist_fetcher(settings_for(tmp_path, 0)) as fast,
    ):
        assert default.interval_for("127.0.0.1") == 3.0
        assert fast.interval_for("127.0.0.1") == 0.0
        assert fast.interval_for("www.1001tracklists.com") == 3.0
        assert fast.cache_dir == tmp_path / "data" / "pages"


@pytest.mark.parametrize(
    "deployment", ["embedded", pytest.param("distributed", marks=pytest.mark.integration)]
)
async def test_the_api_and_the_tracklist_service_keep_one_pace_per_host(
    deployment: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Their fetchers, built as ``tracktion up`` (one process, the embedded cache) or
    ``tracktion api`` and ``tracktion worker tracklist`` (two processes, Redis) build them,
    never send two requests to a host within the pause: the second waits for the first's
    slot in the system's cache."""
    settings = settings_for(tmp_path, 1.0)
    if deployment == "distributed":
        redis_url: str = request.getfixturevalue("redis_url")
        prefix = f"tracktion-test:{uuid.uuid4()}:"
        settings = settings.model_copy(update={"cache_url": f"{redis_url}?key_prefix={prefix}"})
    # robots.txt refused: each fetch is one request (then "robots.txt disallows").
    site = PageServer({"/robots.txt": (403, b"<h1>Forbidden</h1>", {})})
    url = f"{site.url}/tracklist/set.html"
    async with AsyncExitStack() as stack:
        api_ports = await stack.enter_async_context(open_ports(settings))
        service_ports = api_ports
        if deployment == "distributed":
            service_ports = await stack.enter_async_context(open_ports(settings))
        stack.push_async_callback(api_ports.cache.invalidate_prefix, "")
        api = await stack.enter_async_context(tracklist_fetcher(settings, pacing=api_ports.cache))
        service_fetcher = tracklist.build(service_ports).fetcher
        assert service_fetcher is not None
        stack.push_async_callback(service_fetcher.aclose)
        with serving(site.server):
            started = monotonic()
            with pytest.raises(TracklistBlockedError, match=r"robots\.txt disallows"):
                await api.fetch(url)
            with pytest.raises(TracklistBlockedError, match=r"robots\.txt disallows"):
                await service_fetcher.fetch(url)
            waited = monotonic() - started
    assert site.hits["/robots.txt"] == 2
    # The API's slot (1 s, its interval) was taken after `started`; the service's request
    # left once it had expired (Redis counts whole milliseconds, hence the tolerance).
    assert waited >= 1.0 - 0.005
