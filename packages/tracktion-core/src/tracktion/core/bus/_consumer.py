"""What to do with one delivery: decode, run the handler, decide ack, retry or dead-letter.

Both bus implementations call :func:`handle` and apply its :class:`Outcome`, so they
cannot disagree about retries, back-off tiers or dead-letter reasons.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from tracktion.contracts import (
    DEFAULT_EXCHANGE,
    ContractValidationError,
    Queue,
    UnknownMessageTypeError,
    get_message_spec,
    spec_for_routing_key,
)

from ..errors import PermanentError
from ._port import Delivery, Handler, HeaderValue, RawMessage, RetryPolicy

__all__ = [
    "ATTEMPTS",
    "DEAD_REASON",
    "LAST_ERROR",
    "ORIGINAL_EXCHANGE",
    "ORIGINAL_ROUTING_KEY",
    "SOURCE_QUEUE",
    "Action",
    "Outcome",
    "handle",
]

log = logging.getLogger("tracktion.bus")

ATTEMPTS = "x-tracktion-attempts"
"""Failed attempts so far."""
LAST_ERROR = "x-tracktion-last-error"
ORIGINAL_EXCHANGE = "x-tracktion-exchange"
ORIGINAL_ROUTING_KEY = "x-tracktion-routing-key"
DEAD_REASON = "x-tracktion-dead-reason"
"""``invalid``, ``permanent`` or ``exhausted``."""
SOURCE_QUEUE = "x-tracktion-queue"

_MAX_ERROR_TEXT = 1000


class Action(Enum):
    """What the bus does with a message after its handler ran."""

    ACK = "ack"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The decision for one delivery.

    For ``RETRY`` and ``DEAD`` the message is republished, with ``headers``, to
    ``exchange``/``routing_key`` (a back-off queue through the default exchange, or the
    queue's dead-letter exchange), and then acknowledged. A ``DEAD`` outcome with no
    exchange (a queue without dead-lettering) drops the message after logging it.
    """

    action: Action
    exchange: str | None = None
    routing_key: str | None = None
    headers: dict[str, HeaderValue] | None = None


ACK = Outcome(Action.ACK)


def original_routing_key(raw: RawMessage) -> str:
    """The key the message was first published with (retries travel under queue names)."""
    key = raw.headers.get(ORIGINAL_ROUTING_KEY)
    return key if isinstance(key, str) else raw.routing_key


def failed_attempts(raw: RawMessage) -> int:
    """How many times the message has failed before this delivery."""
    value = raw.headers.get(ATTEMPTS)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


async def handle(raw: RawMessage, queue: Queue, handler: Handler, policy: RetryPolicy) -> Outcome:
    """Decode ``raw``, run ``handler`` and decide what becomes of the message.

    Cancellation (the consumer shutting down) propagates: the caller must then return the
    message to its queue unacknowledged.
    """
    try:
        delivery = _decode(raw, queue)
    except (ContractValidationError, UnknownMessageTypeError) as exc:
        log.warning("dead-lettering an invalid message from %s: %s", queue.name, exc)
        return _dead(raw, queue, "invalid", exc)
    try:
        await handler(delivery)
    except PermanentError as exc:
        log.warning("dead-lettering %s from %s: %s", raw.message_id, queue.name, exc)
        return _dead(raw, queue, "permanent", exc)
    except Exception as exc:  # anything but a declared permanent failure may pass
        return _retry(raw, queue, policy, exc)
    return ACK


def _decode(raw: RawMessage, queue: Queue) -> Delivery:
    key = original_routing_key(raw)
    spec = get_message_spec(raw.message_type) if raw.message_type else spec_for_routing_key(key)
    return Delivery(
        message=spec.parse(raw.body),
        queue=queue.name,
        routing_key=key,
        message_id=raw.message_id,
        correlation_id=raw.correlation_id,
        attempt=failed_attempts(raw) + 1,
        redelivered=raw.redelivered,
        headers=raw.headers,
    )


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 3] + "..."


def _carried(raw: RawMessage, exc: BaseException, attempts: int) -> dict[str, HeaderValue]:
    headers = dict(raw.headers)
    headers.setdefault(ORIGINAL_ROUTING_KEY, raw.routing_key)
    headers.setdefault(ORIGINAL_EXCHANGE, raw.exchange)
    headers[ATTEMPTS] = attempts
    headers[LAST_ERROR] = _error_text(exc)
    return headers


def _retry(raw: RawMessage, queue: Queue, policy: RetryPolicy, exc: BaseException) -> Outcome:
    attempts = failed_attempts(raw) + 1
    if attempts >= policy.max_attempts or not queue.retry_queues:
        log.warning(
            "dead-lettering %s from %s after %d attempts: %s",
            raw.message_id,
            queue.name,
            attempts,
            _error_text(exc),
        )
        return _dead(raw, queue, "exhausted", exc)
    tier = queue.retry_queues[min(attempts, len(queue.retry_queues)) - 1]
    log.info("retrying %s from %s via %s: %s", raw.message_id, queue.name, tier, exc)
    return Outcome(Action.RETRY, DEFAULT_EXCHANGE, tier, _carried(raw, exc, attempts))


def _dead(raw: RawMessage, queue: Queue, reason: str, exc: BaseException) -> Outcome:
    attempts = failed_attempts(raw) + 1
    headers = _carried(raw, exc, attempts)
    headers[DEAD_REASON] = reason
    headers[SOURCE_QUEUE] = queue.name
    letter = queue.dead_letter
    if letter is None:
        log.error("dropping %s: queue %s has no dead-letter exchange", raw.message_id, queue.name)
        return Outcome(Action.DEAD, headers=headers)
    return Outcome(Action.DEAD, letter.exchange, letter.routing_key, headers)
