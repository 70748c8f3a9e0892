"""Discord webhook payloads that always respect Discord's documented limits.

Limits (Discord's "Embed Limits" and "Execute Webhook"): title 256 characters,
description 4096, at most 25 fields with names of 256 and values of 1024, footer text
2048, author name 256, at most 10 embeds per message whose titles, descriptions, field
names and values, footer texts and author names add up to 6000 characters; message
content 2000; username 80.

Lengths are counted in UTF-16 code units, as JavaScript does: never fewer than Python's
code points, so a payload within the limits by this count is within them by either.
Text over a limit is cut and ends with an ellipsis (``…``); a surrogate pair is never
split.

>>> from tracktion.core.notify import Notification
>>> embed = embed_for(Notification(title="x" * 300, body="done"))
>>> len(embed["title"]), embed["title"][-1], embed["description"]
(256, '…', 'done')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._model import Level, Notification

__all__ = [
    "AUTHOR_NAME_LIMIT",
    "CONTENT_LIMIT",
    "DESCRIPTION_LIMIT",
    "ELLIPSIS",
    "EMBEDS_PER_MESSAGE",
    "EMBED_TOTAL_LIMIT",
    "FIELDS_PER_EMBED",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "FOOTER_LIMIT",
    "TITLE_LIMIT",
    "USERNAME_LIMIT",
    "embed_for",
    "embed_length",
    "fit",
    "message_payload",
    "text_length",
]

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
USERNAME_LIMIT = 80

ELLIPSIS = "\u2026"
_EMPTY_VALUE = "-"  # Discord rejects an empty field value.

COLOURS = {
    Level.INFO: 0x3498DB,
    Level.SUCCESS: 0x2ECC71,
    Level.WARNING: 0xF1C40F,
    Level.ERROR: 0xE74C3C,
}


def text_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, ending with ``…`` when cut.

    Raises:
        ValueError: ``limit`` is below 1.

    >>> fit("abcdef", 4), fit("abc", 4)
    ('abc…', 'abc')
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if text_length(text) <= limit:
        return text
    # Decoding drops half a surrogate pair left at the cut.
    head = text.encode("utf-16-le")[: 2 * (limit - 1)].decode("utf-16-le", errors="ignore")
    return head + ELLIPSIS


def _footer_text(notification: Notification) -> str:
    parts = [part for part in (notification.event_type, notification.correlation_id) if part]
    return " · ".join(parts)


def embed_for(notification: Notification, *, budget: int = EMBED_TOTAL_LIMIT) -> dict[str, Any]:
    """One Discord embed for ``notification``, within every per-embed limit and ``budget``.

    The title, author (the source service) and footer (event type and correlation id)
    are kept first, then the body, then fields in order until the budget is spent;
    fields that do not fit are left out.

    Raises:
        ValueError: ``budget`` is too small for even the title.
    """
    if budget < 1:
        raise ValueError(f"an embed budget of {budget} characters cannot hold a title")
    title = fit(notification.title, min(TITLE_LIMIT, budget))
    remaining = budget - text_length(title)
    embed: dict[str, Any] = {
        "title": title,
        "color": COLOURS[notification.level],
        "timestamp": notification.timestamp.isoformat(),
    }
    if notification.source and remaining > 1:
        name = fit(notification.source, min(AUTHOR_NAME_LIMIT, remaining))
        embed["author"] = {"name": name}
        remaining -= text_length(name)
    footer = _footer_text(notification)
    if footer and remaining > 1:
        footer = fit(footer, min(FOOTER_LIMIT, remaining))
        embed["footer"] = {"text": footer}
        remaining -= text_length(footer)
    if notification.body and remaining > 1:
        description = fit(notification.body, min(DESCRIPTION_LIMIT, remaining))
        embed["description"] = description
        remaining -= text_length(description)
    fields: list[dict[str, Any]] = []
    for field in notification.fields[:FIELDS_PER_EMBED]:
        name = fit(field.name, FIELD_NAME_LIMIT)
        room = remaining - text_length(name)
        if room < 2:
            break
        value = fit(field.value or _EMPTY_VALUE, min(FIELD_VALUE_LIMIT, room))
        fields.append({"name": name, "value": value, "inline": field.inline})
        remaining -= text_length(name) + text_length(value)
    if fields:
        embed["fields"] = fields
    return embed


def embed_length(embed: dict[str, Any]) -> int:
    """The characters of ``embed`` that count towards the 6000 per message."""
    total = text_length(embed.get("title", "")) + text_length(embed.get("description", ""))
    total += text_length(embed.get("footer", {}).get("text", ""))
    total += text_length(embed.get("author", {}).get("name", ""))
    for field in embed.get("fields", ()):
        total += text_length(field["name"]) + text_length(field["value"])
    return total


def message_payload(
    embeds: Sequence[dict[str, Any]],
    *,
    content: str | None = None,
    username: str | None = None,
    mention: bool = False,
) -> dict[str, Any]:
    """The JSON body of an "Execute Webhook" request carrying ``embeds``.

    ``content`` is cut to 2000 characters and ``username`` to 80. Mentions in the text
    (``@everyone`` in a file name) ping nobody unless ``mention`` is true.

    Raises:
        ValueError: no embed, more than 10, or more than 6000 characters together.
    """
    if not 1 <= len(embeds) <= EMBEDS_PER_MESSAGE:
        raise ValueError(f"a message carries 1 to {EMBEDS_PER_MESSAGE} embeds, not {len(embeds)}")
    total = sum(embed_length(embed) for embed in embeds)
    if total > EMBED_TOTAL_LIMIT:
        raise ValueError(f"embeds total {total} characters, over Discord's {EMBED_TOTAL_LIMIT}")
    payload: dict[str, Any] = {
        "embeds": list(embeds),
        "allowed_mentions": {"parse": ["users", "roles", "everyone"] if mention else []},
    }
    if content:
        payload["content"] = fit(content, CONTENT_LIMIT)
    if username:
        payload["username"] = fit(username, USERNAME_LIMIT)
    return payload
