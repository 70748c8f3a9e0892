"""Errors of tracktion.core.tracklists, under the one ``TracktionError`` root.

::

    TracktionError
     +-- TracklistError                             anything this package raises on purpose
          +-- TracklistFormatError (also ValueError)  input that is not a readable tracklist
          |    +-- TracklistPageError                 a web page without a tracklist we know
          +-- TracklistEditError (also ValueError)    an edit that does not fit the tracklist
          +-- TracklistFetchError                     a page could not be fetched
               +-- TracklistBlockedError              ... because the site refused (403, 429,
                                                        captcha, robots.txt)

Every message names the input (a path, a URL, ``<stdin>``) and, where it has one, the line.
"""

from __future__ import annotations

from tracktion.contracts import TracktionError

__all__ = [
    "TracklistBlockedError",
    "TracklistEditError",
    "TracklistError",
    "TracklistFetchError",
    "TracklistFormatError",
    "TracklistPageError",
]


class TracklistError(TracktionError):
    """Root of the errors of the tracklists package."""


class TracklistFormatError(TracklistError, ValueError):
    """The input is not a tracklist this package can read.

    Attributes:
        source: The input's name (a path, a URL, ``<text>``).
        line: The 1-based line at fault, when there is one.
    """

    def __init__(self, source: str, message: str, *, line: int | None = None) -> None:
        self.source = source
        self.line = line
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}")


class TracklistPageError(TracklistFormatError):
    """A web page holds no tracklist in any markup this package knows (a redesign)."""


class TracklistEditError(TracklistError, ValueError):
    """An edit names an entry that does not exist or would make the times invalid."""


class TracklistFetchError(TracklistError):
    """A tracklist page could not be fetched (network failure, unexpected status)."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{url}: {message}")


class TracklistBlockedError(TracklistFetchError):
    """The site refused the request: robots.txt disallows it, or it answered 403/429 or a
    captcha page. Retrying at once will not help."""
