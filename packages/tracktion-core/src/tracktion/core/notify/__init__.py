"""Notifications for people: one port, several channels, a fan-out.

A :class:`Notification` (title, body, level, fields, where it came from) goes to a
:class:`Notifier`, whose ``send`` returns a :class:`DeliveryResult` instead of raising.
Channels: :class:`LogNotifier` (stdlib ``logging``, the default),
:class:`DiscordWebhookNotifier` (limits, rate limits, retries, order) and
:class:`SmtpNotifier` (email); :class:`MultiNotifier` fans out to several.
:func:`open_notifier` builds the channels a :class:`NotifierConfig` names. Secrets
(webhook tokens, SMTP passwords) never appear in logs, reprs or results.

>>> import asyncio
>>> async def demo() -> str:
...     notifier = open_notifier(NotifierConfig(log=True))
...     result = await notifier.send(Notification(title="Analysis complete", level="success"))
...     await notifier.aclose()
...     return str(result)
>>> asyncio.run(demo())
'log delivered after 1 attempt'
"""

from __future__ import annotations

from ._model import (
    DeliveryResult,
    DeliveryStatus,
    Level,
    Notification,
    NotificationField,
    Notifier,
    NotifierConfigurationError,
)
from ._redact import redact
from .config import NotifierConfig, open_notifier
from .discord import DEFAULT_DISCORD_RATE_LIMITS, DiscordWebhookConfig, DiscordWebhookNotifier
from .email import SmtpConfig, SmtpNotifier, SmtpSecurity, render_email
from .log import LogNotifier
from .multi import MultiNotifier
from .ratelimit import Backoff, Clock, RateGate, RateLimit, Sleep, TokenBucket

__all__ = [
    "DEFAULT_DISCORD_RATE_LIMITS",
    "Backoff",
    "Clock",
    "DeliveryResult",
    "DeliveryStatus",
    "DiscordWebhookConfig",
    "DiscordWebhookNotifier",
    "Level",
    "LogNotifier",
    "MultiNotifier",
    "Notification",
    "NotificationField",
    "Notifier",
    "NotifierConfig",
    "NotifierConfigurationError",
    "RateGate",
    "RateLimit",
    "Sleep",
    "SmtpConfig",
    "SmtpNotifier",
    "SmtpSecurity",
    "TokenBucket",
    "open_notifier",
    "redact",
    "render_email",
]
