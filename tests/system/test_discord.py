"""End to end with Discord: the notification service, a real process, posts to a local
stand-in for Discord's webhook endpoint that answers a burst of 429s first.

The demo loops and one file that is not audio land in the library. The notification
service forwards what happens to them (``catalog.updated`` added, ``analysis.complete``,
``rename.generated``, and the analysis's ``error.*``), and the stand-in must receive
each of those exactly once and nothing else; in the order the service handed them to
its channels (its log channel writes that order to the output), so each file's in
causal order; after the 429s, every one waited out for at least its ``retry_after``;
within Discord's payload limits; and the webhook's token appears nowhere in the
processes' output. Twice: ``tracktion up`` on the embedded defaults, and the services
in their own processes over RabbitMQ and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import pytest

from tests.core.bus.conftest import delete_topology
from tests.core.notify.fake_discord import TOKEN, DiscordHTTPServer, FakeDiscord, webhook_url
from tests.system.processes import Process, free_port, name_prefix, throwaway_catalog
from tracktion.contracts import ExchangeNames
from tracktion.services.demo import write_demo_library
from tracktion.services.settings import topology_for

pytestmark = pytest.mark.xdist_group("system")

BURST = 3
"""Requests the stand-in answers with 429 before accepting any."""
RETRY_AFTER = 0.6
"""The ``retry_after`` of those 429s, seconds (their ``Retry-After`` header says 1)."""
BROKEN = "broken.mp3"

ADDED, ANALYZED, PROPOSED, FAILED = (
    "Catalog: Added",
    "Analysis complete",
    "Rename proposed",
    "Analysis error",
)
CAUSAL_ORDER = {"audio": (ADDED, ANALYZED, PROPOSED), "broken": (ADDED, FAILED)}
"""Per file, the notifications the service forwards, in the order their events happen."""

# A line of the notification service's log channel (logger ``tracktion.notify``).
LOGGED = re.compile(r"\btracktion\.notify: (.*)$")


@dataclass
class StandIn:
    fake: FakeDiscord
    url: str


@pytest.fixture
def discord() -> Iterator[StandIn]:
    """Discord's webhook endpoint on 127.0.0.1: its per-webhook bucket (5 requests per
    2 s, announced in the headers) after a burst of ``BURST`` 429s."""
    fake = FakeDiscord(
        burst=BURST,
        burst_retry_after=RETRY_AFTER,
        bucket=5,
        window=2.0,
        announce_remaining=True,
    )
    with DiscordHTTPServer(fake) as server:
        yield StandIn(fake, webhook_url(server.base_url))


def _land(tmp_path: Path, library: Path) -> dict[str, tuple[str, ...]]:
    """Put the demo loops and a file that is not audio into ``library``, each appearing
    whole (written under a hidden name the watcher ignores, then renamed); return file
    name -> the notifications expected for it, in causal order."""
    incoming = tmp_path / "incoming"
    sources = write_demo_library(incoming, seconds=8.0)
    broken = incoming / BROKEN
    broken.write_bytes(b"this is not audio\n" * 100)
    for source in [*sources, broken]:
        partial = library / f".{source.name}.part"
        shutil.copy2(source, partial)
        os.replace(partial, library / source.name)
    return {
        source.name: CAUSAL_ORDER["broken" if source == broken else "audio"]
        for source in [*sources, broken]
    }


def _event(embed: dict[str, Any]) -> tuple[str, str]:
    """What an embed announces and about which file: the ``File`` field of an error, else
    the path its description starts with (``original -> proposed`` for a rename)."""
    title: str = embed["title"]
    fields = {item["name"]: item["value"] for item in embed.get("fields", [])}
    for kind in (ADDED, ANALYZED, PROPOSED, FAILED):
        if title.startswith(kind):
            path = fields.get("File") or embed.get("description", "").split(" \u2192 ")[0]
            return kind, PurePath(path).name
    return title, ""


def _received(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [embed for payload in list(fake.received) for embed in payload["embeds"]]


def _wait_for_all(
    fake: FakeDiscord, expected: dict[str, tuple[str, ...]], *processes: Process
) -> None:
    """Until the stand-in has accepted every expected notification; fails after 120 s, or
    at once with its output when a process exits."""
    wanted = {(kind, name) for name, kinds in expected.items() for kind in kinds}
    deadline = time.monotonic() + 120
    while not wanted <= {_event(embed) for embed in _received(fake)}:
        for process in processes:
            status = process.popen.poll()
            assert status is None, f"{process.name} exited ({status}):\n{process.output}"
        assert time.monotonic() < deadline, (
            f"missing {wanted - {_event(e) for e in _received(fake)}}; history {fake.history}"
        )
        time.sleep(0.2)


def _check(
    fake: FakeDiscord, expected: dict[str, tuple[str, ...]], notifier: Process, *others: Process
) -> None:
    """Every expectation of the module documentation, on what the stand-in saw once the
    processes have stopped (so late duplicates would be counted)."""
    history = fake.history
    assert fake.invalid == [], fake.invalid
    assert {hit.status for hit in history} <= {204, 429}, history
    # The burst was answered first, and the notifier kept going after it.
    assert [hit.status for hit in history[: BURST + 1]] == [429] * BURST + [204], history
    for hit, after in itertools.pairwise(history):
        if hit.status == 429:
            assert hit.retry_after is not None
            assert after.at - hit.at >= hit.retry_after, (hit, after)
    assert history[-1].status == 204, history

    embeds = _received(fake)
    events = [_event(embed) for embed in embeds]
    wanted = [(kind, name) for name, kinds in expected.items() for kind in kinds]
    assert Counter(events) == Counter(wanted), events
    for name, kinds in expected.items():
        assert [kind for kind, about in events if about == name] == list(kinds), events

    # The webhook delivered in the order the service handed notifications to its
    # channels: the log channel's lines, written at the same moment.
    titles = [embed["title"] for embed in embeds]
    logged = [match.group(1) for line in notifier.lines if (match := LOGGED.search(line))]
    assert len(logged) == len(titles), (titles, logged)
    assert all(text.startswith(f"{title}: ") for title, text in zip(titles, logged, strict=True)), (
        titles,
        logged,
    )

    for process in (notifier, *others):
        output = "\n".join(process.lines)
        assert TOKEN not in output, f"{process.name} printed the webhook token"


def test_up_delivers_every_notification_to_discord_through_a_burst_of_429s(
    tmp_path: Path, discord: StandIn
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    env = {
        "TRACKTION_DATA_DIR": str(tmp_path / "data"),
        "TRACKTION_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}",
        "TRACKTION_API_TOKENS": "discord-test-token",
        "TRACKTION_ANALYSIS_WORKERS": "1",
        "TRACKTION_NOTIFY_DISCORD_WEBHOOKS": discord.url,  # one URL, no list syntax
    }
    process = Process(["up", str(library), "--port", str(free_port())], env, "tracktion up")
    try:
        process.wait_for("Tracktion is up")
        expected = _land(tmp_path, library)
        _wait_for_all(discord.fake, expected, process)
    finally:
        status = process.stop()
    assert status == 0, process.output
    _check(discord.fake, expected, process)


@pytest.fixture
def distributed_env(
    tmp_path: Path, rabbitmq_url: str, postgres_url: str, redis_url: str, discord: StandIn
) -> Iterator[dict[str, str]]:
    """The settings of services that each run in their own process: a catalog database
    and broker names of their own, removed afterwards."""
    library = tmp_path / "library"
    library.mkdir()
    prefix = name_prefix()
    with throwaway_catalog(postgres_url) as database:
        try:
            yield {
                "TRACKTION_BROKER_URL": rabbitmq_url,
                "TRACKTION_DATABASE_URL": database,
                "TRACKTION_CACHE_URL": redis_url,
                "TRACKTION_NAME_PREFIX": prefix,
                "TRACKTION_LIBRARY_ROOTS": json.dumps([str(library)]),
                "TRACKTION_DATA_DIR": str(tmp_path / "data"),
                "TRACKTION_ANALYSIS_WORKERS": "1",
                "TRACKTION_NOTIFY_DISCORD_WEBHOOKS": json.dumps([discord.url]),
            }
        finally:
            asyncio.run(delete_topology(rabbitmq_url, topology_for(ExchangeNames(), prefix)))


@pytest.mark.integration
def test_the_notification_worker_delivers_to_discord_over_rabbitmq(
    tmp_path: Path, distributed_env: dict[str, str], discord: StandIn
) -> None:
    env = distributed_env
    # Every worker declares the whole topology; the files land once all are ready.
    processes = {
        name: Process(["worker", name], env, name)
        for name in ("notification", "cataloging", "analysis", "rename", "watcher")
    }
    try:
        for name, process in processes.items():
            process.wait_for("watching" if name == "watcher" else "consuming")
        library = Path(json.loads(env["TRACKTION_LIBRARY_ROOTS"])[0])
        expected = _land(tmp_path, library)
        _wait_for_all(discord.fake, expected, *processes.values())
    finally:
        statuses = {name: process.stop() for name, process in processes.items()}
    assert all(status == 0 for status in statuses.values()), {
        name: processes[name].output for name, status in statuses.items() if status
    }
    notifier, *others = processes.values()
    _check(discord.fake, expected, notifier, *others)
