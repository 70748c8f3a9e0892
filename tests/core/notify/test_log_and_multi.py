from __future__ import annotations

import logging

import pytest

from tracktion.core.notify import (
    DeliveryResult,
    Level,
    LogNotifier,
    MultiNotifier,
    Notification,
    NotificationField,
    NotifierConfigurationError,
)

pytestmark = pytest.mark.anyio


class Scripted:
    def __init__(self, name: str, result: DeliveryResult | Exception) -> None:
        self.name = name
        self.result = result
        self.sent: list[Notification] = []
        self.closed = False

    async def send(self, notification: Notification) -> DeliveryResult:
        self.sent.append(notification)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    async def aclose(self) -> None:
        self.closed = True


async def test_the_log_channel_writes_one_structured_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tracktion.notify")
    note = Notification(
        title="Renamed",
        body="a.mp3 -> b.mp3",
        level=Level.WARNING,
        fields=(NotificationField(name="Confidence", value="0.9"),),
        event_type="rename_generated",
        correlation_id="c-1",
    )
    result = await LogNotifier().send(note)
    assert result.ok
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Renamed: a.mp3 -> b.mp3 [Confidence=0.9]"
    assert record.__dict__["notify_event_type"] == "rename_generated"
    assert record.__dict__["notify_correlation_id"] == "c-1"
    assert record.__dict__["notify_fields"] == {"Confidence": "0.9"}


async def test_fan_out_reports_each_channel() -> None:
    good = Scripted("good", DeliveryResult.delivered("good"))
    flaky = Scripted("flaky", DeliveryResult.failed("flaky", "HTTP 503", transient=True))
    multi = MultiNotifier([good, flaky])
    result = await multi.send(Notification(title="t"))
    assert not result.ok
    assert result.transient
    assert [child.channel for child in result.channels] == ["good", "flaky"]
    assert [failure.channel for failure in result.failures()] == ["flaky"]
    assert str(result) == ("good delivered after 1 attempt; flaky failed after 1 attempt: HTTP 503")
    await multi.aclose()
    assert good.closed
    assert flaky.closed


async def test_a_permanent_failure_makes_the_fan_out_permanent() -> None:
    multi = MultiNotifier(
        [
            Scripted("a", DeliveryResult.failed("a", "HTTP 503", transient=True)),
            Scripted("b", DeliveryResult.failed("b", "HTTP 404", transient=False)),
        ]
    )
    result = await multi.send(Notification(title="t"))
    assert not result.ok
    assert not result.transient


async def test_a_raising_channel_is_a_failure_that_hides_the_exception_text() -> None:
    boom = Scripted("boom", RuntimeError("https://x/api/webhooks/1/SECRET"))
    ok = Scripted("ok", DeliveryResult.delivered("ok"))
    result = await MultiNotifier([boom, ok]).send(Notification(title="t"))
    assert [child.ok for child in result.channels] == [False, True]
    assert result.channels[0].detail == "channel raised RuntimeError"
    assert ok.sent


def test_channel_names_must_differ() -> None:
    with pytest.raises(NotifierConfigurationError, match="repeated: \\['x'\\]"):
        MultiNotifier([LogNotifier(name="x"), LogNotifier(name="x")])


async def test_only_the_named_channels_are_sent_to() -> None:
    first = Scripted("first", DeliveryResult.delivered("first"))
    second = Scripted("second", DeliveryResult.delivered("second"))
    result = await MultiNotifier([first, second]).send(Notification(title="t"), only={"second"})
    assert result.ok
    assert [child.channel for child in result.channels] == ["second"]
    assert first.sent == []
    assert len(second.sent) == 1
