"""A local HTTP server standing in for 1001tracklists.com: it serves the saved pages the
core tracklist tests use, and counts the requests it gets."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parents[2] / "core" / "tracklists" / "data"
PAGE_TRACKS = 5
"""Tracks in the saved page served at ``/tracklist/set.html``."""
PAGE_FIRST = ("Charlotte de Witte", "Selected")
"""The artist and title of the page's first track."""


class PageSite:
    """``/robots.txt``, a tracklist page, a captcha page and a refusal on 127.0.0.1."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        pages = {
            "/robots.txt": (200, b"User-agent: *\nDisallow: /private/\n"),
            "/tracklist/set.html": (200, (DATA / "1001_page.html").read_bytes()),
            "/tracklist/captcha.html": (200, (DATA / "1001_captcha.html").read_bytes()),
            "/tracklist/refused.html": (403, b"<h1>Forbidden</h1>"),
        }
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] += 1
                status, body = pages.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def page_site() -> Iterator[PageSite]:
    """A :class:`PageSite` serving on a free port until the block ends."""
    site = PageSite()
    thread = threading.Thread(
        target=site.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
        thread.join()
