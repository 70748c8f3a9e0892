"""The one test against a real HTTP server: Discord's 429 burst over a socket."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from tests.core.notify.fake_discord import DiscordHTTPServer, FakeDiscord, webhook_url
from tracktion.core.notify import DiscordWebhookConfig, DiscordWebhookNotifier, Notification

pytestmark = pytest.mark.anyio


async def test_a_real_server_rate_limits_and_every_notification_arrives_in_order() -> None:
    fake = FakeDiscord(bucket=4, window=0.5)
    with DiscordHTTPServer(fake) as server:
        config = DiscordWebhookConfig(
            url=SecretStr(webhook_url(server.base_url)), rate_limits=(), batch=False
        )
        notifier = DiscordWebhookNotifier(config)
        results = await asyncio.gather(
            *(notifier.send(Notification(title=f"n{i}", body="b")) for i in range(10))
        )
        await notifier.aclose()
    assert all(result.ok for result in results)
    assert fake.titles() == [f"n{i}" for i in range(10)]
    assert fake.rate_limited >= 1
    assert fake.invalid == []
