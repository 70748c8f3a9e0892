"""Keeping secrets (webhook tokens, SMTP passwords) out of logs, reprs and error messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["MASK", "install_http_log_redaction", "redact"]

MASK = "***"

# A Discord-style webhook URL carries its token as the path segment after the id.
_WEBHOOK_TOKEN = re.compile(r"(/webhooks/[^/\s?#\"']+/)[^/\s?#\"']+")
# The password of user:password@ in any URL.
_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s\"']*:)[^@/\s\"']+@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every given secret, webhook token and URL password replaced by ``***``.

    >>> redact("POST https://discord.com/api/webhooks/123/abcDEF failed")
    'POST https://discord.com/api/webhooks/123/*** failed'
    >>> redact("smtp://ann:hunter2@mail.example.org:587, pw hunter2", ["hunter2"])
    'smtp://ann:***@mail.example.org:587, pw ***'
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _WEBHOOK_TOKEN.sub(rf"\g<1>{MASK}", text)
    return _USERINFO_PASSWORD.sub(rf"\g<1>{MASK}@", text)


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# httpx logs every request's full URL (``HTTP Request: POST https://...``) at INFO on the
# "httpx" logger: for a webhook that URL is the secret itself. (httpcore's DEBUG traces
# show the method and host, never the path.)
_HTTP_LOGGERS = ("httpx",)


def install_http_log_redaction() -> None:
    """Make the ``httpx`` logger redact webhook tokens (idempotent)."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _RedactingFilter) for existing in logger.filters):
            logger.addFilter(_RedactingFilter())
