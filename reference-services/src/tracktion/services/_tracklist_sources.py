"""Where ``tracklist.generate`` finds a recorded mix's tracklist.

Beside the mix's file: ``<stem>.cue``, ``<stem>.txt`` or ``<stem>.tracklist.txt``,
``<stem>.m3u8`` or ``<stem>.m3u``; online: a 1001tracklists URL in one of the recording's
tags (fetched politely through a :class:`TracklistFetcher`). ``auto`` tries them in that
order and takes the first that exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import anyio

from tracktion.contracts import TracklistSource
from tracktion.core.tracklists import (
    ImportResult,
    SourceKind,
    TracklistError,
    TracklistFetcher,
    read_tracklist,
)

__all__ = ["NoTracklistSourceError", "find_tracklist", "tracklist_url"]

_URL_RE = re.compile(r"https?://(?:www\.)?1001tracklists\.com/tracklist/[^\s\"'<>]+")
_SIDECARS: dict[TracklistSource, tuple[tuple[str, SourceKind], ...]] = {
    TracklistSource.CUE: ((".cue", SourceKind.CUE),),
    TracklistSource.TEXT: ((".txt", SourceKind.TEXT), (".tracklist.txt", SourceKind.TEXT)),
    TracklistSource.M3U: ((".m3u8", SourceKind.M3U), (".m3u", SourceKind.M3U)),
}
_AUTO_ORDER = (
    TracklistSource.CUE,
    TracklistSource.TEXT,
    TracklistSource.M3U,
    TracklistSource.TRACKLISTS_1001,
)


class NoTracklistSourceError(TracklistError):
    """No source of the requested kind exists for the recording."""


def _sidecar(mix_paths: Sequence[str], source: TracklistSource) -> tuple[Path, SourceKind] | None:
    for mix in mix_paths:
        path = Path(mix)
        for suffix, kind in _SIDECARS[source]:
            candidate = path.with_name(path.stem + suffix)
            if candidate.is_file():
                return candidate, kind
    return None


def tracklist_url(tag_values: Sequence[str]) -> str | None:
    """The first 1001tracklists tracklist URL in the tag values."""
    for value in tag_values:
        found = _URL_RE.search(value)
        if found:
            return found.group(0)
    return None


async def find_tracklist(
    hint: TracklistSource,
    *,
    mix_paths: Sequence[str],
    tag_values: Sequence[str],
    fetcher: TracklistFetcher | None,
) -> ImportResult:
    """Import the tracklist of a mix from the first source ``hint`` allows.

    Raises:
        NoTracklistSourceError: no such source exists (the message lists what was tried).
        TracklistFormatError, TracklistFetchError, TracklistBlockedError,
        TracklistPageError: the source exists but could not be read.
    """
    sources = _AUTO_ORDER if hint is TracklistSource.AUTO else (hint,)
    tried = []
    for source in sources:
        if source is TracklistSource.TRACKLISTS_1001:
            url = tracklist_url(tag_values)
            if url is None:
                tried.append("a 1001tracklists URL in the recording's tags")
                continue
            if fetcher is None:
                raise NoTracklistSourceError(
                    f"{url}: online tracklists are not enabled (no page cache configured)"
                )
            return await fetcher.import_url(url)
        found = _sidecar(mix_paths, source)
        if found is None:
            tried.append(" or ".join(f"<mix>{suffix}" for suffix, _ in _SIDECARS[source]))
            continue
        path, kind = found
        return await anyio.to_thread.run_sync(partial(read_tracklist, path, kind=kind))
    raise NoTracklistSourceError(f"no tracklist found; looked for {', '.join(tried)}")
