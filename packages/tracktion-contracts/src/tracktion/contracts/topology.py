"""The messaging topology as plain data: exchanges, queues, bindings, dead-lettering.

Nothing here talks to a broker. The message bus adapters declare exactly this
description, the AsyncAPI document renders it, and :func:`Topology.route` answers "which
queues receive this routing key" with RabbitMQ's rules, so every part agrees.

The canonical layout (and how it reconciles the two specification documents) is
written down in ``docs/concepts/topology.md``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from ._base import Part
from ._types import Lax

__all__ = [
    "DEFAULT_EXCHANGE",
    "DEFAULT_RETRY_DELAYS_MS",
    "DEFAULT_TOPOLOGY",
    "DLQ_SUFFIX",
    "Binding",
    "DeadLetter",
    "Exchange",
    "ExchangeNames",
    "ExchangeRole",
    "ExchangeType",
    "Queue",
    "Topology",
    "build_topology",
    "retry_queue_name",
    "topic_matches",
]

DLQ_SUFFIX = ".dlq"
"""A work queue ``q`` dead-letters into ``q.dlq``."""

DAY_MS = 24 * 60 * 60 * 1000

DEFAULT_RETRY_DELAYS_MS = (1_000, 10_000, 60_000)
"""Back-off tiers: a failed message waits this long before its next attempt."""

DEFAULT_EXCHANGE = ""
"""AMQP's default exchange: routes a message to the queue named by its routing key."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\s]+$")]
RoutingKey = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\s]*$")]


class ExchangeType(StrEnum):
    """AMQP 0-9-1 exchange types."""

    DIRECT = "direct"
    TOPIC = "topic"
    FANOUT = "fanout"
    HEADERS = "headers"


class ExchangeRole(StrEnum):
    """What an exchange is for; its name is configurable, its role is not."""

    FILE_EVENTS = "file_events"
    EVENTS = "events"
    CUE = "cue"
    RENAME = "rename"
    DEAD_LETTER = "dead_letter"


class ExchangeNames(Part):
    """The name of each exchange. Defaults are the canonical names."""

    file_events: Name = "file_events"
    events: Name = "tracktion.events"
    """Also known as ``tracktion_exchange`` in the service interaction diagrams."""
    cue: Name = "cue.direct"
    rename: Name = "file_rename"
    """The specification leaves this name to configuration (``RABBITMQ_EXCHANGE``)."""
    dead_letter: Name = "tracktion_dlx"

    def for_role(self, role: ExchangeRole) -> str:
        """The configured name of the exchange with that role."""
        name: str = getattr(self, role.value)
        return name


class Exchange(Part):
    """An exchange declaration."""

    name: Name
    role: Annotated[ExchangeRole, Lax]
    type: Annotated[ExchangeType, Lax]
    durable: bool = True
    auto_delete: bool = False
    description: str = ""


class DeadLetter(Part):
    """Where a queue sends the messages it rejects or expires."""

    exchange: Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\s]*$")]
    """An exchange name, or ``""`` for the default exchange (straight to a queue)."""
    routing_key: RoutingKey


class Queue(Part):
    """A queue declaration with its consumer and its RabbitMQ arguments."""

    name: Name
    consumer: str
    """The service that consumes it (``analysis``, ``cataloging``, ``operator`` for DLQs...)."""
    durable: bool = True
    exclusive: bool = False
    auto_delete: bool = False
    max_priority: Annotated[int, Field(ge=1, le=255)] | None = None
    message_ttl_ms: Annotated[int, Field(ge=0)] | None = None
    dead_letter: DeadLetter | None = None
    retry_queues: tuple[Name, ...] = ()
    """This queue's back-off tiers, shortest delay first (see :func:`build_topology`)."""
    description: str = ""

    @property
    def arguments(self) -> dict[str, int | str]:
        """The ``x-`` arguments to declare the queue with."""
        args: dict[str, int | str] = {}
        if self.max_priority is not None:
            args["x-max-priority"] = self.max_priority
        if self.message_ttl_ms is not None:
            args["x-message-ttl"] = self.message_ttl_ms
        if self.dead_letter is not None:
            args["x-dead-letter-exchange"] = self.dead_letter.exchange
            args["x-dead-letter-routing-key"] = self.dead_letter.routing_key
        return args


class Binding(Part):
    """A queue's subscription to an exchange for one routing key (pattern)."""

    exchange: Name
    queue: Name
    routing_key: RoutingKey


class Topology(Part):
    """A complete, self-consistent topology."""

    exchanges: tuple[Exchange, ...]
    queues: tuple[Queue, ...]
    bindings: tuple[Binding, ...]

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        exchanges = [exchange.name for exchange in self.exchanges]
        queues = [queue.name for queue in self.queues]
        for kind, names in (("exchange", exchanges), ("queue", queues)):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{kind} declared twice: {', '.join(duplicates)}")
        for binding in self.bindings:
            if binding.exchange not in exchanges:
                raise ValueError(f"binding to undeclared exchange {binding.exchange!r}")
            if binding.queue not in queues:
                raise ValueError(f"binding of undeclared queue {binding.queue!r}")
        for queue in self.queues:
            letter = queue.dead_letter
            if letter and letter.exchange not in (*exchanges, DEFAULT_EXCHANGE):
                raise ValueError(
                    f"queue {queue.name!r} dead-letters to undeclared exchange {letter.exchange!r}"
                )
            if letter and letter.exchange == DEFAULT_EXCHANGE and letter.routing_key not in queues:
                raise ValueError(
                    f"queue {queue.name!r} dead-letters to undeclared queue {letter.routing_key!r}"
                )
            missing = [name for name in queue.retry_queues if name not in queues]
            if missing:
                raise ValueError(f"queue {queue.name!r} has undeclared retry queues {missing}")
        return self

    def exchange(self, name: str) -> Exchange:
        """The exchange called ``name``; ``KeyError`` when there is none."""
        for exchange in self.exchanges:
            if exchange.name == name:
                return exchange
        raise KeyError(name)

    def exchange_for(self, role: ExchangeRole) -> Exchange:
        """The exchange with that role; ``KeyError`` when there is none."""
        for exchange in self.exchanges:
            if exchange.role is role:
                return exchange
        raise KeyError(role.value)

    def queue(self, name: str) -> Queue:
        """The queue called ``name``; ``KeyError`` when there is none."""
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(name)

    def work_queues(self) -> tuple[Queue, ...]:
        """The queues services consume: not dead-letter queues, not back-off tiers."""
        return tuple(
            queue
            for queue in self.queues
            if queue.dead_letter is not None and queue.dead_letter.exchange != DEFAULT_EXCHANGE
        )

    def bindings_of(self, queue: str) -> tuple[Binding, ...]:
        """The bindings of one queue, in declaration order."""
        return tuple(binding for binding in self.bindings if binding.queue == queue)

    def route(self, exchange: str, routing_key: str) -> tuple[str, ...]:
        """The queues a message published to ``exchange`` with ``routing_key`` reaches.

        Follows RabbitMQ: direct exchanges compare keys, topic exchanges match patterns
        (``*`` one word, ``#`` zero or more), fanout exchanges ignore the key, and the
        default exchange (``""``) delivers to the queue named by the key. Headers
        exchanges route on headers, which a routing key cannot express: none here.
        """
        if exchange == DEFAULT_EXCHANGE:
            return tuple(queue.name for queue in self.queues if queue.name == routing_key)
        kind = self.exchange(exchange).type
        reached: list[str] = []
        for binding in self.bindings:
            if binding.exchange != exchange or binding.queue in reached:
                continue
            if (
                kind is ExchangeType.FANOUT
                or (kind is ExchangeType.DIRECT and binding.routing_key == routing_key)
                or (kind is ExchangeType.TOPIC and topic_matches(binding.routing_key, routing_key))
            ):
                reached.append(binding.queue)
        return tuple(reached)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether a topic binding ``pattern`` matches ``routing_key``, by RabbitMQ's rules.

    Words are separated by dots; ``*`` stands for exactly one word and ``#`` for zero or
    more words.

    >>> topic_matches("file.*", "file.created"), topic_matches("file.*", "file.a.b")
    (True, False)
    >>> topic_matches("file.#", "file"), topic_matches("#.complete", "analysis.complete")
    (True, True)
    """
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


# -- the canonical layout ---------------------------------------------------------------

_EXCHANGES: tuple[tuple[ExchangeRole, ExchangeType, str], ...] = (
    (ExchangeRole.FILE_EVENTS, ExchangeType.TOPIC, "File lifecycle events from the watchers."),
    (ExchangeRole.EVENTS, ExchangeType.TOPIC, "Application events and task requests."),
    (ExchangeRole.CUE, ExchangeType.DIRECT, "CUE generation, validation and conversion."),
    (ExchangeRole.RENAME, ExchangeType.TOPIC, "File rename operations and feedback."),
    (ExchangeRole.DEAD_LETTER, ExchangeType.DIRECT, "Rejected messages, one DLQ per queue."),
)

_FILE_LIFECYCLE_KEYS = (
    "file.created",
    "file.modified",
    "file.deleted",
    "file.moved",
    "file.renamed",
)


class _QueueRow(Part):
    name: str
    consumer: str
    exchange: Annotated[ExchangeRole, Lax]
    routing_keys: tuple[str, ...]
    max_priority: int | None = None
    message_ttl_ms: int | None = None
    description: str


_QUEUES: tuple[_QueueRow, ...] = (
    _QueueRow(
        name="analysis_queue",
        consumer="analysis",
        exchange=ExchangeRole.EVENTS,
        routing_keys=("file.analyze", "analysis.request", "analysis.cancel", "metadata.extract"),
        max_priority=10,
        description="Analysis work; cancellations jump the queue at priority 8.",
    ),
    _QueueRow(
        name="analysis.lifecycle.events",
        consumer="analysis",
        exchange=ExchangeRole.FILE_EVENTS,
        routing_keys=("file.#",),
        description="Every file event, so analysis can drop work for deleted or moved files.",
    ),
    _QueueRow(
        name="cataloging.file.events",
        consumer="cataloging",
        exchange=ExchangeRole.FILE_EVENTS,
        routing_keys=("file.discovered", *_FILE_LIFECYCLE_KEYS),
        message_ttl_ms=DAY_MS,
        description="File events that keep the catalog; expire after 24 h into the DLQ.",
    ),
    _QueueRow(
        name="catalog_queue",
        consumer="cataloging",
        exchange=ExchangeRole.EVENTS,
        routing_keys=("analysis.complete",),
        description="Analysis results to consolidate into the catalog.",
    ),
    _QueueRow(
        name="rename_queue",
        consumer="rename",
        exchange=ExchangeRole.EVENTS,
        routing_keys=("analysis.complete",),
        description="Analysis results that drive rename proposals.",
    ),
    _QueueRow(
        name="notification_queue",
        consumer="notification",
        exchange=ExchangeRole.EVENTS,
        routing_keys=("analysis.complete", "catalog.updated", "rename.generated", "error.*"),
        description="Events worth telling a user about.",
    ),
    _QueueRow(
        name="tracklist_queue",
        consumer="tracklist",
        exchange=ExchangeRole.EVENTS,
        routing_keys=("tracklist.generate",),
        description="Tracklist generation requests.",
    ),
    _QueueRow(
        name="cue.generation",
        consumer="tracklist",
        exchange=ExchangeRole.CUE,
        routing_keys=("cue.generation.single",),
        max_priority=10,
        description="Single CUE file generation.",
    ),
    _QueueRow(
        name="cue.generation.batch",
        consumer="tracklist",
        exchange=ExchangeRole.CUE,
        routing_keys=("cue.generation.batch",),
        max_priority=10,
        description="Batch CUE file generation.",
    ),
    _QueueRow(
        name="cue.generation.complete",
        consumer="api",
        exchange=ExchangeRole.CUE,
        routing_keys=("cue.generation.complete",),
        description="Generation completion notifications.",
    ),
    _QueueRow(
        name="cue.generation.batch.complete",
        consumer="api",
        exchange=ExchangeRole.CUE,
        routing_keys=("cue.generation.batch.complete",),
        description="Batch completion notifications.",
    ),
    _QueueRow(
        name="cue.validation",
        consumer="tracklist",
        exchange=ExchangeRole.CUE,
        routing_keys=("cue.validation",),
        description="CUE file validation.",
    ),
    _QueueRow(
        name="cue.conversion",
        consumer="tracklist",
        exchange=ExchangeRole.CUE,
        routing_keys=("cue.conversion",),
        description="CUE format conversion.",
    ),
    _QueueRow(
        name="file_rename.request",
        consumer="rename",
        exchange=ExchangeRole.RENAME,
        routing_keys=("rename.request",),
        description="Rename operation requests.",
    ),
    _QueueRow(
        name="file_rename.response",
        consumer="api",
        exchange=ExchangeRole.RENAME,
        routing_keys=("rename.response",),
        description="Rename operation results.",
    ),
    _QueueRow(
        name="file_rename.feedback",
        consumer="rename",
        exchange=ExchangeRole.RENAME,
        routing_keys=("rename.feedback",),
        description="User feedback on renames.",
    ),
    _QueueRow(
        name="file_rename.pattern",
        consumer="rename",
        exchange=ExchangeRole.RENAME,
        routing_keys=("rename.pattern.analyze",),
        description="Pattern analysis requests.",
    ),
)


def retry_queue_name(queue: str, delay_ms: int) -> str:
    """``<queue>.retry.<delay>``, the delay in whole seconds (``10s``) or else ``ms``."""
    delay = f"{delay_ms // 1000}s" if delay_ms % 1000 == 0 else f"{delay_ms}ms"
    return f"{queue}.retry.{delay}"


def build_topology(
    names: ExchangeNames | None = None,
    retry_delays_ms: tuple[int, ...] = DEFAULT_RETRY_DELAYS_MS,
    queue_prefix: str = "",
) -> Topology:
    """The canonical topology, with exchange names taken from ``names``.

    Every work queue dead-letters through the dead-letter exchange (routing key: the
    queue's own name) into its own ``<queue>.dlq``, so a failed message can be inspected
    and replayed per queue.

    Every work queue also has one delay queue per entry of ``retry_delays_ms``: a
    consumer that fails transiently puts the message there, and when its TTL expires the
    message is dead-lettered through the default exchange straight back to its work
    queue (not through the work exchange, which would deliver it again to every other
    queue bound to its key). No broker plugin is needed.

    ``queue_prefix`` is put before every queue name, so that several deployments (or test
    runs) can share one broker when their exchange names differ too.
    """
    if any(delay <= 0 for delay in retry_delays_ms):
        raise ValueError(f"retry delays must be positive milliseconds: {retry_delays_ms}")
    names = names or ExchangeNames()
    dlx = names.dead_letter
    exchanges = tuple(
        Exchange(name=names.for_role(role), role=role, type=kind, description=text)
        for role, kind, text in _EXCHANGES
    )
    queues: list[Queue] = []
    bindings: list[Binding] = []
    for row in _QUEUES:
        name = queue_prefix + row.name
        retries = tuple(retry_queue_name(name, delay) for delay in retry_delays_ms)
        queues.append(
            Queue(
                name=name,
                consumer=row.consumer,
                max_priority=row.max_priority,
                message_ttl_ms=row.message_ttl_ms,
                dead_letter=DeadLetter(exchange=dlx, routing_key=name),
                retry_queues=retries,
                description=row.description,
            )
        )
        exchange = names.for_role(row.exchange)
        bindings.extend(
            Binding(exchange=exchange, queue=name, routing_key=key) for key in row.routing_keys
        )
    for row in _QUEUES:
        name = queue_prefix + row.name
        dlq = name + DLQ_SUFFIX
        queues.append(
            Queue(
                name=dlq,
                consumer="operator",
                description=f"Messages {name} could not process, with the reason.",
            )
        )
        bindings.append(Binding(exchange=dlx, queue=dlq, routing_key=name))
        queues.extend(
            Queue(
                name=retry_queue_name(name, delay),
                consumer="bus",
                message_ttl_ms=delay,
                dead_letter=DeadLetter(exchange=DEFAULT_EXCHANGE, routing_key=name),
                description=f"Holds {name}'s failed messages {delay} ms, then returns them.",
            )
            for delay in retry_delays_ms
        )
    return Topology(exchanges=exchanges, queues=tuple(queues), bindings=tuple(bindings))


DEFAULT_TOPOLOGY = build_topology()
"""The canonical topology with the canonical exchange names."""
