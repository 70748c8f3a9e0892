"""The Redis adapter of the cache port (``redis://``, ``rediss://``), on ``redis.asyncio``.

Needs the ``redis`` extra (``pip install 'tracktion-core[redis]'``); the driver is imported
when a cache is created, not when this module is.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from .._extras import require
from ..errors import BackendError, BackendUnavailableError, ConfigurationError
from ._port import Cache, NamespacedCache, check_ttl, check_value, namespace_prefix, redacted

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisCache", "escape_glob"]

_PURPOSE = "The Redis cache"
_SCHEMES = ("redis", "rediss")
_GLOB_SPECIAL = frozenset("*?[]\\")


def escape_glob(text: str) -> str:
    """Escape Redis glob metacharacters (``* ? [ ] \\``) so ``text`` matches literally.

    >>> escape_glob("a*b[1]")
    'a\\\\*b\\\\[1\\\\]'
    """
    return "".join("\\" + char if char in _GLOB_SPECIAL else char for char in text)


class RedisCache:
    """A :class:`~tracktion.core.cache.Cache` on a Redis server.

    Every key is stored as ``key_prefix + key`` so several installations, tenants or test
    runs can share one database without colliding; ``invalidate_prefix("")`` on the root
    clears only ``key_prefix``. Expiry uses ``SET ... PX`` (millisecond precision, rounded
    up), and ``add`` is ``SET ... NX``; prefix invalidation walks ``SCAN MATCH`` with the
    prefix escaped and removes each batch with ``UNLINK``, so memory is freed off Redis's
    main thread.

    Commands that fail on a lost or refused connection are retried on a fresh connection
    after an exponential back-off with jitter; when the retries are spent, the operation
    raises :class:`~tracktion.core.errors.BackendUnavailableError`. Every command used is
    idempotent (a ``SET``, ``SET NX`` or ``UNLINK`` applied twice has the effect of one;
    ``SCAN`` cursors survive reconnects), so a retry after a reply was lost is safe; only
    the answer of ``add`` may then be ``False`` for a value the first attempt stored.
    Other Redis errors raise :class:`~tracktion.core.errors.BackendError`.
    """

    def __init__(self, client: Redis, *, key_prefix: str = "tracktion:", where: str = "") -> None:
        """Wrap ``client`` (created with ``decode_responses=False``; its retry policy and
        timeouts are kept). Prefer :meth:`connect`.

        ``where`` names the server in error messages (no password). Raises
        ``ConfigurationError`` for an empty ``key_prefix``, ``MissingExtraError`` without
        the driver.
        """
        exceptions = require("redis", "redis", _PURPOSE).exceptions
        if not key_prefix:
            # Without a prefix, invalidate_prefix("") would empty the whole database.
            raise ConfigurationError("the Redis cache needs a non-empty key_prefix")
        self._client = client
        self._key_prefix = key_prefix
        self._where = where or "Redis"
        self._closed = False
        # Authentication errors derive from the driver's ConnectionError but retrying or
        # calling the server "unavailable" would hide a configuration mistake.
        self._refused: tuple[type[Exception], ...] = (
            exceptions.AuthenticationError,
            exceptions.AuthorizationError,
        )
        self._unavailable: tuple[type[Exception], ...] = (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            OSError,
        )
        self._failed: tuple[type[Exception], ...] = (exceptions.RedisError,)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        key_prefix: str | None = None,
        client_name: str | None = "tracktion-cache",
        retries: int = 3,
        backoff_base: float = 0.05,
        backoff_cap: float = 2.0,
        connect_timeout: float = 2.0,
        operation_timeout: float = 5.0,
        max_connections: int = 32,
    ) -> RedisCache:
        """Create a cache on the Redis server at ``url`` (``redis://`` or ``rediss://``).

        No I/O happens here: connections open on first use (call :meth:`ping` to check the
        server now). The URL takes the usual redis-py options (``redis://:pw@host:6379/0``,
        ``?socket_timeout=...``), which win over the arguments here, plus ``key_prefix``.

        - ``key_prefix``: prepended to every key; default: the URL's ``key_prefix`` or
          ``"tracktion:"``.
        - ``client_name``: set on every connection (``CLIENT SETNAME``), so operators can
          find the cache's connections in ``CLIENT LIST``.
        - ``retries``: retries of a command after a connection error or timeout (>= 0); the
          n-th retry waits half to all of ``min(backoff_cap, backoff_base * 2**n)``
          seconds, so retry storms from many clients spread out.
        - ``connect_timeout`` / ``operation_timeout``: seconds for a TCP connect and for a
          reply.
        - ``max_connections``: connections opened at most; further concurrent operations
          wait for a free one, up to ``operation_timeout`` seconds.

        Raises ``ConfigurationError`` (naming the URL, password hidden) for another scheme,
        an unparseable URL, unknown or invalid options, ``decode_responses`` (values are
        bytes), or conflicting key prefixes; ``MissingExtraError`` without the driver.
        """
        require("redis", "redis", _PURPOSE)
        redis_asyncio = require("redis.asyncio", "redis", _PURPOSE)
        retry_module = require("redis.asyncio.retry", "redis", _PURPOSE)
        backoff_module = require("redis.backoff", "redis", _PURPOSE)

        shown = redacted(url)
        driver_url, url_prefix = _split_url(url, shown)
        if key_prefix is not None and url_prefix is not None and key_prefix != url_prefix:
            raise ConfigurationError(
                f"Redis URL {shown!r} sets key_prefix={url_prefix!r} but the caller passed "
                f"{key_prefix!r}"
            )
        for name, count, least in (
            ("retries", retries, 0),
            ("max_connections", max_connections, 1),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < least:
                raise ConfigurationError(f"{name} must be an integer >= {least}, not {count!r}")
        for name, seconds in (
            ("backoff_base", backoff_base),
            ("backoff_cap", backoff_cap),
            ("connect_timeout", connect_timeout),
            ("operation_timeout", operation_timeout),
        ):
            if not (math.isfinite(seconds) and seconds > 0):
                raise ConfigurationError(f"{name} must be a positive number of seconds")

        # EqualJitterBackoff: exponential, capped, with half of each wait random; it is
        # in every redis-py release this package supports (>= 5.2).
        retry = retry_module.Retry(
            backoff_module.EqualJitterBackoff(cap=backoff_cap, base=backoff_base), retries
        )
        try:
            # A blocking pool: a burst of more concurrent operations than connections
            # waits for a free one, where redis-py's default pool fails at once with
            # "Too many connections".
            pool = redis_asyncio.BlockingConnectionPool.from_url(
                driver_url,
                max_connections=max_connections,
                timeout=operation_timeout,
                decode_responses=False,
                retry=retry,
                socket_connect_timeout=connect_timeout,
                socket_timeout=operation_timeout,
                client_name=client_name,
            )
            # redis-py passes unknown URL options through to the connection class and
            # fails only on first use; building one connection object (no I/O) fails now.
            pool.connection_class(**pool.connection_kwargs)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"invalid Redis URL {shown!r}: {exc}") from exc
        client = redis_asyncio.Redis.from_pool(pool)  # the client owns and closes the pool
        if url_prefix is not None:
            key_prefix = url_prefix
        return cls(
            cast("Redis", client),
            key_prefix="tracktion:" if key_prefix is None else key_prefix,
            where=_where(shown),
        )

    @property
    def key_prefix(self) -> str:
        """The prefix of every key this cache stores in Redis."""
        return self._key_prefix

    async def get(self, key: str) -> bytes | None:
        with self._translated("GET"):
            value = await self._client.get(self._key_prefix + key)
        return cast("bytes | None", value)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        check_value(value)
        ttl = check_ttl(ttl)
        with self._translated("SET"):
            if ttl is None:
                await self._client.set(self._key_prefix + key, value)
            else:
                # Round up: a positive TTL must never become PX 0 (an error) or shorter.
                await self._client.set(self._key_prefix + key, value, px=math.ceil(ttl * 1000))

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        check_value(value)
        ttl = check_ttl(ttl)
        with self._translated("SET NX"):
            # SET NX is one atomic command: of concurrent adds, across every client of the
            # server, one stores. redis-py answers True when it did, None when it did not.
            if ttl is None:
                stored = await self._client.set(self._key_prefix + key, value, nx=True)
            else:
                stored = await self._client.set(
                    self._key_prefix + key, value, nx=True, px=math.ceil(ttl * 1000)
                )
        return bool(stored)

    async def delete(self, key: str) -> bool:
        with self._translated("UNLINK"):
            removed = await self._client.unlink(self._key_prefix + key)
        return bool(removed)

    async def invalidate_prefix(self, prefix: str) -> int:
        pattern = escape_glob(self._key_prefix + prefix) + "*"
        removed = 0
        cursor = 0
        with self._translated("SCAN/UNLINK"):
            while True:
                # COUNT is a hint for the keys examined per call; it bounds each UNLINK
                # batch and how long each call holds the server.
                cursor, keys = await self._client.scan(cursor=cursor, match=pattern, count=500)
                if keys:
                    # UNLINK counts keys that still existed, so keys that SCAN returned
                    # twice or that expired meanwhile are not counted twice or at all.
                    removed += await self._client.unlink(*keys)
                if cursor == 0:
                    return removed

    def namespace(self, prefix: str) -> Cache:
        return NamespacedCache(self, namespace_prefix(prefix))

    async def ping(self) -> None:
        with self._translated("PING"):
            await self._client.ping()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._translated("close"):
            await self._client.aclose()

    def __repr__(self) -> str:
        return f"RedisCache({self._where!r}, key_prefix={self._key_prefix!r})"

    @contextmanager
    def _translated(self, command: str) -> Iterator[None]:
        """Raise driver errors of the block as this package's errors."""
        if self._closed and command != "close":
            raise BackendUnavailableError(f"the Redis cache on {self._where} is closed")
        try:
            yield
        except self._refused as exc:
            raise BackendError(f"{self._where} refused {command}: {exc}") from exc
        except self._unavailable as exc:
            raise BackendUnavailableError(
                f"{self._where} is unreachable: {command} failed, retries spent: {exc}"
            ) from exc
        except self._failed as exc:
            raise BackendError(f"{self._where} failed {command}: {exc}") from exc


def _split_url(url: str, shown: str) -> tuple[str, str | None]:
    """Return ``url`` without this adapter's own options, and its ``key_prefix``."""
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as exc:
        raise ConfigurationError(f"invalid Redis URL {shown!r}: {exc}") from exc
    if parts.scheme.lower() not in _SCHEMES:
        raise ConfigurationError(f"not a Redis URL (redis:// or rediss://): {shown!r}")
    names = [name for name, _ in query]
    if "decode_responses" in names:
        raise ConfigurationError(f"Redis URL {shown!r}: decode_responses is not supported")
    prefixes = [value for name, value in query if name == "key_prefix"]
    if len(prefixes) > 1 or prefixes == [""]:
        raise ConfigurationError(f"Redis URL {shown!r}: give key_prefix once, not empty")
    rest = urlencode([(name, value) for name, value in query if name != "key_prefix"])
    return parts._replace(query=rest).geturl(), (prefixes[0] if prefixes else None)


def _where(shown: str) -> str:
    # Error messages name the server, not its options.
    return shown.partition("?")[0]
