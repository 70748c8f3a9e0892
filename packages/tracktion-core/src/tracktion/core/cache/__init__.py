"""The cache port: byte values under string keys, with TTLs, namespaces, prefix
invalidation and an atomic ``add`` (store only if absent).

One URL picks the implementation (``TRACKTION_CACHE_URL``):

- ``memory://`` (optionally ``?max_entries=N``): :class:`MemoryCache`, in this process;
- ``redis://...`` / ``rediss://...``: :class:`RedisCache` (extra ``tracktion-core[redis]``).

>>> import asyncio
>>> async def demo() -> object:
...     cache = open_cache("memory://?max_entries=100")
...     tracks = cache.namespace("tracks")
...     await set_json(tracks, "42", {"bpm": 128.0}, ttl=60)
...     found = await get_json(tracks, "42")
...     await cache.invalidate_prefix("tracks:")
...     return found, await get_json(tracks, "42")
>>> asyncio.run(demo())
({'bpm': 128.0}, None)
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ..errors import ConfigurationError
from ._port import Cache, JSONInput, JSONValue, get_json, redacted, set_json
from .memory import MemoryCache
from .redis import RedisCache, escape_glob

__all__ = [
    "Cache",
    "JSONInput",
    "JSONValue",
    "MemoryCache",
    "RedisCache",
    "escape_glob",
    "get_json",
    "open_cache",
    "set_json",
]


def open_cache(url: str) -> Cache:
    """Return the cache that ``url`` names; no I/O happens until the first operation.

    - ``memory://`` or ``memory://?max_entries=N`` (N >= 1, default 10 000): a new
      :class:`MemoryCache`;
    - ``redis://[[user]:password@]host[:port][/db][?options]`` or ``rediss://...``:
      :meth:`RedisCache.connect` with its defaults (options: redis-py's, plus
      ``key_prefix``, default ``tracktion:``).

    Raises ``ConfigurationError`` naming the URL (password hidden) for any other scheme
    or a malformed URL, and ``MissingExtraError`` for ``redis://`` without the extra.
    """
    try:
        parts = urlsplit(url)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid cache URL {redacted(str(url))!r}: {exc}") from exc
    if parts.scheme == "memory":
        return _open_memory(url, parts.netloc, parts.path, parts.query)
    if parts.scheme in ("redis", "rediss"):
        return RedisCache.connect(url)
    raise ConfigurationError(
        f"unsupported cache URL {redacted(url)!r}: use memory:// or redis://host:port/db"
    )


def _open_memory(url: str, netloc: str, path: str, query: str) -> MemoryCache:
    if netloc or path not in ("", "/"):
        raise ConfigurationError(f"a memory cache URL names no host or path: {url!r}")
    try:
        options = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise ConfigurationError(f"invalid memory cache URL {url!r}: {exc}") from exc
    unknown = sorted(set(options) - {"max_entries"})
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)} in memory cache URL {url!r}; "
            "the only one is max_entries"
        )
    values = options.get("max_entries", ["10000"])
    try:
        if len(values) != 1:
            raise ValueError("give it once")
        return MemoryCache(max_entries=int(values[0]))
    except ValueError as exc:
        raise ConfigurationError(
            f"max_entries in memory cache URL {url!r} must be one integer >= 1: {exc}"
        ) from exc
