"""The notification service: tells people what happened, on the configured channels.

It consumes the queues of the topology whose consumer is ``notification`` (canonically
``notification_queue``: ``analysis.complete``, ``catalog.updated``, ``rename.generated``
and ``error.*``), turns each message into a :class:`~tracktion.core.notify.Notification`
(:mod:`.notification_formats`; unknown types get a generic one) and delivers it through a
:class:`~tracktion.core.notify.MultiNotifier` (log, Discord webhooks, email).

Delivery is best-effort, with these rules:

* Each channel retries on its own first (Discord: back-off and rate limits; SMTP:
  back-off), bounded.
* Every channel that delivered, or failed permanently (HTTP 400/404, SMTP
  authentication refused: retrying cannot help), is recorded in the catalog as done
  for that message (consumer ``notification:<channel>``), so a redelivered message
  goes only to the channels still missing it: no duplicates.
* A channel that still fails transiently (connection refused, HTTP 5xx, rate limited
  beyond the wait allowed) makes the handler raise ``TransientError`` while
  ``delivery.attempt < bus_attempts``: the bus retries it after its back-off tiers (1 s,
  10 s, 60 s by default), which rides out outages longer than a channel's own retries.
  On the last attempt the failure is logged and the message acknowledged: a
  notification is never dead-lettered for a channel outage.
* Permanent failures are logged at ERROR and the message acknowledged.

Order: notifications are handed to the channels in the order their messages arrived,
although handlers run concurrently (``prefetch``) and their catalog checks finish in any
order; each webhook delivers in that order. So an analysis is announced before the
rename proposal that follows it. A message the bus retries arrives again, after those
that followed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

import anyio
from pydantic import BaseModel

from tracktion.contracts import CatalogChange, CatalogUpdatedEvent
from tracktion.core.bus import Delivery, MessageBus, Subscription
from tracktion.core.catalog import CatalogStore
from tracktion.core.errors import ConfigurationError, TransientError
from tracktion.core.notify import (
    DiscordWebhookConfig,
    MultiNotifier,
    NotifierConfig,
    SmtpConfig,
    open_notifier,
)

from .notification_formats import format_message
from .runtime import Ports
from .settings import Settings

__all__ = [
    "SERVICE",
    "NotificationOptions",
    "NotificationService",
    "build",
    "notifier_config",
]

log = logging.getLogger("tracktion.services.notification")

SERVICE = "notification"
"""The consumer name of the topology's notification queue."""

_QUIET_CHANGES = frozenset({CatalogChange.ANALYZED})


@dataclass(frozen=True, slots=True)
class NotificationOptions:
    """How the notification service works.

    Attributes:
        prefetch: Messages handled at once; several let a webhook pack pending
            notifications into one message.
        catalog_changes: The ``catalog.updated`` changes worth a notification; by
            default all but ``analyzed`` (``analysis.complete`` already tells it).
        skip_types: Message type names never notified (``rename_generated``...).
        bus_attempts: Deliveries of one message (the first included) for which a
            transient channel failure is handed back to the bus to retry; at least 1,
            at most the bus's ``RetryPolicy.max_attempts``.
        drain_timeout_s: On shutdown, how long handlers in progress may take.
    """

    prefetch: int = 16
    catalog_changes: frozenset[CatalogChange] = field(
        default_factory=lambda: frozenset(set(CatalogChange) - _QUIET_CHANGES)
    )
    skip_types: frozenset[str] = frozenset()
    bus_attempts: int = 3
    drain_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, not {self.prefetch}")
        if self.bus_attempts < 1:
            raise ValueError(f"bus_attempts must be at least 1, not {self.bus_attempts}")
        if self.drain_timeout_s < 0:
            raise ValueError(f"drain_timeout_s must not be negative, not {self.drain_timeout_s}")


class NotificationService:
    """Turns the notification queue into notifications (see the module documentation).

    The service owns ``notifier``: :meth:`run` closes it when it returns, after the
    handlers in progress have finished.
    """

    def __init__(
        self,
        bus: MessageBus,
        catalog: CatalogStore,
        notifier: MultiNotifier,
        options: NotificationOptions | None = None,
    ) -> None:
        self._bus = bus
        self._catalog = catalog
        self._notifier = notifier
        self._options = options or NotificationOptions()
        self._turns = _Turns()

    @property
    def queues(self) -> list[str]:
        """The queues this service consumes, from the bus's topology."""
        return [q.name for q in self._bus.topology.work_queues() if q.consumer == SERVICE]

    async def run(self) -> None:
        """Consume until cancelled; then finish in-flight deliveries and close the notifier."""
        subscriptions: list[Subscription] = []
        try:
            for queue in self.queues:  # one by one: a failure leaves the earlier ones to cancel
                subscription = await self._bus.subscribe(
                    queue, self.handle, prefetch=self._options.prefetch
                )
                subscriptions.append(subscription)
            log.info(
                "notification: consuming %s, delivering to %s",
                ", ".join(self.queues),
                ", ".join(n.name for n in self._notifier.notifiers),
            )
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                for subscription in subscriptions:
                    await subscription.cancel(timeout=self._options.drain_timeout_s)
                await self._notifier.aclose()

    def wanted(self, message: BaseModel) -> bool:
        """Whether ``message`` is worth a notification under the options."""
        kind = getattr(type(message), "MESSAGE_TYPE", type(message).__name__)
        if kind in self._options.skip_types:
            return False
        if isinstance(message, CatalogUpdatedEvent):
            return message.change in self._options.catalog_changes
        return True

    async def handle(self, delivery: Delivery) -> None:
        """Deliver one message's notification to the channels that still lack it.

        Raises ``TransientError`` when a channel failed transiently and the bus may
        still retry (``delivery.attempt < bus_attempts``); catalog errors propagate
        (the bus retries the message).
        """
        turn = self._turns.take()  # on arrival, before any await
        try:
            await self._handle(delivery, turn)
        finally:
            turn.end()

    async def _handle(self, delivery: Delivery, turn: _Turn) -> None:
        message = delivery.message
        if not self.wanted(message):
            log.debug("notification: %s not notified (filtered)", delivery.message_id)
            return
        pending = await self._pending_channels(delivery.message_id)
        if not pending:
            log.info("notification: %s already delivered; acknowledging", delivery.message_id)
            return
        notification = format_message(message, correlation_id=delivery.correlation_id)
        await turn.wait()
        # The channels take notifications in the order their sends start, and a task
        # starts in the order it was created: creating it is the hand-over.
        sending = asyncio.ensure_future(self._notifier.send(notification, only=pending))
        turn.end()
        result = await sending
        done = [child.channel for child in result.channels if child.ok or not child.transient]
        if done:
            async with self._catalog.transaction() as tx:
                for channel in done:
                    await tx.mark_processed(_consumer(channel), delivery.message_id)
        for failure in result.failures():
            if not failure.transient:
                log.error(
                    "notification: %s (%s) dropped for %s: %s",
                    delivery.message_id,
                    notification.event_type,
                    failure.channel,
                    failure.detail,
                )
        transient = [failure for failure in result.failures() if failure.transient]
        if not transient:
            return
        summary = "; ".join(f"{failure.channel}: {failure.detail}" for failure in transient)
        if delivery.attempt < self._options.bus_attempts:
            raise TransientError(f"notification not delivered yet ({summary})")
        log.error(
            "notification: %s (%s) given up after %d deliveries: %s",
            delivery.message_id,
            notification.event_type,
            delivery.attempt,
            summary,
        )

    async def _pending_channels(self, message_id: str) -> Collection[str]:
        async with self._catalog.transaction() as tx:
            return [
                notifier.name
                for notifier in self._notifier.notifiers
                if not await tx.is_processed(_consumer(notifier.name), message_id)
            ]


def _consumer(channel: str) -> str:
    return f"{SERVICE}:{channel}"


@dataclass(slots=True)
class _Turn:
    """One handler's place in the hand-over order (see :class:`_Turns`)."""

    previous: asyncio.Future[None] | None
    mine: asyncio.Future[None]

    async def wait(self) -> None:
        """Until every earlier turn has ended."""
        if self.previous is not None and not self.previous.done():
            # Shielded: a cancelled handler must not cancel the future others wait on.
            await asyncio.shield(self.previous)

    def end(self) -> None:
        """Let the next turn go once the earlier ones have ended: a handler that ends
        early (filtered, already delivered, cancelled, failed) lets no later one pass an
        earlier one still checking the catalog."""
        if self.mine.done():
            return
        if self.previous is None or self.previous.done():
            self.mine.set_result(None)
        else:
            self.previous.add_done_callback(self._end_after)

    def _end_after(self, _previous: asyncio.Future[None]) -> None:
        if not self.mine.done():
            self.mine.set_result(None)


class _Turns:
    """Hands notifications to the channels in the order their messages arrived.

    A handler takes a turn when it starts (before its first await, so in delivery
    order), does its catalog check concurrently with the others, and waits for the
    earlier turns only to hand its notification over; the delivery itself (retries, rate
    limits) runs after its turn has ended, so a backlog still packs into few messages.
    """

    def __init__(self) -> None:
        self._last: asyncio.Future[None] | None = None

    def take(self) -> _Turn:
        """The next turn, after all those taken before."""
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn = _Turn(self._last, mine)
        self._last = mine
        return turn


def notifier_config(settings: Settings) -> NotifierConfig:
    """The channels the ``TRACKTION_NOTIFY_*`` settings name.

    Raises:
        ConfigurationError: SMTP is configured without a sender or recipients, or a
            webhook URL or SMTP setting is invalid (the message never shows a secret).
    """
    smtp = None
    if settings.notify_smtp_url is not None:
        if not settings.notify_smtp_from or not settings.notify_smtp_to:
            raise ConfigurationError(
                "TRACKTION_NOTIFY_SMTP_URL needs TRACKTION_NOTIFY_SMTP_FROM and "
                "TRACKTION_NOTIFY_SMTP_TO"
            )
        smtp = SmtpConfig.from_url(
            settings.notify_smtp_url.get_secret_value(),
            sender=settings.notify_smtp_from,
            recipients=settings.notify_smtp_to,
        )
    return NotifierConfig(
        log=settings.notify_log,
        discord=tuple(DiscordWebhookConfig(url=url) for url in settings.notify_discord_webhooks),
        smtp=smtp,
    )


def build(ports: Ports) -> NotificationService:
    """The notification service on ``ports``, with the channels of its settings."""
    notifier = open_notifier(notifier_config(ports.settings))
    return NotificationService(ports.bus, ports.catalog, notifier)
