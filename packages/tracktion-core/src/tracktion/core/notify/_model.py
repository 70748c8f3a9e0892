"""What a notification is, what delivering it returned, and the port every channel offers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Protocol, Self, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ..errors import ConfigurationError

__all__ = [
    "DeliveryResult",
    "DeliveryStatus",
    "Level",
    "Notification",
    "NotificationField",
    "Notifier",
    "NotifierConfigurationError",
]


class NotifierConfigurationError(ConfigurationError):
    """A notification channel is configured wrongly (the message never shows a secret)."""


class Level(StrEnum):
    """How much a notification matters; channels map it to colours and log levels."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"

    @property
    def logging_level(self) -> int:
        """The stdlib :mod:`logging` level of this notification level."""
        return _LOGGING_LEVELS[self]


_LOGGING_LEVELS = {
    Level.INFO: logging.INFO,
    Level.SUCCESS: logging.INFO,
    Level.WARNING: logging.WARNING,
    Level.ERROR: logging.ERROR,
}

_Text = Annotated[str, StringConstraints(max_length=100_000)]


class NotificationField(BaseModel):
    """One name/value pair shown with a notification (``BPM: 128.0``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    value: _Text
    inline: bool = True
    """Whether the channel may show it beside the previous field (Discord's columns)."""


class Notification(BaseModel):
    """A channel-neutral message for a person.

    Channels cut what exceeds their own limits (Discord: 256 characters of title, 4096
    of body...); the model itself only rejects absurd sizes (over 100 000 characters).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    body: _Text = ""
    level: Level = Level.INFO
    fields: tuple[NotificationField, ...] = ()
    source: str | None = None
    """The service the event came from (``analysis``), shown as the author."""
    event_type: str | None = None
    """The type name of the message that caused it (``analysis_complete``)."""
    correlation_id: str | None = None
    timestamp: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))

    def log_fields(self) -> dict[str, object]:
        """The notification as flat, JSON-friendly structured-logging fields."""
        return {
            "notify_title": self.title,
            "notify_level": self.level.value,
            "notify_source": self.source,
            "notify_event_type": self.event_type,
            "notify_correlation_id": self.correlation_id,
            "notify_timestamp": self.timestamp.isoformat(),
            "notify_fields": {field.name: field.value for field in self.fields},
        }


class DeliveryStatus(StrEnum):
    """The outcome of one delivery on one channel."""

    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryResult(BaseModel):
    """What one channel (or a fan-out of several) did with one notification.

    ``transient`` tells a failure that may succeed later (connection refused, HTTP 5xx,
    rate limited beyond the allowed wait) from a permanent one (HTTP 400/404, SMTP
    authentication refused). ``detail`` is a human-readable reason that never contains
    a secret. A fan-out's result lists its channels' results in ``channels``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    status: DeliveryStatus
    attempts: Annotated[int, Field(ge=0)] = 1
    detail: str = ""
    transient: bool = False
    channels: tuple[DeliveryResult, ...] = ()

    @property
    def ok(self) -> bool:
        """Delivered (for a fan-out: on every channel)."""
        return self.status is DeliveryStatus.DELIVERED

    @classmethod
    def delivered(cls, channel: str, attempts: int = 1, detail: str = "") -> Self:
        """A successful delivery after ``attempts`` requests."""
        return cls(
            channel=channel, status=DeliveryStatus.DELIVERED, attempts=attempts, detail=detail
        )

    @classmethod
    def failed(cls, channel: str, detail: str, *, attempts: int = 1, transient: bool) -> Self:
        """A failed delivery, saying why in ``detail``."""
        return cls(
            channel=channel,
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            detail=detail,
            transient=transient,
        )

    def failures(self) -> Sequence[DeliveryResult]:
        """The failed leaf results (this one, or the failed channels of a fan-out)."""
        if not self.channels:
            return () if self.ok else (self,)
        return tuple(leaf for child in self.channels for leaf in child.failures())

    def __str__(self) -> str:
        if self.channels:
            return "; ".join(str(child) for child in self.channels)
        tries = "attempt" if self.attempts == 1 else "attempts"
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.channel} {self.status.value} after {self.attempts} {tries}{tail}"


@runtime_checkable
class Notifier(Protocol):
    """A notification channel (or a fan-out of several).

    ``send`` never raises for a delivery problem: it returns a failed
    :class:`DeliveryResult` saying why, after the channel's own bounded retries.
    """

    name: str
    """A label for logs and results (``log``, ``discord:1234``, ``smtp:mail.example.org``)."""

    async def send(self, notification: Notification) -> DeliveryResult:
        """Deliver ``notification``; return what happened."""
        ...

    async def aclose(self) -> None:
        """Deliver what is queued (within the channel's close timeout), then release."""
        ...
