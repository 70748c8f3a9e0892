from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.notify.fake_discord import payload_errors, units
from tracktion.core.notify import Level, Notification, NotificationField
from tracktion.core.notify.discord_payload import (
    ELLIPSIS,
    EMBED_TOTAL_LIMIT,
    embed_for,
    embed_length,
    fit,
    message_payload,
    text_length,
)

EMOJI = "\U0001f3a7"  # headphones: two UTF-16 units


def test_fit_cuts_with_an_ellipsis_and_never_splits_a_surrogate_pair() -> None:
    assert fit("abc", 3) == "abc"
    assert fit("abcd", 3) == "ab" + ELLIPSIS
    cut = fit("a" + EMOJI * 10, 3)
    assert cut == "a" + ELLIPSIS  # the emoji would straddle the cut
    assert text_length(EMOJI) == 2
    with pytest.raises(ValueError, match="at least 1"):
        fit("x", 0)


def test_a_plain_notification_maps_to_one_embed() -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    embed = embed_for(
        Notification(
            title="Analysis complete",
            body="track.mp3",
            level=Level.SUCCESS,
            fields=(NotificationField(name="BPM", value="128.0"),),
            source="analysis",
            event_type="analysis_complete",
            correlation_id="c-1",
            timestamp=moment,
        )
    )
    assert embed == {
        "title": "Analysis complete",
        "description": "track.mp3",
        "color": 0x2ECC71,
        "timestamp": "2024-05-01T12:00:00+00:00",
        "author": {"name": "analysis"},
        "footer": {"text": "analysis_complete · c-1"},
        "fields": [{"name": "BPM", "value": "128.0", "inline": True}],
    }


def test_every_limit_is_enforced_on_an_oversized_notification() -> None:
    fields = tuple(NotificationField(name=f"n{i}" + "N" * 300, value="V" * 2000) for i in range(40))
    note = Notification(
        title="T" * 1000,
        body="B" * 9000,
        source="S" * 400,
        event_type="E" * 3000,
        fields=fields,
    )
    embed = embed_for(note)
    payload = message_payload([embed], content="C" * 2500, username="U" * 100)
    assert payload_errors(payload) == []
    assert len(embed["title"]) == 256
    assert embed["title"].endswith(ELLIPSIS)
    assert len(embed["author"]["name"]) == 256
    assert len(embed["footer"]["text"]) == 2048
    # The body takes what the title, author and footer leave of the 6000; no field fits.
    assert len(embed["description"]) == 6000 - 256 - 256 - 2048
    assert "fields" not in embed
    assert embed_length(embed) == EMBED_TOTAL_LIMIT
    assert len(payload["content"]) == 2000
    assert len(payload["username"]) == 80

    short = embed_for(note.model_copy(update={"body": "short", "event_type": None}))
    assert payload_errors(message_payload([short])) == []
    # 4 fields of 256 + 1024 fill the budget; the fifth is cut to what is left.
    assert [len(f["value"]) for f in short["fields"]] == [1024] * 4 + [
        6000 - 256 - 256 - 5 - 5 * 256 - 4 * 1024
    ]
    assert short["fields"][-1]["value"].endswith(ELLIPSIS)


def test_more_than_25_small_fields_are_cut_to_25() -> None:
    fields = tuple(NotificationField(name=f"f{i}", value="") for i in range(30))
    embed = embed_for(Notification(title="t", fields=fields))
    assert len(embed["fields"]) == 25
    assert embed["fields"][0]["value"] == "-"  # Discord rejects empty values


def test_message_payload_refuses_what_discord_would_refuse() -> None:
    embed = embed_for(Notification(title="x" * 200, body="y" * 4000))
    with pytest.raises(ValueError, match="1 to 10 embeds"):
        message_payload([])
    with pytest.raises(ValueError, match="1 to 10 embeds"):
        message_payload([{"title": "t"}] * 11)
    with pytest.raises(ValueError, match="over Discord's 6000"):
        message_payload([embed, embed])
    assert message_payload([embed])["allowed_mentions"] == {"parse": []}


_text = st.text(
    alphabet=st.sampled_from(["a", " ", "\n", "é", EMOJI, "\u4e2d", "@", "*"]), max_size=3000
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_text.filter(bool),
    body=_text,
    source=st.none() | _text.filter(bool),
    names=st.lists(_text.filter(bool), max_size=30),
    value=_text,
)
def test_any_notification_gives_a_payload_discord_accepts(
    title: str, body: str, source: str | None, names: list[str], value: str
) -> None:
    note = Notification(
        title=title,
        body=body,
        source=source,
        event_type="analysis_complete",
        fields=tuple(NotificationField(name=name, value=value) for name in names),
    )
    embed = embed_for(note)
    assert payload_errors(message_payload([embed])) == []
    assert units(embed["title"]) <= 256
