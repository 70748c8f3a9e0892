"""Email over SMTP: plain text with an HTML alternative, STARTTLS or implicit TLS.

The stdlib :mod:`smtplib` runs in a worker thread (``anyio.to_thread``); one connection
per notification, one notification at a time (so mail leaves in order). Connection
problems, timeouts and SMTP 4xx replies are retried with back-off up to
``max_attempts``; 5xx replies, refused authentication or recipients and TLS failures
are not. The password is a :class:`~pydantic.SecretStr` and never appears in a log
line, a repr or a result.
"""

from __future__ import annotations

import asyncio
import html
import logging
import math
import random as _random
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal
from urllib.parse import unquote, urlsplit

import anyio.to_thread
from pydantic import SecretStr

from ._model import DeliveryResult, Notification, NotifierConfigurationError
from ._redact import redact
from .ratelimit import Backoff, Sleep

__all__ = ["SmtpConfig", "SmtpNotifier", "SmtpSecurity", "render_email"]

log = logging.getLogger("tracktion.notify.email")

SmtpSecurity = Literal["none", "starttls", "ssl"]
"""``none`` (plain, local relays only), ``starttls`` (upgrade), ``ssl`` (implicit TLS)."""

_DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "ssl": 465}
_SCHEMES: dict[str, SmtpSecurity] = {
    "smtp": "none",
    "smtp+starttls": "starttls",
    "smtps": "ssl",
}
_SUBJECT_LIMIT = 200


def _address(value: str, what: str) -> str:
    _, address = parseaddr(value)
    if not address or "@" not in address or any(c in value for c in "\r\n"):
        raise NotifierConfigurationError(f"{what} {value!r} is not an email address")
    return value


@dataclass(frozen=True)
class SmtpConfig:
    """An SMTP server, the sender and the recipients.

    Attributes:
        host: Server name or address.
        sender: ``From`` address (``Tracktion <dj@example.org>``).
        recipients: ``To`` addresses (at least one).
        port: Default 25 (``none``), 587 (``starttls``) or 465 (``ssl``).
        security: See :data:`SmtpSecurity`.
        username: Login name; no login when ``None``.
        password: Login password (a secret).
        ca_file: PEM file of CAs to trust instead of the system's (private relays).
        timeout_s: Per-connection timeout, seconds.
        max_attempts: Tries per notification for transient failures (>= 1).
        backoff: Delays between those tries.
        subject_prefix: Put before every subject.
        name: Label in logs and results; default ``smtp:<host>``.

    Raises:
        NotifierConfigurationError: naming the bad value (never the password).
    """

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int | None = None
    security: SmtpSecurity = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    ca_file: str | None = None
    timeout_s: float = 30.0
    max_attempts: int = 3
    backoff: Backoff = field(default_factory=lambda: Backoff(initial_s=2.0, max_s=30.0))
    subject_prefix: str = "[Tracktion] "
    name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.password, str):
            object.__setattr__(self, "password", SecretStr(self.password))
        if isinstance(self.recipients, str):
            object.__setattr__(self, "recipients", (self.recipients,))
        if not self.host or any(c.isspace() for c in self.host):
            raise NotifierConfigurationError(f"SMTP host {self.host!r} is not a host name")
        if self.security not in _DEFAULT_PORTS:
            raise NotifierConfigurationError(
                f"SMTP security {self.security!r} is not one of none, starttls, ssl"
            )
        if self.port is not None and not 0 < self.port < 65536:
            raise NotifierConfigurationError(f"SMTP port {self.port!r} is not in 1-65535")
        _address(self.sender, "SMTP sender")
        if not self.recipients:
            raise NotifierConfigurationError("SMTP needs at least one recipient")
        for recipient in self.recipients:
            _address(recipient, "SMTP recipient")
        if self.password is not None and self.username is None:
            raise NotifierConfigurationError("an SMTP password needs a username")
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise NotifierConfigurationError(
                f"max_attempts must be at least 1, not {self.max_attempts!r}"
            )
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise NotifierConfigurationError(f"timeout_s must be positive, not {self.timeout_s!r}")

    @property
    def label(self) -> str:
        """``name`` or ``smtp:<host>``."""
        return self.name or f"smtp:{self.host}"

    @property
    def effective_port(self) -> int:
        """``port`` or the default port of ``security``."""
        return self.port or _DEFAULT_PORTS[self.security]

    @classmethod
    def from_url(
        cls, url: str, *, sender: str, recipients: Sequence[str], **options: object
    ) -> SmtpConfig:
        """A config from ``smtp://``, ``smtp+starttls://`` or ``smtps://[user[:password]@]host[:port]``.

        User and password are percent-decoded. ``options`` are the other fields.

        Raises:
            NotifierConfigurationError: the URL is malformed (shown with its password
                hidden) or a field is invalid.

        >>> config = SmtpConfig.from_url(
        ...     "smtp+starttls://ann:s%40cret@mail.example.org",
        ...     sender="dj@example.org", recipients=["ann@example.org"])
        >>> config.security, config.effective_port, config.password
        ('starttls', 587, SecretStr('**********'))
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise NotifierConfigurationError(
                f"invalid SMTP URL {redact(url)!r}: {redact(str(exc))}"
            ) from None
        security = _SCHEMES.get(parts.scheme)
        if security is None or not parts.hostname:
            raise NotifierConfigurationError(
                f"invalid SMTP URL {redact(url)!r}: use smtp://, smtp+starttls:// or "
                "smtps://[user:password@]host[:port]"
            )
        password = unquote(parts.password) if parts.password is not None else None
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=SecretStr(password) if password is not None else None,
            sender=sender,
            recipients=tuple(recipients),
            **options,  # type: ignore[arg-type]
        )


def _header_text(text: str) -> str:
    return " ".join(text.split())


def render_email(notification: Notification, config: SmtpConfig) -> EmailMessage:
    """The email for ``notification``: a one-line subject, text and HTML bodies."""
    level = notification.level.value.upper()
    subject = _header_text(f"{config.subject_prefix}[{level}] {notification.title}")
    if len(subject) > _SUBJECT_LIMIT:
        subject = subject[: _SUBJECT_LIMIT - 1] + "\u2026"
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = format_datetime(notification.timestamp)
    message["Message-ID"] = make_msgid(domain=parseaddr(config.sender)[1].rpartition("@")[2])
    if notification.event_type:
        message["X-Tracktion-Event"] = _header_text(notification.event_type)
    if notification.correlation_id:
        message["X-Tracktion-Correlation-Id"] = _header_text(notification.correlation_id)

    meta = [
        ("Source", notification.source),
        ("Event", notification.event_type),
        ("Correlation id", notification.correlation_id),
        ("Time", notification.timestamp.isoformat()),
    ]
    lines = [notification.title, ""]
    if notification.body:
        lines += [notification.body, ""]
    lines += [f"{f.name}: {f.value}" for f in notification.fields]
    if notification.fields:
        lines.append("")
    lines += [f"{name}: {value}" for name, value in meta if value]
    message.set_content("\n".join(lines) + "\n")

    rows = "".join(
        f"<tr><th align='left'>{html.escape(f.name)}</th><td>{html.escape(f.value)}</td></tr>"
        for f in notification.fields
    )
    footer = " · ".join(html.escape(str(value)) for _, value in meta if value)
    body = html.escape(notification.body).replace("\n", "<br>")
    message.add_alternative(
        "<!DOCTYPE html><html><body>"
        f"<h2>{html.escape(notification.title)}</h2>"
        + (f"<p>{body}</p>" if body else "")
        + (f"<table>{rows}</table>" if rows else "")
        + f"<p><small>{footer}</small></p></body></html>",
        subtype="html",
    )
    return message


class SmtpNotifier:
    """Sends each notification as one email; see the module documentation.

    ``ssl_context`` replaces the default verifying context (built from ``ca_file``);
    ``sleep`` and ``random`` are injectable for tests.
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.config = config
        self.name = config.label
        self._ssl_context = ssl_context
        self._sleep = sleep
        self._random = random
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SmtpNotifier(name={self.name!r}, security={self.config.security!r})"

    async def send(self, notification: Notification) -> DeliveryResult:
        """Send the email; never raises for delivery problems."""
        message = render_email(notification, self.config)
        async with self._lock:
            attempt = 0
            while True:
                attempt += 1
                try:
                    await anyio.to_thread.run_sync(self._send_sync, message)
                except Exception as exc:
                    detail, transient = self._describe(exc)
                    if transient and attempt < self.config.max_attempts:
                        delay = self.config.backoff.delay(attempt, self._random)
                        log.info("%s: %s; retry %d in %.3f s", self.name, detail, attempt, delay)
                        await self._sleep(delay)
                        continue
                    log.warning(
                        "%s: email not sent after %d attempt(s): %s", self.name, attempt, detail
                    )
                    return DeliveryResult.failed(
                        self.name, detail, attempts=attempt, transient=transient
                    )
                log.debug("%s: sent %r", self.name, message["Subject"])
                return DeliveryResult.delivered(self.name, attempt)

    async def aclose(self) -> None:
        """Wait for the email being sent, if any (connections are per message)."""
        async with self._lock:
            pass

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context(cafile=self.config.ca_file)

    def _send_sync(self, message: EmailMessage) -> None:
        config = self.config
        port = config.effective_port
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, port, timeout=config.timeout_s, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(config.host, port, timeout=config.timeout_s)
        with smtp:
            smtp.ehlo()
            if config.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if config.username is not None:
                password = config.password.get_secret_value() if config.password else ""
                smtp.login(config.username, password)
            smtp.send_message(
                message, from_addr=parseaddr(config.sender)[1], to_addrs=list(config.recipients)
            )

    def _describe(self, exc: Exception) -> tuple[str, bool]:
        """A secret-free reason and whether trying again may help."""
        secrets = [self.config.password.get_secret_value()] if self.config.password else []
        kind = type(exc).__name__
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return redact(f"server does not support it: {exc}", secrets), False
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = ", ".join(sorted(exc.recipients))
            return redact(f"recipients refused: {refused}", secrets), False
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = exc.smtp_error
            text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
            detail = redact(f"{kind}: SMTP {exc.smtp_code} {' '.join(text.split())}", secrets)
            return detail[:300], 400 <= exc.smtp_code < 500
        if isinstance(exc, smtplib.SMTPServerDisconnected | TimeoutError | ConnectionError):
            return f"connection failed ({kind})", True
        if isinstance(exc, ssl.SSLError | ssl.CertificateError):
            return f"TLS failed ({kind})", False
        if isinstance(exc, OSError):
            return f"connection failed ({kind})", True
        return f"unexpected {kind}", False
