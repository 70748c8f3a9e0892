from __future__ import annotations

import shutil
import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.core.notify.smtp_server import (
    PASSWORD,
    USER,
    free_port,
    self_signed_certificate,
    smtp_server,
)
from tracktion.core.notify import (
    Backoff,
    Level,
    Notification,
    NotificationField,
    NotifierConfigurationError,
    SmtpConfig,
    SmtpNotifier,
    render_email,
)

pytestmark = pytest.mark.anyio

NOTE = Notification(
    title="Analysis failed: <track>.mp3",
    body="Decoding stopped at 1:02\nfile truncated",
    level=Level.ERROR,
    fields=(NotificationField(name="Code", value="DECODE_ERROR"),),
    source="analysis",
    event_type="error_event",
    correlation_id="0b8f0c8e-8d5a-4f7e-9a59-2f6a0f3c1d2e",
    timestamp=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
)
QUICK = Backoff(initial_s=0.01, max_s=0.02)


def config(port: int, **options: object) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1",
        port=port,
        sender="Tracktion <tracktion@example.org>",
        recipients=("ann@example.org", "bob@example.org"),
        **options,  # type: ignore[arg-type]
    )


async def test_an_email_with_text_and_html_reaches_the_server() -> None:
    with smtp_server() as (inbox, port):
        notifier = SmtpNotifier(
            config(port, security="none", username=USER, password=SecretStr(PASSWORD))
        )
        result = await notifier.send(NOTE)
        await notifier.aclose()
    assert result.ok
    assert result.channel == "smtp:127.0.0.1"
    assert inbox.logins == [USER]
    assert inbox.envelopes == [("tracktion@example.org", ["ann@example.org", "bob@example.org"])]
    message = inbox.messages[0]
    assert message["Subject"] == "[Tracktion] [ERROR] Analysis failed: <track>.mp3"
    assert message["X-Tracktion-Correlation-Id"] == NOTE.correlation_id
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    plain = text.get_content().replace("\r\n", "\n")
    assert "Decoding stopped at 1:02\nfile truncated" in plain
    assert "Code: DECODE_ERROR" in plain
    assert "Event: error_event" in plain
    markup = html.get_content().replace("\r\n", "\n")
    assert "<h2>Analysis failed: &lt;track&gt;.mp3</h2>" in markup
    assert "Decoding stopped at 1:02<br>file truncated" in markup


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_starttls_with_a_trusted_private_ca(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    with smtp_server(tls_context=server_context) as (inbox, port):
        secure = config(
            port,
            security="starttls",
            username=USER,
            password=SecretStr(PASSWORD),
            ca_file=str(cert),
        )
        assert (await SmtpNotifier(secure).send(NOTE)).ok
        # Without trusting the CA the certificate is refused, and that is not retried.
        untrusted = await SmtpNotifier(config(port, security="starttls")).send(NOTE)
    assert len(inbox.messages) == 1
    assert inbox.logins == [USER]
    assert not untrusted.ok
    assert not untrusted.transient
    assert untrusted.attempts == 1
    assert untrusted.detail.startswith("TLS failed")


async def test_starttls_refused_by_the_server_is_a_permanent_failure() -> None:
    with smtp_server() as (inbox, port):
        result = await SmtpNotifier(config(port, security="starttls")).send(NOTE)
    assert not result.ok
    assert not result.transient
    assert inbox.messages == []
    assert "STARTTLS extension not supported" in result.detail


async def test_refused_authentication_is_permanent() -> None:
    with smtp_server() as (inbox, port):
        notifier = SmtpNotifier(
            config(port, security="none", username=USER, password=SecretStr("wrong"))
        )
        result = await notifier.send(NOTE)
    assert not result.ok
    assert not result.transient
    assert result.attempts == 1
    assert "SMTP 535" in result.detail
    assert inbox.messages == []


async def test_an_unreachable_server_is_retried_then_reported_as_transient() -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    notifier = SmtpNotifier(
        config(free_port(), security="none", max_attempts=3, backoff=QUICK),
        sleep=sleep,
        random=lambda: 0.0,
    )
    result = await notifier.send(NOTE)
    assert not result.ok
    assert result.transient
    assert result.attempts == 3
    assert result.detail == "connection failed (ConnectionRefusedError)"
    assert sleeps == [0.01, 0.02]


def test_subjects_are_one_line_and_bounded() -> None:
    long = NOTE.model_copy(update={"title": "line one\r\nBcc: evil@example.org " + "x" * 500})
    subject = render_email(long, config(25))["Subject"]
    assert "\n" not in subject
    assert len(subject) == 200
    assert subject.endswith("\u2026")


def test_from_url_reads_security_port_and_credentials() -> None:
    parsed = SmtpConfig.from_url(
        "smtps://ann%40example.org:p%3Ass@mail.example.org",
        sender="dj@example.org",
        recipients=["ann@example.org"],
        timeout_s=5.0,
    )
    assert (parsed.security, parsed.effective_port, parsed.username) == (
        "ssl",
        465,
        "ann@example.org",
    )
    assert parsed.password is not None
    assert parsed.password.get_secret_value() == "p:ss"
    assert "p:ss" not in repr(parsed)
    assert parsed.timeout_s == 5.0


@pytest.mark.parametrize(
    ("url", "sender", "recipients", "message"),
    [
        ("http://u:hunter2@mail", "a@b.org", ["c@d.org"], "invalid SMTP URL"),
        ("smtp://u:hunter2@mail:99999", "a@b.org", ["c@d.org"], "invalid SMTP URL"),
        ("smtp://u:hunter2@mail", "nobody", ["c@d.org"], "is not an email address"),
        ("smtp://u:hunter2@mail", "a@b.org", [], "at least one recipient"),
        ("smtp://:hunter2@mail", "a@b.org", ["c@d.org"], "needs a username"),
    ],
)
def test_bad_smtp_settings_are_named_without_the_password(
    url: str, sender: str, recipients: list[str], message: str
) -> None:
    with pytest.raises(NotifierConfigurationError, match=message) as caught:
        SmtpConfig.from_url(url, sender=sender, recipients=recipients)
    assert "hunter2" not in str(caught.value)
