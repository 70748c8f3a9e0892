"""Local HTTP servers standing in for sites the project talks to (1001tracklists,
Discord): a page server, and running any ``http.server`` server in a thread."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

Page = tuple[int, bytes, Mapping[str, str]]
"""A response: status, HTML body and extra headers."""


def reply(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: Mapping[str, str]
) -> None:
    """Send ``status``, ``headers`` and ``body`` (with its length) from ``handler``."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class PageServer:
    """Serves ``pages`` (path -> :data:`Page`) as HTML on 127.0.0.1 and counts the
    requests of each path in ``hits``; any other path is a 404. Start it with
    :func:`serving`."""

    def __init__(self, pages: Mapping[str, Page]) -> None:
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] += 1
                status, body, headers = pages.get(self.path, (404, b"not found", {}))
                html = {"Content-Type": "text/html; charset=utf-8", **headers}
                reply(self, status, body, html)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def serving(server: HTTPServer) -> Iterator[None]:
    """Run ``server`` in a thread until the block ends, then shut it down and close it."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
