from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tracktion.core.notify as notify_package
from tracktion.core.notify import (
    DiscordWebhookNotifier,
    LogNotifier,
    MultiNotifier,
    Notifier,
    NotifierConfig,
    NotifierConfigurationError,
    SmtpConfig,
    SmtpNotifier,
    open_notifier,
)
from tracktion.core.notify.discord import DiscordWebhookConfig


def test_public_api_is_exactly_all_and_complete() -> None:
    exported = notify_package.__all__
    assert len(exported) == len(set(exported))
    missing = []
    for module_info in pkgutil.iter_modules(notify_package.__path__):
        module = importlib.import_module(f"tracktion.core.notify.{module_info.name}")
        module_all = getattr(module, "__all__", None)
        assert module_all is not None, module.__name__
        if not module_info.name.startswith("_") and module_info.name != "discord_payload":
            missing += [name for name in module_all if name not in exported]
    assert not missing


@pytest.mark.parametrize("module", ["", ".ratelimit", ".discord_payload", "._redact", ".email"])
def test_doctests(module: str) -> None:
    failed, attempted = doctest.testmod(importlib.import_module("tracktion.core.notify" + module))
    assert attempted > 0
    assert failed == 0


@pytest.mark.anyio
async def test_open_notifier_builds_the_configured_channels() -> None:
    config = NotifierConfig(
        discord=(
            DiscordWebhookConfig(url="https://discord.test/api/webhooks/1/a"),  # type: ignore[arg-type]
            DiscordWebhookConfig(url="https://discord.test/api/webhooks/2/b"),  # type: ignore[arg-type]
        ),
        smtp=SmtpConfig(host="mail", sender="a@b.org", recipients=("c@d.org",)),
    )
    notifier = open_notifier(config)
    kinds = [type(channel) for channel in notifier.notifiers]
    assert kinds == [LogNotifier, DiscordWebhookNotifier, DiscordWebhookNotifier, SmtpNotifier]
    assert [channel.name for channel in notifier.notifiers] == [
        "log",
        "discord:1",
        "discord:2",
        "smtp:mail",
    ]
    assert all(isinstance(channel, Notifier) for channel in notifier.notifiers)
    assert isinstance(notifier, MultiNotifier)
    await notifier.aclose()


def test_no_channel_is_a_configuration_error() -> None:
    with pytest.raises(NotifierConfigurationError, match="no notification channel"):
        open_notifier(NotifierConfig(log=False))
