"""The default channel: notifications as structured records of the stdlib ``logging``."""

from __future__ import annotations

import logging

from ._model import DeliveryResult, Notification

__all__ = ["LogNotifier"]


class LogNotifier:
    """Writes each notification as one log record on ``logger`` (``tracktion.notify``).

    The record's level follows the notification's (``success`` logs at INFO), its message
    is ``title: body`` with the fields as ``name=value``, and the structured fields of
    :meth:`Notification.log_fields` are set as record attributes (``notify_title``,
    ``notify_level``...) for JSON formatters. It always delivers.
    """

    def __init__(self, logger: logging.Logger | None = None, *, name: str = "log") -> None:
        self.name = name
        self._logger = logger or logging.getLogger("tracktion.notify")

    async def send(self, notification: Notification) -> DeliveryResult:
        """Log ``notification``."""
        parts = [notification.title]
        if notification.body:
            parts.append(notification.body)
        text = ": ".join(parts)
        if notification.fields:
            text += " [" + ", ".join(f"{f.name}={f.value}" for f in notification.fields) + "]"
        self._logger.log(
            notification.level.logging_level,
            "%s",
            text,
            extra=notification.log_fields(),
        )
        return DeliveryResult.delivered(self.name)

    async def aclose(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"LogNotifier(name={self.name!r}, logger={self._logger.name!r})"
