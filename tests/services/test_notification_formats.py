"""Formatters of the notification service, and its settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.core.notify.fake_discord import TOKEN, webhook_url
from tracktion.contracts import (
    BatchCueGenerationComplete,
    CatalogChange,
    CatalogUpdatedEvent,
    CueFormat,
    CueFormatResult,
    CueGenerationComplete,
    FileEventType,
    FileLifecycleEvent,
    RenameResponse,
)
from tracktion.core.errors import ConfigurationError
from tracktion.core.notify import Level
from tracktion.services.notification import build, notifier_config
from tracktion.services.notification_formats import format_message
from tracktion.services.runtime import open_ports
from tracktion.services.settings import Settings

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SHA = "a" * 64


def test_a_move_shows_both_paths_and_the_correlation_id() -> None:
    correlation = uuid.uuid4()
    event = CatalogUpdatedEvent(
        recording_id=uuid.uuid4(),
        change=CatalogChange.MOVED,
        file_path="/music/b/track.mp3",
        old_path="/music/a/track.mp3",
        duplicate_count=2,
        correlation_id=correlation,
        timestamp=NOW,
    )
    note = format_message(event)
    assert note.title == "Catalog: Moved track.mp3"
    assert note.body == "/music/a/track.mp3 \u2192 /music/b/track.mp3"
    assert note.correlation_id == str(correlation)
    assert note.event_type == "catalog_updated"
    assert note.timestamp == NOW
    assert ("Other copies", "2") in [(f.name, f.value) for f in note.fields]


def test_cue_generation_outcomes() -> None:
    common = {
        "message_id": uuid.uuid4(),
        "timestamp": NOW,
        "original_message_id": uuid.uuid4(),
        "job_id": uuid.uuid4(),
        "tracklist_id": uuid.uuid4(),
        "processing_time_ms": 1500.0,
        "queue_time_ms": 10.0,
    }
    done = CueGenerationComplete(
        success=True,
        cue_file_id=uuid.uuid4(),
        file_path="/cue/mix.cue",
        file_size=2048,
        checksum=SHA,
        **common,  # type: ignore[arg-type]
    )
    failed = CueGenerationComplete(success=False, error="no tracks", **common)  # type: ignore[arg-type]
    assert format_message(done).title == "CUE sheet generated: mix.cue"
    assert format_message(done).level is Level.SUCCESS
    assert (format_message(failed).title, format_message(failed).body) == (
        "CUE generation failed",
        "no tracks",
    )
    batch = BatchCueGenerationComplete(
        message_id=uuid.uuid4(),
        timestamp=NOW,
        original_message_id=uuid.uuid4(),
        batch_job_id=uuid.uuid4(),
        tracklist_id=uuid.uuid4(),
        success=False,
        results=[
            CueFormatResult(
                format=CueFormat.SERATO,
                success=True,
                cue_file_id=uuid.uuid4(),
                file_path="/cue/mix.serato.cue",
                checksum=SHA,
            ),
            CueFormatResult(format=CueFormat.TRAKTOR, success=False, error="bad index"),
        ],
        processing_time_ms=1.0,
        queue_time_ms=1.0,
    )
    note = format_message(batch)
    assert note.title == "CUE batch: 1 of 2 formats failed"
    assert [(f.name, f.value) for f in note.fields] == [
        ("serato", "mix.serato.cue"),
        ("traktor", "failed: bad index"),
    ]


def test_rename_results() -> None:
    ok = RenameResponse(
        original_path="/m/a.mp3", new_path="/m/B.mp3", success=True, correlation_id=uuid.uuid4()
    )
    bad = RenameResponse(
        original_path="/m/a.mp3", success=False, error="exists", correlation_id=uuid.uuid4()
    )
    assert format_message(ok).title == "Renamed: B.mp3"
    assert format_message(bad).level is Level.ERROR
    assert format_message(bad).body == "exists"


def test_an_unknown_type_gets_the_generic_formatter() -> None:
    event = FileLifecycleEvent(
        correlation_id=uuid.uuid4(),
        timestamp=NOW,
        event_type=FileEventType.DELETED,
        file_path="/music/x.mp3",
        file_type="mp3",
        instance_id="watcher-1",
        watched_directory="/music",
    )
    note = format_message(event)
    assert note.title == "File lifecycle"
    fields = {f.name: f.value for f in note.fields}
    assert fields["File path"] == "/music/x.mp3"
    assert fields["Event type"] == "deleted"
    assert note.timestamp == NOW


def test_settings_map_to_channels_and_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "TRACKTION_NOTIFY_DISCORD_WEBHOOKS",
        f"{webhook_url()}, {webhook_url().replace('112233445566778899', '42')}",
    )
    monkeypatch.setenv("TRACKTION_NOTIFY_SMTP_URL", "smtp+starttls://dj:hunter2@mail.example.org")
    monkeypatch.setenv("TRACKTION_NOTIFY_SMTP_FROM", "Tracktion <t@example.org>")
    monkeypatch.setenv("TRACKTION_NOTIFY_SMTP_TO", '["a@example.org", "b@example.org"]')
    settings = Settings()
    config = notifier_config(settings)
    assert [hook.label for hook in config.discord] == ["discord:112233445566778899", "discord:42"]
    assert config.smtp is not None
    assert config.smtp.recipients == ("a@example.org", "b@example.org")
    assert config.smtp.security == "starttls"
    shown = repr(settings) + repr(config)
    assert TOKEN not in shown
    assert "hunter2" not in shown


def test_smtp_without_recipients_is_a_configuration_error() -> None:
    settings = Settings(notify_smtp_url="smtp://mail", notify_smtp_from="t@example.org")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="TRACKTION_NOTIFY_SMTP_TO"):
        notifier_config(settings)


def test_a_malformed_webhook_list_never_quotes_the_token() -> None:
    settings = Settings(notify_discord_webhooks=f'["ftp://x/api/webhooks/1/{TOKEN}"')  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError) as caught:
        notifier_config(settings)
    assert TOKEN not in str(caught.value)


@pytest.mark.anyio
async def test_build_wires_the_service_to_the_ports(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}",
        notify_discord_webhooks=webhook_url(),  # type: ignore[arg-type]
    )
    async with open_ports(settings) as ports:
        service = build(ports)
        assert service.queues == ["notification_queue"]
        notifier = service._notifier
        assert [n.name for n in notifier.notifiers] == ["log", "discord:112233445566778899"]
        await notifier.aclose()
