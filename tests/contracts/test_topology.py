"""The topology as data: RabbitMQ routing rules, dead-lettering, consistency with the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tracktion.contracts import (
    DEFAULT_TOPOLOGY,
    MESSAGE_SPECS,
    Binding,
    ExchangeNames,
    ExchangeRole,
    build_topology,
    topic_matches,
)
from tracktion.contracts.topology import DLQ_SUFFIX, Topology

DOCS = Path(__file__).resolve().parents[2] / "docs" / "concepts" / "topology.md"

# Published with no queue of the canonical topology bound to them, on purpose.
UNROUTED = {
    # Relayed to WebSocket clients through each API instance's own exclusive queue.
    "analysis.progress",
}


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("file.*", "file.created", True),
        ("file.*", "file.a.b", False),
        ("file.*", "file", False),
        ("file.#", "file", True),
        ("file.#", "file.a.b", True),
        ("#", "", True),
        ("#", "anything.at.all", True),
        ("*.*", "catalog.updated", True),
        ("*.*", "cue.generation.single", False),
        ("#.complete", "analysis.complete", True),
        ("#.complete", "cue.generation.batch.complete", True),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("a.*.z", "a.z", False),
        ("error.*", "error.analysis", True),
        ("file.created", "file.created", True),
        ("file.created", "file.modified", False),
    ],
)
def test_topic_matching_follows_rabbitmq(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def _reference(pattern: str, key: str) -> bool:
    # An independent formulation: simulate the pattern as an NFA over words, where '#'
    # may consume any number of words (including none) and '*' exactly one.
    pw = pattern.split(".")

    def close(states: set[int]) -> set[int]:
        out, stack = set(states), list(states)
        while stack:
            i = stack.pop()
            if i < len(pw) and pw[i] == "#" and i + 1 not in out:
                out.add(i + 1)
                stack.append(i + 1)
        return out

    states = close({0})
    for word in key.split("."):
        step = {i for i in states if i < len(pw) and pw[i] == "#"}
        step |= {i + 1 for i in states if i < len(pw) and pw[i] in ("*", word)}
        states = close(step)
    return len(pw) in states


words = st.sampled_from(["a", "b", "file", "x"])


@given(
    st.lists(st.one_of(words, st.just("*"), st.just("#")), min_size=1, max_size=5),
    st.lists(words, min_size=1, max_size=6),
)
def test_topic_matching_agrees_with_a_regex_reference(pattern: list[str], key: list[str]) -> None:
    p, k = ".".join(pattern), ".".join(key)
    assert topic_matches(p, k) == _reference(p, k)


def test_file_events_reach_catalog_and_analysis() -> None:
    for key in ("file.created", "file.modified", "file.deleted", "file.moved", "file.renamed"):
        assert DEFAULT_TOPOLOGY.route("file_events", key) == (
            "analysis.lifecycle.events",
            "cataloging.file.events",
        )
    assert "cataloging.file.events" in DEFAULT_TOPOLOGY.route("file_events", "file.discovered")


def test_events_follow_the_routing_table() -> None:
    route = DEFAULT_TOPOLOGY.route
    assert route("tracktion.events", "analysis.complete") == (
        "catalog_queue",
        "rename_queue",
        "notification_queue",
    )
    assert route("tracktion.events", "catalog.updated") == ("notification_queue",)
    assert route("tracktion.events", "rename.generated") == ("notification_queue",)
    assert route("tracktion.events", "error.analysis") == ("notification_queue",)
    assert route("tracktion.events", "analysis.cancel") == ("analysis_queue",)
    assert route("tracktion.events", "file.analyze") == ("analysis_queue",)


def test_direct_exchange_compares_keys_exactly() -> None:
    assert DEFAULT_TOPOLOGY.route("cue.direct", "cue.generation.single") == ("cue.generation",)
    assert DEFAULT_TOPOLOGY.route("cue.direct", "cue.generation.*") == ()


def test_specified_queue_arguments() -> None:
    analysis = DEFAULT_TOPOLOGY.queue("analysis_queue")
    assert analysis.arguments["x-max-priority"] == 10
    cataloging = DEFAULT_TOPOLOGY.queue("cataloging.file.events")
    assert cataloging.arguments["x-message-ttl"] == 24 * 3600 * 1000
    assert all(queue.durable for queue in DEFAULT_TOPOLOGY.queues)


def test_every_work_queue_dead_letters_into_its_own_dlq() -> None:
    dlx = DEFAULT_TOPOLOGY.exchange_for(ExchangeRole.DEAD_LETTER)
    work = DEFAULT_TOPOLOGY.work_queues()
    assert len(work) == 17
    for queue in work:
        assert queue.dead_letter is not None
        assert queue.dead_letter.exchange == dlx.name
        rejected_to = DEFAULT_TOPOLOGY.route(dlx.name, queue.dead_letter.routing_key)
        assert rejected_to == (queue.name + DLQ_SUFFIX,)
        assert DEFAULT_TOPOLOGY.queue(queue.name + DLQ_SUFFIX).dead_letter is None


def test_published_keys_and_bindings_match_the_registry() -> None:
    amqp = [spec for spec in MESSAGE_SPECS if spec.channel == "amqp"]
    for spec in amqp:
        assert spec.exchange is not None
        exchange = DEFAULT_TOPOLOGY.exchange_for(spec.exchange).name
        for key in spec.routing_keys:
            concrete = key.replace("*", "analysis")
            if key in UNROUTED:
                assert DEFAULT_TOPOLOGY.route(exchange, concrete) == ()
            else:
                assert DEFAULT_TOPOLOGY.route(exchange, concrete), f"{key} reaches no queue"
    dlx = DEFAULT_TOPOLOGY.exchange_for(ExchangeRole.DEAD_LETTER).name
    for binding in DEFAULT_TOPOLOGY.bindings:
        if binding.exchange == dlx:
            continue
        published = [
            key
            for spec in amqp
            if spec.exchange is not None
            and DEFAULT_TOPOLOGY.exchange_for(spec.exchange).name == binding.exchange
            for key in spec.routing_keys
        ]
        assert any(
            topic_matches(binding.routing_key, key.replace("*", "analysis")) for key in published
        ), f"nothing is published for binding {binding.routing_key} -> {binding.queue}"


def test_exchange_names_are_configurable() -> None:
    topology = build_topology(ExchangeNames(events="tracktion_exchange", rename="renames"))
    names = {exchange.name for exchange in topology.exchanges}
    assert {"tracktion_exchange", "renames", "file_events", "cue.direct"} <= names
    assert "tracktion.events" not in names
    assert topology.route("tracktion_exchange", "analysis.cancel") == ("analysis_queue",)


def test_inconsistent_topology_is_rejected() -> None:
    good = DEFAULT_TOPOLOGY
    with pytest.raises(ValidationError, match="undeclared exchange"):
        Topology(
            exchanges=good.exchanges,
            queues=good.queues,
            bindings=(
                *good.bindings,
                Binding(exchange="nope", queue="rename_queue", routing_key="x"),
            ),
        )
    with pytest.raises(ValidationError, match="declared twice"):
        Topology(exchanges=good.exchanges, queues=good.queues * 2, bindings=good.bindings)


def test_every_work_queue_has_back_off_tiers_returning_to_it() -> None:
    topology = build_topology(retry_delays_ms=(250, 2_000))
    queue = topology.queue("analysis_queue")
    assert queue.retry_queues == ("analysis_queue.retry.250ms", "analysis_queue.retry.2s")
    for name, delay in zip(queue.retry_queues, (250, 2_000), strict=True):
        tier = topology.queue(name)
        assert tier.message_ttl_ms == delay
        assert tier.dead_letter is not None
        # Back through the default exchange: to this queue only, not to every queue bound
        # to the message's routing key.
        assert topology.route(tier.dead_letter.exchange, tier.dead_letter.routing_key) == (
            "analysis_queue",
        )
    assert all(len(q.retry_queues) == 3 for q in DEFAULT_TOPOLOGY.work_queues())
    with pytest.raises(ValueError, match="positive"):
        build_topology(retry_delays_ms=(0,))


def test_topology_document_names_every_queue_and_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for queue in DEFAULT_TOPOLOGY.work_queues():
        assert f"`{queue.name}`" in text, queue.name
    for binding in DEFAULT_TOPOLOGY.bindings:
        assert binding.routing_key in text, binding.routing_key
