"""A local HTTP server standing in for 1001tracklists.com: it serves the saved pages the
core tracklist tests use, and counts the requests it gets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.local_http import PageServer, serving

DATA = Path(__file__).parents[2] / "core" / "tracklists" / "data"
PAGE_TRACKS = 5
"""Tracks in the saved page served at ``/tracklist/set.html``."""
PAGE_FIRST = ("Charlotte de Witte", "Selected")
"""The artist and title of the page's first track."""


class PageSite(PageServer):
    """``/robots.txt``, a tracklist page, a captcha page and a refusal on 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__(
            {
                "/robots.txt": (200, b"User-agent: *\nDisallow: /private/\n", {}),
                "/tracklist/set.html": (200, (DATA / "1001_page.html").read_bytes(), {}),
                "/tracklist/captcha.html": (200, (DATA / "1001_captcha.html").read_bytes(), {}),
                "/tracklist/refused.html": (403, b"<h1>Forbidden</h1>", {}),
            }
        )


@contextmanager
def page_site() -> Iterator[PageSite]:
    """A :class:`PageSite` serving on a free port until the block ends."""
    site = PageSite()
    with serving(site.server):
        yield site
