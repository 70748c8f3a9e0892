"""The notification service on the embedded bus, a SQLite catalog and a fake Discord."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
import pytest
from pydantic import SecretStr

from tests.core.notify.fake_discord import TOKEN, FakeDiscord, webhook_url
from tracktion.contracts import (
    AnalysisCompleteEvent,
    AnalysisResults,
    CatalogChange,
    CatalogUpdatedEvent,
    Contract,
    ErrorEvent,
    RenameGeneratedEvent,
    Topology,
    build_topology,
)
from tracktion.core.bus import InMemoryBus, RetryPolicy
from tracktion.core.catalog import CatalogStore, open_catalog
from tracktion.core.notify import (
    Backoff,
    DiscordWebhookConfig,
    LogNotifier,
    MultiNotifier,
    NotifierConfig,
    RateLimit,
    open_notifier,
)
from tracktion.services.notification import (
    NotificationOptions,
    NotificationService,
)

pytestmark = pytest.mark.anyio

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
QUICK = Backoff(initial_s=0.001, max_s=0.002)
CHANNEL = "discord:112233445566778899"


def analysis_complete(name: str = "deep.flac") -> AnalysisCompleteEvent:
    return AnalysisCompleteEvent(
        recording_id=uuid.uuid4(),
        file_path=f"/music/{name}",
        results=AnalysisResults(
            bpm=128.0, key="A minor", camelot="8A", energy_level=7, duration_s=421.0
        ),
        algorithm_version="1.0",
        processing_time_ms=2300.0,
        correlation_id=uuid.uuid4(),
        timestamp=NOW,
    )


def catalog_updated(change: CatalogChange, name: str = "new.mp3") -> CatalogUpdatedEvent:
    return CatalogUpdatedEvent(
        recording_id=uuid.uuid4(),
        change=change,
        file_path=f"/music/{name}",
        correlation_id=uuid.uuid4(),
        timestamp=NOW,
    )


def rename_generated() -> RenameGeneratedEvent:
    return RenameGeneratedEvent(
        proposal_id=uuid.uuid4(),
        recording_id=uuid.uuid4(),
        original_path="/music/track01.mp3",
        proposed_path="/music/Artist - Title.mp3",
        template="{artist} - {title}",
        confidence=0.92,
        correlation_id=uuid.uuid4(),
        timestamp=NOW,
    )


def error_event() -> ErrorEvent:
    return ErrorEvent(
        service="analysis",
        error_code="DECODE_ERROR",
        error="cannot decode /music/broken.mp3",
        details={"offset_s": 12.5},
        file_path="/music/broken.mp3",
        timestamp=NOW,
    )


@dataclass
class Rig:
    bus: InMemoryBus
    catalog: CatalogStore
    fake: FakeDiscord
    topology: Topology
    logged: list[logging.LogRecord]

    @property
    def queue(self) -> str:
        return "notification_queue"

    async def publish(self, *messages: Contract, message_id: str | None = None) -> None:
        for message in messages:
            await self.bus.publish(message, message_id=message_id)

    async def until(self, condition: Callable[[], Any], timeout: float = 5.0) -> None:
        with anyio.fail_after(timeout):
            while not condition():
                await anyio.sleep(0.005)

    async def settled(self) -> None:
        """Wait until the queue, its retry tiers and the handlers are idle."""
        queues = [self.queue, *self.topology.queue(self.queue).retry_queues]
        for _ in range(3):
            with anyio.fail_after(5):
                while any([await self.bus.depth(q) for q in queues]):
                    await anyio.sleep(0.005)
            await anyio.sleep(0.05)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[CatalogStore]:
    store = await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    async with store:
        yield store


@pytest.fixture
async def start(catalog: CatalogStore) -> AsyncIterator[Callable[..., Any]]:
    """``await start(fake, options=..., **webhook_options)``: the service, running."""
    async with anyio.create_task_group() as group:
        buses: list[InMemoryBus] = []

        async def starter(
            fake: FakeDiscord | None = None,
            *,
            options: NotificationOptions | None = None,
            max_bus_attempts: int = 5,
            **webhook: Any,
        ) -> Rig:
            fake = fake or FakeDiscord()
            topology = build_topology(retry_delays_ms=(20, 40))
            bus = InMemoryBus(topology, retry=RetryPolicy(max_attempts=max_bus_attempts))
            await bus.declare()
            buses.append(bus)
            records = Records()
            logger = logging.getLogger(f"test.notify.{uuid.uuid4().hex}")
            logger.addHandler(records)
            logger.setLevel(logging.DEBUG)
            webhook.setdefault("backoff", QUICK)
            webhook.setdefault("rate_limits", ())
            config = NotifierConfig(
                logger=logger,
                discord=(DiscordWebhookConfig(url=SecretStr(webhook_url()), **webhook),),
            )
            notifier = open_notifier(config, http_transport=fake.transport())
            service = NotificationService(bus, catalog, notifier, options)
            group.start_soon(service.run)
            return Rig(bus, catalog, fake, topology, records.records)

        yield starter
        group.cancel_scope.cancel()
    for bus in buses:
        await bus.close()


async def test_each_event_type_becomes_a_readable_notification(start: Any) -> None:
    rig: Rig = await start(options=NotificationOptions(prefetch=1))
    await rig.publish(
        analysis_complete(),
        catalog_updated(CatalogChange.ADDED),
        catalog_updated(CatalogChange.ANALYZED),  # analysis.complete said it already
        rename_generated(),
        error_event(),
    )
    await rig.until(lambda: len(rig.fake.titles()) == 4)
    await rig.settled()
    assert rig.fake.titles() == [
        "Analysis complete: deep.flac",
        "Catalog: Added new.mp3",
        "Rename proposed: Artist - Title.mp3",
        "Analysis error: DECODE_ERROR",
    ]
    embeds = [embed for payload in rig.fake.received for embed in payload["embeds"]]
    fields = {f["name"]: f["value"] for f in embeds[0]["fields"]}
    assert fields["BPM"] == "128.0"
    assert fields["Key"] == "A minor / 8A"
    assert fields["Duration"] == "7:01"
    assert embeds[0]["footer"]["text"].startswith("analysis_complete · ")
    assert embeds[3]["description"] == "cannot decode /music/broken.mp3"
    assert embeds[3]["color"] == 0xE74C3C
    assert [r.getMessage().split(":")[0] for r in rig.logged] == [
        "Analysis complete",
        "Catalog",
        "Rename proposed",
        "Analysis error",
    ]
    assert rig.fake.invalid == []


async def test_a_backlog_is_packed_into_few_discord_messages(start: Any) -> None:
    # While the webhook waits for its rate limit, the notifications behind pile up.
    rig: Rig = await start(rate_limits=(RateLimit(1, 0.2),))
    await rig.publish(*(analysis_complete(f"t{i}.mp3") for i in range(25)))
    await rig.until(lambda: len(rig.fake.titles()) == 25)
    assert sorted(rig.fake.titles()) == sorted(f"Analysis complete: t{i}.mp3" for i in range(25))
    sizes = [len(payload["embeds"]) for payload in rig.fake.received]
    assert max(sizes) > 1
    assert len(sizes) < 25


async def test_a_transient_outage_is_retried_by_the_bus_without_duplicates(start: Any) -> None:
    # Each delivery tries Discord twice; the first two requests fail, so the first
    # delivery fails and the bus redelivers the message after its 20 ms tier.
    fake = FakeDiscord(script=deque([503, 503]))
    rig: Rig = await start(fake, max_attempts=2)
    await rig.publish(rename_generated())
    await rig.until(lambda: len(fake.titles()) == 1)
    await rig.settled()
    assert fake.requests == 3
    assert fake.titles() == ["Rename proposed: Artist - Title.mp3"]
    # The log channel delivered on the first attempt and was not repeated.
    assert len(rig.logged) == 1
    assert await rig.bus.depth(rig.queue + ".dlq") == 0


async def test_a_permanent_failure_is_logged_and_acknowledged(
    start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeDiscord(script=deque([404]))
    rig: Rig = await start(fake)
    await rig.publish(error_event())
    await rig.until(lambda: fake.requests == 1)
    await rig.settled()
    assert fake.requests == 1
    assert await rig.bus.depth(rig.queue + ".dlq") == 0
    dropped = [r for r in caplog.records if "dropped for" in r.getMessage()]
    assert len(dropped) == 1
    assert dropped[0].levelno == logging.ERROR
    assert CHANNEL in dropped[0].getMessage()
    assert TOKEN not in caplog.text


async def test_an_outage_longer_than_the_bus_attempts_is_given_up_not_dead_lettered(
    start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="tracktion.services.notification")
    fake = FakeDiscord(script=deque([500] * 100))
    rig: Rig = await start(fake, max_attempts=2, options=NotificationOptions(bus_attempts=2))
    await rig.publish(analysis_complete())
    await rig.until(lambda: "given up after 2 deliveries" in caplog.text)
    await rig.settled()
    assert fake.requests == 4
    assert await rig.bus.depth(rig.queue + ".dlq") == 0
    assert await rig.bus.depth(rig.queue) == 0


async def test_a_redelivered_message_is_not_notified_twice(start: Any) -> None:
    rig: Rig = await start()
    event = analysis_complete()
    await rig.publish(event, message_id="same-id")
    await rig.until(lambda: len(rig.fake.titles()) == 1)
    await rig.settled()
    await rig.publish(event, message_id="same-id")
    await rig.settled()
    assert len(rig.fake.titles()) == 1
    assert len(rig.logged) == 1


async def test_skipped_types_and_changes_are_acknowledged_silently(start: Any) -> None:
    options = NotificationOptions(
        skip_types=frozenset({"rename_generated"}),
        catalog_changes=frozenset({CatalogChange.DELETED}),
    )
    rig: Rig = await start(options=options)
    await rig.publish(rename_generated(), catalog_updated(CatalogChange.ADDED))
    await rig.publish(catalog_updated(CatalogChange.DELETED, "gone.mp3"))
    await rig.until(lambda: len(rig.fake.titles()) == 1)
    await rig.settled()
    assert rig.fake.titles() == ["Catalog: Removed gone.mp3"]


async def test_run_closes_the_notifier_on_cancellation(catalog: CatalogStore) -> None:
    bus = InMemoryBus(build_topology())
    await bus.declare()
    closed: list[str] = []

    class Closing(LogNotifier):
        async def aclose(self) -> None:
            closed.append(self.name)

    service = NotificationService(bus, catalog, MultiNotifier([Closing()]))
    assert service.queues == ["notification_queue"]
    with anyio.move_on_after(0.1):
        await service.run()
    assert closed == ["log"]
    await bus.close()


@pytest.fixture
async def postgres_catalog(postgres_url: str) -> AsyncIterator[CatalogStore]:
    """A fresh, migrated PostgreSQL catalog of this test's own."""
    import asyncpg

    name = f"tracktion_notify_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(postgres_url)
        url = f"postgresql+asyncpg://{parts.netloc}/{name}"
        store = await open_catalog(url, migrate=True)
        async with store:
            yield store
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.integration
async def test_on_rabbitmq_and_postgresql(
    rabbitmq_url: str, postgres_catalog: CatalogStore
) -> None:
    from tests.core.bus.conftest import delete_topology, isolated_topology
    from tracktion.core.bus.rabbitmq import RabbitMQBus

    topology = isolated_topology()
    queue = next(q.name for q in topology.work_queues() if q.consumer == "notification")
    fake = FakeDiscord(script=deque([503, 503]))  # the first delivery fails: a bus retry
    bus = await RabbitMQBus.connect(rabbitmq_url, topology, retry=RetryPolicy(max_attempts=5))
    try:
        await bus.declare()
        hook = DiscordWebhookConfig(
            url=SecretStr(webhook_url()), backoff=QUICK, rate_limits=(), max_attempts=2
        )
        notifier = open_notifier(NotifierConfig(discord=(hook,)), http_transport=fake.transport())
        service = NotificationService(bus, postgres_catalog, notifier)
        assert service.queues == [queue]
        async with anyio.create_task_group() as group:
            group.start_soon(service.run)
            await bus.publish(error_event())
            await bus.publish(rename_generated())
            with anyio.fail_after(10):
                while len(fake.titles()) < 2:
                    await anyio.sleep(0.01)
            group.cancel_scope.cancel()
        assert sorted(fake.titles()) == [
            "Analysis error: DECODE_ERROR",
            "Rename proposed: Artist - Title.mp3",
        ]
        assert await bus.depth(queue + ".dlq") == 0
    finally:
        await bus.close()
        await delete_topology(rabbitmq_url, topology)


class FirstCheckLast:
    """The catalog, but the first transaction waits until a later one has ended: the
    first message's channel check finishes after the second's."""

    def __init__(self, store: CatalogStore) -> None:
        self._store = store
        self._opened = 0
        self._later_ended = anyio.Event()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        self._opened += 1
        first = self._opened == 1
        if first:
            await self._later_ended.wait()
        async with self._store.transaction() as tx:
            yield tx
        if not first:
            self._later_ended.set()


async def test_notifications_are_handed_over_in_the_order_their_messages_arrived(
    catalog: CatalogStore,
) -> None:
    # A rename proposal follows its analysis; were the notifications handed to the
    # channels when their catalog checks finish, the proposal would be announced first.
    bus = InMemoryBus(build_topology())
    await bus.declare()
    fake = FakeDiscord()
    hook = DiscordWebhookConfig(url=SecretStr(webhook_url()), backoff=QUICK, rate_limits=())
    records = Records()
    logger = logging.getLogger(f"test.notify.{uuid.uuid4().hex}")
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    notifier = open_notifier(
        NotifierConfig(logger=logger, discord=(hook,)), http_transport=fake.transport()
    )
    service = NotificationService(bus, cast(CatalogStore, FirstCheckLast(catalog)), notifier)
    async with anyio.create_task_group() as group:
        group.start_soon(service.run)
        await bus.publish(analysis_complete("first.flac"))
        await bus.publish(rename_generated())
        with anyio.fail_after(5):
            while len(fake.titles()) < 2:
                await anyio.sleep(0.005)
        group.cancel_scope.cancel()
    await bus.close()
    expected = ["Analysis complete: first.flac", "Rename proposed: Artist - Title.mp3"]
    assert fake.titles() == expected
    assert [r.getMessage().split(": /")[0] for r in records.records] == expected
