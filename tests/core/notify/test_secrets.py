"""No secret (webhook token, SMTP password) in logs at DEBUG, reprs, results or errors."""

from __future__ import annotations

import logging
from collections import deque

import httpx
import pytest
from pydantic import SecretStr

from tests.core.notify.fake_discord import TOKEN, DiscordHTTPServer, FakeDiscord, webhook_url
from tests.core.notify.smtp_server import PASSWORD, USER, smtp_server
from tracktion.core.notify import (
    Backoff,
    DeliveryResult,
    DiscordWebhookConfig,
    Notification,
    NotifierConfig,
    SmtpConfig,
    open_notifier,
)

pytestmark = pytest.mark.anyio

QUICK = Backoff(initial_s=0.001, max_s=0.002)


async def test_no_secret_anywhere_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeDiscord(script=deque([500, 429, 400]))
    results: list[DeliveryResult] = []
    shown: list[str] = []
    with DiscordHTTPServer(fake) as server, smtp_server() as (_, port):
        good = SmtpConfig(
            host="127.0.0.1",
            port=port,
            security="none",
            username=USER,
            password=SecretStr(PASSWORD),
            sender="t@example.org",
            recipients=("a@example.org",),
        )
        bad_password = SmtpConfig(
            host="127.0.0.1",
            port=port,
            security="none",
            username=USER,
            password=SecretStr(PASSWORD + "x"),
            sender="t@example.org",
            recipients=("a@example.org",),
            name="smtp:bad",
        )
        hooks = (
            DiscordWebhookConfig(url=SecretStr(webhook_url(server.base_url)), backoff=QUICK),
            DiscordWebhookConfig(
                url=SecretStr(webhook_url("http://127.0.0.1:9")),  # refused
                backoff=QUICK,
                max_attempts=2,
                name="refused",
            ),
        )
        for smtp in (good, bad_password):
            config = NotifierConfig(discord=hooks, smtp=smtp)
            notifier = open_notifier(config)
            results += [await notifier.send(Notification(title="t", body="b")) for _ in "12"]
            shown += [repr(config), str(config), repr(notifier)]
            await notifier.aclose()
    shown += [str(result) for result in results] + [repr(result) for result in results]
    outcomes = {child.channel: child.ok for result in results for child in result.channels}
    assert outcomes["refused"] is False
    assert outcomes["smtp:bad"] is False
    assert any(
        child.ok for r in results for child in r.channels if child.channel.startswith("discord:")
    )
    assert any(
        child.ok for r in results for child in r.channels if child.channel == "smtp:127.0.0.1"
    )
    # httpx did log the requests, only without the token.
    assert "HTTP Request: POST http://127.0.0.1" in caplog.text
    assert "/api/webhooks/112233445566778899/***" in caplog.text
    everything = caplog.text + "\n".join(shown)
    assert TOKEN not in everything
    assert PASSWORD not in everything


async def test_transport_errors_that_quote_the_url_do_not_leak_it() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    config = NotifierConfig(
        log=False,
        discord=(
            DiscordWebhookConfig(url=SecretStr(webhook_url()), backoff=QUICK, max_attempts=1),
        ),
    )
    notifier = open_notifier(config, http_transport=httpx.MockTransport(fail))
    result = await notifier.send(Notification(title="t"))
    await notifier.aclose()
    assert not result.ok
    assert TOKEN not in str(result)
