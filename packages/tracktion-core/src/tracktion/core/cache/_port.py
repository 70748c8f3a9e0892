"""The cache port: the ``Cache`` protocol, the namespace view and the checks every
implementation shares, and JSON helpers on top of the protocol.

The view and the checks live here, once, so that the embedded cache and the Redis adapter
cannot drift apart on what a namespace, a TTL or a value is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias, runtime_checkable
from urllib.parse import SplitResult, urlsplit

__all__ = ["Cache", "JSONInput", "JSONValue", "get_json", "set_json"]

JSONValue: TypeAlias = dict[str, "JSONValue"] | list["JSONValue"] | str | int | float | bool | None
"""A decoded JSON document, as :func:`get_json` returns it."""

JSONInput: TypeAlias = (
    Mapping[str, "JSONInput"] | Sequence["JSONInput"] | str | int | float | bool | None
)
"""What :func:`set_json` accepts: read-only views, so ``dict[str, int]`` fits too."""


@runtime_checkable
class Cache(Protocol):
    """A byte-valued key/value cache with expiry, namespaces and prefix invalidation.

    Keys are strings; values are ``bytes`` (use :func:`get_json` / :func:`set_json` for
    JSON). A cache may forget any entry at any time (expiry, eviction, a server restart),
    so callers must be able to recompute what they store.

    Errors: a backend that cannot be reached, even after retrying, raises
    :class:`~tracktion.core.errors.BackendUnavailableError` (also after :meth:`close`); any
    other backend failure raises :class:`~tracktion.core.errors.BackendError`. No driver
    exception escapes.
    """

    async def get(self, key: str) -> bytes | None:
        """Return the value stored under ``key``, or ``None`` if absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any value and expiry it had.

        ``ttl`` is the lifetime in seconds (a positive, finite number; sub-millisecond
        precision is not guaranteed), or ``None`` for no expiry. Raises ``ValueError`` for
        a ``ttl`` that is zero, negative, NaN or infinite, and ``TypeError`` for a value
        that is not ``bytes``.
        """
        ...

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Store ``value`` under ``key`` only if ``key`` is absent or expired, atomically;
        return whether it was stored.

        Of any number of concurrent ``add`` calls on one key, from any number of clients of
        one backend, at most one returns ``True`` until the entry it stored expires or is
        removed; a live entry is left as it is, value and expiry. ``ttl`` and ``value`` are
        checked as by :meth:`set`, with the same errors. This makes a lock or a slot
        reservation: ``add(key, b"", ttl=3)`` succeeds at most once every 3 s (as long as
        the cache keeps the entry: see above).

        After a lost connection the call may be retried; should the first attempt have
        stored the value before its reply was lost, the retry reports ``False``. A caller
        that reads ``False`` as "someone else holds the key" therefore errs on the safe
        side.
        """
        ...

    async def delete(self, key: str) -> bool:
        """Remove ``key``; return whether a live (unexpired) entry was removed."""
        ...

    async def invalidate_prefix(self, prefix: str) -> int:
        """Remove every key that starts with ``prefix`` (literally: no glob patterns).

        Returns the number of live entries removed. ``""`` clears the whole cache, or the
        whole namespace of a view. Keys written while this runs may survive it.
        """
        ...

    def namespace(self, prefix: str) -> Cache:
        """Return a view whose keys are stored as ``f"{prefix}:{key}"``.

        Views nest (``c.namespace("a").namespace("b")`` stores under ``a:b:``) and every
        operation on a view, :meth:`invalidate_prefix` included, stays inside it. The view
        shares the cache it came from; closing the view does nothing. Raises
        ``ValueError`` for an empty ``prefix``.
        """
        ...

    async def ping(self) -> None:
        """Return if the backend answers; raise ``BackendUnavailableError`` otherwise."""
        ...

    async def close(self) -> None:
        """Release the backend's resources (idempotent); later operations raise
        ``BackendUnavailableError``. On a namespace view, does nothing."""
        ...


class NamespacedCache:
    """A :class:`Cache` view that prefixes every key; see :meth:`Cache.namespace`.

    Implementations return it from ``namespace()``; one class serves all of them so the
    key layout of a namespace is the same on every backend.
    """

    __slots__ = ("_prefix", "_root")

    def __init__(self, root: Cache, prefix: str) -> None:
        """Wrap ``root`` (which must not itself be a view) so keys get ``prefix``."""
        self._root = root
        self._prefix = prefix

    @property
    def prefix(self) -> str:
        """The full key prefix of this view, separators included (``"a:b:"``)."""
        return self._prefix

    async def get(self, key: str) -> bytes | None:
        return await self._root.get(self._prefix + key)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        await self._root.set(self._prefix + key, value, ttl)

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        return await self._root.add(self._prefix + key, value, ttl)

    async def delete(self, key: str) -> bool:
        return await self._root.delete(self._prefix + key)

    async def invalidate_prefix(self, prefix: str) -> int:
        return await self._root.invalidate_prefix(self._prefix + prefix)

    def namespace(self, prefix: str) -> Cache:
        # Compose onto the root rather than stacking views: one hop per operation.
        return NamespacedCache(self._root, self._prefix + namespace_prefix(prefix))

    async def ping(self) -> None:
        await self._root.ping()

    async def close(self) -> None:
        # A view is handed to components that share the cache: closing it must not
        # close the cache under the others. Whoever opened the cache closes it.
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._root!r}, prefix={self._prefix!r})"


def namespace_prefix(name: str) -> str:
    """Return the key prefix of the namespace ``name``; ``ValueError`` if it is empty."""
    if not isinstance(name, str):
        raise TypeError(f"a cache namespace is a str, not {type(name).__name__}")
    if not name:
        raise ValueError("a cache namespace prefix must not be empty")
    return name + ":"


def check_ttl(ttl: float | None) -> float | None:
    """Return ``ttl`` (seconds) if valid for :meth:`Cache.set` and :meth:`Cache.add`,
    else raise.

    ``ValueError`` for zero, negative, NaN or infinite values; ``TypeError`` for
    non-numbers (``bool`` included: ``ttl=True`` is a bug, not one second).
    """
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise TypeError(f"ttl must be a number of seconds or None, not {type(ttl).__name__}")
    if not (math.isfinite(ttl) and ttl > 0):
        raise ValueError(f"ttl must be a positive, finite number of seconds or None, not {ttl!r}")
    return float(ttl)


def check_value(value: bytes) -> None:
    """Raise ``TypeError`` unless ``value`` is ``bytes``.

    Redis would accept ``str`` or numbers and hand back ``bytes``; the embedded cache would
    hand back the object itself. Refusing both keeps the two identical.
    """
    if not isinstance(value, bytes):
        raise TypeError(
            f"cache values are bytes, not {type(value).__name__} (set_json stores JSON)"
        )


def redacted(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, for error messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        user = parts.username or ""
        return SplitResult(
            parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment
        ).geturl()
    except ValueError:
        return "<unparseable URL>"


async def get_json(cache: Cache, key: str) -> JSONValue:
    """Return the JSON document stored under ``key`` by :func:`set_json`.

    Returns ``None`` when the key is absent or expired, which a stored JSON ``null`` cannot
    be told apart from. Raises ``ValueError`` naming the key if the stored bytes are not
    UTF-8 JSON, plus the errors of :meth:`Cache.get`.
    """
    raw = await cache.get(key)
    if raw is None:
        return None
    try:
        value: JSONValue = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both derive from it
        raise ValueError(f"cache entry {key!r} is not JSON: {exc}") from exc
    return value


async def set_json(cache: Cache, key: str, value: JSONInput, ttl: float | None = None) -> None:
    """Store ``value`` under ``key`` as compact UTF-8 JSON, with ``ttl`` as in
    :meth:`Cache.set`.

    Raises ``ValueError`` for NaN or infinities (not JSON) and ``TypeError`` for values JSON
    cannot represent, before anything is written; plus the errors of :meth:`Cache.set`.
    """
    encoded = json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
    )
    await cache.set(key, encoded.encode(), ttl)


def _plain(value: object) -> object:
    # json.dumps knows dict, list and tuple only; JSONInput promises any Mapping/Sequence.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return list(value)
    raise TypeError(f"{type(value).__name__} values cannot be stored as JSON")
