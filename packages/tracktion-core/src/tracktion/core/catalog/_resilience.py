"""Error translation and reconnection with back-off for the catalog store.

Driver and SQLAlchemy exceptions are mapped to the Tracktion error tree here, and only
here, so that every path (store methods, units of work, migrations) reports failures the
same way. "Transient" means the same operation may succeed on a fresh connection: the
server refused or dropped the connection, is restarting, or an SQLite lock outlived the
busy timeout. Such failures are retried with exponential back-off, but only where a retry
cannot duplicate an effect: when starting a transaction, and for whole read-only
operations. A failure after a write was sent is never retried: the unit of work is rolled
back and reported, and nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import exc as sa_exc

from tracktion.contracts import TracktionError

from ..errors import BackendError, BackendUnavailableError, ConfigurationError
from .errors import CatalogConflictError

__all__ = ["ReconnectPolicy", "is_transient", "retrying", "translate"]

T = TypeVar("T")

# PostgreSQL SQLSTATEs after which a new connection may succeed: class 08 (connection
# exception), admin/crash shutdown, "the database system is starting up", too many clients.
_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08"})
# sqlite3 primary result codes: SQLITE_BUSY, SQLITE_LOCKED.
_SQLITE_BUSY_CODES = frozenset({5, 6})
_MAX_CHAIN = 16


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How long the store keeps trying when the database cannot be reached.

    Delays grow from ``initial_delay_s`` by ``multiplier`` up to ``max_delay_s``; each is
    shortened by a random fraction up to ``jitter`` so that many clients do not reconnect
    in lockstep after a server restart. Retrying stops when the next attempt would start
    more than ``budget_s`` seconds after the first; ``budget_s=0`` means a single attempt.
    Raises ``ConfigurationError`` for negative or inconsistent values.
    """

    budget_s: float = 10.0
    initial_delay_s: float = 0.1
    max_delay_s: float = 2.0
    multiplier: float = 2.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not (
            self.budget_s >= 0
            and 0 < self.initial_delay_s <= self.max_delay_s
            and self.multiplier >= 1
            and 0 <= self.jitter < 1
        ):
            raise ConfigurationError(
                "ReconnectPolicy needs budget_s >= 0, 0 < initial_delay_s <= max_delay_s, "
                f"multiplier >= 1 and 0 <= jitter < 1; got {self!r}"
            )

    def delay_s(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        base = min(self.max_delay_s, self.initial_delay_s * self.multiplier**retry)
        return base * (1.0 - self.jitter * random.random())


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions behind it: SQLAlchemy's ``orig``, then ``__cause__``."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < _MAX_CHAIN and current not in chain:
        chain.append(current)
        orig = current.orig if isinstance(current, sa_exc.DBAPIError) else None
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return chain


def is_transient(exc: BaseException | None) -> bool:
    """Whether ``exc`` (a driver or SQLAlchemy exception, or a Tracktion error caused by one)
    is a connection-level failure that a new connection may not repeat."""
    if exc is None:
        return False
    if isinstance(exc, TracktionError):
        return is_transient(exc.__cause__)
    for link in _chain(exc):
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return True
        # Refused, reset, unreachable host, DNS failure, connect timeout.
        if isinstance(link, OSError | TimeoutError):
            return True
        if isinstance(link, sqlite3.OperationalError):
            code = getattr(link, "sqlite_errorcode", None)
            return isinstance(code, int) and code & 0xFF in _SQLITE_BUSY_CODES
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str) and state:
            return state in _TRANSIENT_SQLSTATES or state[:2] in _TRANSIENT_SQLSTATE_CLASSES
        if type(link).__name__ == "ConnectionDoesNotExistError":  # asyncpg, no SQLSTATE
            return True
    return False


def _reason(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's SQL echo and background link."""
    for link in reversed(_chain(exc)):
        text = str(link).strip()
        if text:
            return text.splitlines()[0]
    return type(exc).__name__


def translate(
    exc: BaseException, action: str, *, connecting: bool = False
) -> TracktionError | None:
    """The Tracktion error to raise (``from exc``) for a database failure during ``action``,
    or ``None`` when ``exc`` is not a database failure (a bug, a cancellation, our own
    error), which must propagate unchanged.

    ``connecting`` says the failure happened while opening a connection or a transaction:
    then every database failure means the store is unusable (``BackendUnavailableError``),
    e.g. an unknown database or role, which no retry fixes.
    """
    if isinstance(exc, TracktionError) or not isinstance(
        exc, sa_exc.SQLAlchemyError | OSError | TimeoutError | sqlite3.Error
    ):
        return None
    reason = _reason(exc)
    if isinstance(exc, sa_exc.IntegrityError):
        return CatalogConflictError(f"{action} conflicts with stored data: {reason}")
    if connecting or is_transient(exc):
        where = "cannot connect to the catalog database" if connecting else "connection lost"
        return BackendUnavailableError(f"{action}: {where}: {reason}")
    return BackendError(f"{action} failed in the catalog database: {reason}")


async def retrying(
    policy: ReconnectPolicy, operation: Callable[[], Awaitable[T]], *, action: str
) -> T:
    """Run ``operation`` until it succeeds, retrying transient failures within the policy's
    budget. ``operation`` raises Tracktion errors (already translated, caused by the
    driver's); a non-transient one propagates at once. Once the budget is spent, raises
    ``BackendUnavailableError`` naming ``action`` and the number of attempts."""
    started = time.monotonic()
    retry = 0
    while True:
        try:
            return await operation()
        except BackendError as exc:
            if not is_transient(exc):
                raise
            delay = policy.delay_s(retry)
            elapsed = time.monotonic() - started
            if elapsed + delay > policy.budget_s:
                attempts = retry + 1
                raise BackendUnavailableError(
                    f"{action}: the catalog database is unreachable after {attempts} "
                    f"attempt{'s' if attempts > 1 else ''} in {elapsed:.1f}s: "
                    f"{_reason(exc.__cause__ or exc)}"
                ) from exc
        await asyncio.sleep(delay)
        retry += 1
