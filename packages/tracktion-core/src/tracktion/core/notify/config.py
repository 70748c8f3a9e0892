"""Which channels to notify on, and :func:`open_notifier` that builds them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from ._model import Notifier, NotifierConfigurationError
from .discord import DiscordWebhookConfig, DiscordWebhookNotifier
from .email import SmtpConfig, SmtpNotifier
from .log import LogNotifier
from .multi import MultiNotifier
from .ratelimit import RateGate

__all__ = ["NotifierConfig", "open_notifier"]


@dataclass(frozen=True)
class NotifierConfig:
    """The channels to deliver to. Entry points build it from their settings.

    Attributes:
        log: Log every notification on the ``tracktion.notify`` logger (the default
            channel).
        discord: Discord webhooks, each with its own queue and rate limits.
        smtp: An email channel, or ``None``.
        logger: The logger of the log channel (default ``tracktion.notify``).
    """

    log: bool = True
    discord: tuple[DiscordWebhookConfig, ...] = ()
    smtp: SmtpConfig | None = None
    logger: logging.Logger | None = None


def open_notifier(
    config: NotifierConfig, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> MultiNotifier:
    """A fan-out over the configured channels; close it with ``aclose``.

    The Discord webhooks share one gate for Discord's global rate limit.
    ``http_transport`` replaces the network for the webhooks (tests).

    Raises:
        NotifierConfigurationError: no channel is configured, or two have one name.
    """
    channels: list[Notifier] = []
    if config.log:
        channels.append(LogNotifier(config.logger))
    gate = RateGate()
    channels += [
        DiscordWebhookNotifier(webhook, transport=http_transport, gate=gate)
        for webhook in config.discord
    ]
    if config.smtp is not None:
        channels.append(SmtpNotifier(config.smtp))
    if not channels:
        raise NotifierConfigurationError(
            "no notification channel configured: enable the log channel or add one"
        )
    return MultiNotifier(channels)
