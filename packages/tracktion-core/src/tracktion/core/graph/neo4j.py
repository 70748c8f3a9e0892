"""The Neo4j adapter of the graph port (``neo4j://``, ``neo4j+s://``, ``bolt://``...), on
the official async driver.

Needs the ``neo4j`` extra (``pip install 'tracktion-core[neo4j]'``); the driver is
imported when a graph is connected, not when this module is.

The model::

    (:Recording {namespace, id, title, bpm, camelot})
    (:Artist {namespace, name_key, name})
    (:Recording)-[:BY {position}]->(:Artist)                       credits, in order
    (later:Recording)-[:PLAYED_AFTER {tracklist_id, position}]->(earlier:Recording)

``id`` is the recording's UUID in canonical text form (``str(uuid)``), ``bpm`` a float,
``camelot`` a canonical code (``"8A"``), ``name_key`` the artist identity of
:func:`~tracktion.core.graph._port.artist_key`. There is one ``PLAYED_AFTER``
relationship per transition in a tracklist, read "*later* was played after *earlier*";
``position`` is the index of *earlier* in the tracklist. Keeping one relationship per
occurrence (rather than a counter) makes re-importing a tracklist a plain "delete its
relationships, create them again", and counting is a ``count()`` over a node's incoming
relationships. Tracklists are not nodes: nothing is known about them here but their id.

Every node carries a ``namespace`` (default ``"tracktion"``) and every query is confined
to one, so several installations or test runs can share a database (Community Edition
has only one). :meth:`Neo4jGraph.ensure_schema` creates the uniqueness constraints on
``(namespace, id)`` and ``(namespace, name_key)`` that make ``MERGE`` safe under
concurrent writers, an index for the key lookup of compatibility queries and a
relationship index on ``PLAYED_AFTER.tracklist_id``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from types import ModuleType
from typing import TYPE_CHECKING, Any, LiteralString
from urllib.parse import urlsplit
from uuid import UUID

from tracktion.contracts import TracktionError

from .._extras import require
from ..errors import BackendError, BackendUnavailableError, ConfigurationError
from ._port import (
    DEFAULT_BPM_TOLERANCE,
    DEFAULT_LIMIT,
    TEMPO_FACTORS,
    CompatibilitySearch,
    Match,
    RecordingNode,
    Transition,
    artist_key,
    check_limit,
    check_tolerance,
    check_uuid,
    credited_artists,
    tracklist_transitions,
)

if TYPE_CHECKING:
    from neo4j import AsyncDriver, AsyncManagedTransaction

__all__ = ["Neo4jGraph"]

_PURPOSE = "The Neo4j graph"
DEFAULT_NAMESPACE = "tracktion"

SCHEMA: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT tracktion_recording_id IF NOT EXISTS "
    "FOR (r:Recording) REQUIRE (r.namespace, r.id) IS UNIQUE",
    "CREATE CONSTRAINT tracktion_artist_name_key IF NOT EXISTS "
    "FOR (a:Artist) REQUIRE (a.namespace, a.name_key) IS UNIQUE",
    "CREATE INDEX tracktion_recording_camelot IF NOT EXISTS "
    "FOR (r:Recording) ON (r.namespace, r.camelot)",
    "CREATE INDEX tracktion_played_after_tracklist IF NOT EXISTS "
    "FOR ()-[t:PLAYED_AFTER]-() ON (t.tracklist_id)",
)
"""The constraints and indexes :meth:`Neo4jGraph.ensure_schema` creates (idempotent)."""

# Server codes of a schema rule that a concurrent ensure_schema() created first.
_SCHEMA_RACE_CODES = frozenset(
    {
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
        "Neo.ClientError.Schema.ConstraintAlreadyExists",
        "Neo.ClientError.Schema.IndexAlreadyExists",
    }
)

_SET_RECORDING: LiteralString = """
MERGE (r:Recording {namespace: $namespace, id: $id})
SET r.title = $title, r.bpm = $bpm, r.camelot = $camelot
"""

_DROP_CREDITS: LiteralString = """
MATCH (:Recording {namespace: $namespace, id: $id})-[credit:BY]->(:Artist)
DELETE credit
"""

_ADD_CREDITS: LiteralString = """
MATCH (r:Recording {namespace: $namespace, id: $id})
UNWIND $artists AS artist
MERGE (a:Artist {namespace: $namespace, name_key: artist.name_key})
  ON CREATE SET a.name = artist.name
CREATE (r)-[:BY {position: artist.position}]->(a)
"""

_REMOVE_RECORDING: LiteralString = """
MATCH (r:Recording {namespace: $namespace, id: $id})
DETACH DELETE r
"""

_DROP_TRACKLIST: LiteralString = """
MATCH (:Recording {namespace: $namespace})
      -[transition:PLAYED_AFTER {tracklist_id: $tracklist_id}]->(:Recording)
DELETE transition
"""

_ADD_BARE_RECORDINGS: LiteralString = """
UNWIND $ids AS recording_id
MERGE (:Recording {namespace: $namespace, id: recording_id})
"""

_ADD_TRANSITIONS: LiteralString = """
UNWIND $transitions AS transition
MATCH (earlier:Recording {namespace: $namespace, id: transition.earlier_id})
MATCH (later:Recording {namespace: $namespace, id: transition.later_id})
CREATE (later)-[:PLAYED_AFTER {tracklist_id: $tracklist_id,
                               position: transition.position}]->(earlier)
"""

_GET_RECORDING: LiteralString = """
MATCH (r:Recording {namespace: $namespace, id: $id})
OPTIONAL MATCH (r)-[credit:BY]->(a:Artist)
WITH r, credit, a
ORDER BY credit.position
RETURN r.title AS title, r.bpm AS bpm, r.camelot AS camelot, collect(a.name) AS artists
"""

_REFERENCE: LiteralString = """
MATCH (r:Recording {namespace: $namespace, id: $id})
RETURN r.bpm AS bpm, r.camelot AS camelot
"""

# The filter and order of CompatibilitySearch.rank, in Cypher: one relative distance per
# tempo relation ($factors in TEMPO_FACTORS order), the first within tolerance wins.
_CANDIDATES: LiteralString = """
MATCH (c:Recording {namespace: $namespace})
WHERE c.camelot IN $keys AND c.bpm IS NOT NULL AND c.id <> $id
WITH c, [factor IN $factors | abs((c.bpm * factor - $bpm) / $bpm)] AS distances
WITH c, distances,
     [i IN range(0, size(distances) - 1) WHERE distances[i] <= $tolerance] AS fits
WHERE size(fits) > 0
RETURN c.id AS recording_id, c.bpm AS bpm, c.camelot AS camelot,
       $key_ranks[c.camelot] AS key_rank, distances[fits[0]] AS distance,
       fits[0] AS tempo_rank
ORDER BY key_rank, distance, tempo_rank, recording_id
LIMIT $max_rows
"""

_PLAYED_AFTER: LiteralString = """
MATCH (later:Recording)-[transition:PLAYED_AFTER]->
      (:Recording {namespace: $namespace, id: $id})
RETURN later.id AS recording_id, count(transition) AS times
ORDER BY times DESC, recording_id
LIMIT $max_rows
"""

_ARTISTS_OF: LiteralString = """
MATCH (:Recording {namespace: $namespace, id: $id})-[credit:BY]->(a:Artist)
RETURN a.name AS name, credit.position AS position
ORDER BY position
"""

_RECORDINGS_BY_ARTIST: LiteralString = """
MATCH (r:Recording)-[:BY]->(:Artist {namespace: $namespace, name_key: $name_key})
RETURN DISTINCT r.id AS recording_id
ORDER BY recording_id
"""


def _redacted(uri: str) -> str:
    """``uri`` without its user information, for messages: credentials belong in
    ``auth``, and a password in a URI must not reach a log."""
    try:
        parts = urlsplit(uri)
        host = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=host, query="").geturl()
    except ValueError:
        return "<unparseable URI>"


def _reason(exc: BaseException) -> str:
    """The server's code and message of a Neo4j error, the driver's text otherwise."""
    code, message = getattr(exc, "code", None), getattr(exc, "message", None)
    if isinstance(code, str) and isinstance(message, str) and code.startswith("Neo."):
        return f"{code}: {message}"
    return str(exc).strip() or type(exc).__name__


def _check_partition(database: str | None, namespace: str) -> None:
    if not isinstance(namespace, str) or not namespace:
        raise ConfigurationError(f"the Neo4j graph needs a non-empty namespace, not {namespace!r}")
    if database is not None and (not isinstance(database, str) or not database):
        raise ConfigurationError(f"a Neo4j database name is a non-empty str, not {database!r}")


def _check_seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number of seconds, not {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(f"{name} must be a positive, finite number, not {value!r}")
    return float(value)


class Neo4jGraph:
    """A :class:`~tracktion.core.graph.Graph` on a Neo4j server (5.x or later); the model
    is in the module documentation.

    Writes run as managed write transactions, which the driver retries on transient
    failures (a leader switch, a dropped connection, a deadlock) within the retry time
    given to :meth:`connect`; every write is idempotent, so a retry after a lost commit
    reply is safe. All sessions share the driver's bookmark manager, so a read sees the
    writes this graph made before it, also on a cluster.

    Driver exceptions are translated: a server that cannot be reached (or a database
    that is unavailable) raises ``BackendUnavailableError``; refused credentials and
    every other failure raise ``BackendError``.
    """

    def __init__(
        self,
        driver: AsyncDriver,
        *,
        database: str | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        where: str = "Neo4j",
    ) -> None:
        """Wrap ``driver``; prefer :meth:`connect`, which also checks the server.

        ``database``: the Neo4j database (``None``: the user's home database).
        ``namespace``: the partition of the database this graph reads and writes.
        ``where`` names the server in error messages (no password). Raises
        ``ConfigurationError`` for an empty namespace and ``MissingExtraError`` without
        the driver.
        """
        exceptions = require("neo4j", "neo4j", _PURPOSE).exceptions
        _check_partition(database, namespace)
        self._driver = driver
        self._database = database
        self._namespace = namespace
        self._where = where
        self._closed = False
        self._errors = _Errors(exceptions)

    @classmethod
    async def connect(
        cls,
        uri: str,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        connect_timeout: float = 5.0,
        max_retry_time: float = 15.0,
        create_schema: bool = True,
    ) -> Neo4jGraph:
        """Connect to the Neo4j server at ``uri``, check that it answers, and (with
        ``create_schema``) run :meth:`ensure_schema`.

        - ``uri``: ``neo4j://host:7687`` (routing; also ``neo4j+s``, ``neo4j+ssc``) or
          ``bolt://host:7687`` (one server; also ``bolt+s``, ``bolt+ssc``).
        - ``auth``: ``(user, password)``, or ``None`` for a server without authentication.
        - ``database``: the database to use (``None``: the user's home database).
        - ``namespace``: see the module documentation.
        - ``connect_timeout``: seconds for one TCP connect and handshake.
        - ``max_retry_time``: seconds within which a transaction that failed transiently
          is retried.

        Raises ``ConfigurationError`` for an invalid URI or option,
        ``MissingExtraError`` without the driver (``pip install 'tracktion-core[neo4j]'``),
        ``BackendUnavailableError`` when the server cannot be reached, and
        ``BackendError`` when it refuses the credentials or the schema.
        """
        neo4j = require("neo4j", "neo4j", _PURPOSE)
        shown = _redacted(uri) if isinstance(uri, str) else repr(uri)
        _check_partition(database, namespace)
        timeout = _check_seconds("connect_timeout", connect_timeout)
        retry_time = _check_seconds("max_retry_time", max_retry_time)
        if isinstance(uri, str) and "@" in uri.partition("?")[0]:
            # The driver would refuse it with the whole URI, password included, in its message.
            raise ConfigurationError(
                f"the Neo4j URI {shown!r} carries credentials: pass auth=(user, password) "
                "(open_graph takes them from the URL)"
            )
        try:
            driver = neo4j.AsyncGraphDatabase.driver(
                uri,
                auth=auth,
                connection_timeout=timeout,
                max_transaction_retry_time=retry_time,
                # Server notifications (e.g. "index already exists") are not warnings of
                # ours: with the driver's default they may become Python warnings.
                warn_notification_severity="OFF",
            )
        except (neo4j.exceptions.ConfigurationError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"invalid Neo4j URI {shown!r}: {exc}") from exc
        graph = cls(driver, database=database, namespace=namespace, where=shown)
        try:
            with graph._translated("connecting"):
                await driver.verify_connectivity()
            if create_schema:
                await graph.ensure_schema()
        except BaseException:
            await graph.close()
            raise
        return graph

    @property
    def namespace(self) -> str:
        """The partition of the database this graph reads and writes."""
        return self._namespace

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where!r}, namespace={self._namespace!r})"

    async def ensure_schema(self) -> None:
        """Create the constraints and indexes of :data:`SCHEMA` where missing. Safe to run
        concurrently and repeatedly; needs the ``CREATE CONSTRAINT``/``INDEX`` privileges
        (``BackendError`` without them)."""
        self._check_open()
        for statement in SCHEMA:
            with self._translated("creating the graph schema"):
                try:
                    await self._driver.execute_query(statement, database_=self._database)
                except self._errors.neo4j_error as exc:
                    # IF NOT EXISTS does not cover a twin created concurrently.
                    if getattr(exc, "code", None) not in _SCHEMA_RACE_CODES:
                        raise

    # -- plumbing -------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("the Neo4j graph is closed")

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Raise the Tracktion error for a driver failure during ``action``."""
        try:
            yield
        except TracktionError:
            raise
        except self._errors.refused as exc:
            raise BackendError(
                f"{action}: {self._where} refused the credentials: {_reason(exc)}"
            ) from exc
        except self._errors.unavailable as exc:
            raise BackendUnavailableError(
                f"{action}: {self._where} is unreachable: {_reason(exc)}"
            ) from exc
        except self._errors.failed as exc:
            raise BackendError(f"{action} failed in {self._where}: {_reason(exc)}") from exc

    def _parameters(self, **values: Any) -> dict[str, Any]:
        return {"namespace": self._namespace, **values}

    async def _write(
        self,
        action: str,
        statements: Sequence[tuple[LiteralString, dict[str, Any]]],
    ) -> None:
        """Run ``statements`` in order in one managed write transaction."""
        self._check_open()

        async def work(tx: AsyncManagedTransaction) -> None:
            for query, parameters in statements:
                result = await tx.run(query, parameters)
                await result.consume()

        with self._translated(action):
            async with self._session() as session:
                await session.execute_write(work)

    def _session(self) -> Any:
        return self._driver.session(
            database=self._database,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )

    async def _query(
        self, action: str, query: LiteralString, parameters: dict[str, Any]
    ) -> list[Any]:
        """The records of one read query."""
        self._check_open()
        with self._translated(action):
            result = await self._driver.execute_query(
                query, parameters, routing_="r", database_=self._database
            )
        return list(result.records)

    # -- writes ---------------------------------------------------------------------------

    async def upsert_recording(self, node: RecordingNode) -> None:
        """See :meth:`Graph.upsert_recording`."""
        if not isinstance(node, RecordingNode):
            raise TypeError(f"expected a RecordingNode, not {type(node).__name__}")
        key = str(node.recording_id)
        artists = [
            {"name_key": name_key, "name": name, "position": position}
            for position, (name_key, name) in enumerate(credited_artists(node))
        ]
        statements: list[tuple[LiteralString, dict[str, Any]]] = [
            (
                _SET_RECORDING,
                self._parameters(id=key, title=node.title, bpm=node.bpm, camelot=node.camelot),
            ),
            (_DROP_CREDITS, self._parameters(id=key)),
        ]
        if artists:
            statements.append((_ADD_CREDITS, self._parameters(id=key, artists=artists)))
        await self._write("storing a graph recording", statements)

    async def remove_recording(self, recording_id: UUID) -> None:
        """See :meth:`Graph.remove_recording`."""
        check_uuid(recording_id, "recording_id")
        await self._write(
            "removing a graph recording",
            [(_REMOVE_RECORDING, self._parameters(id=str(recording_id)))],
        )

    async def add_tracklist(self, tracklist_id: UUID, recording_ids: Sequence[UUID | None]) -> None:
        """See :meth:`Graph.add_tracklist`."""
        check_uuid(tracklist_id, "tracklist_id")
        known, transitions = tracklist_transitions(recording_ids)
        tracklist = str(tracklist_id)
        statements: list[tuple[LiteralString, dict[str, Any]]] = [
            (_DROP_TRACKLIST, self._parameters(tracklist_id=tracklist)),
        ]
        if known:
            statements.append(
                (_ADD_BARE_RECORDINGS, self._parameters(ids=[str(rid) for rid in known]))
            )
        if transitions:
            rows = [
                {"position": position, "earlier_id": str(first), "later_id": str(second)}
                for position, first, second in transitions
            ]
            statements.append(
                (_ADD_TRANSITIONS, self._parameters(tracklist_id=tracklist, transitions=rows))
            )
        await self._write("storing a tracklist's transitions", statements)

    async def remove_tracklist(self, tracklist_id: UUID) -> None:
        """See :meth:`Graph.remove_tracklist`."""
        check_uuid(tracklist_id, "tracklist_id")
        await self._write(
            "removing a tracklist's transitions",
            [(_DROP_TRACKLIST, self._parameters(tracklist_id=str(tracklist_id)))],
        )

    # -- queries --------------------------------------------------------------------------

    async def get_recording(self, recording_id: UUID) -> RecordingNode | None:
        """See :meth:`Graph.get_recording`."""
        check_uuid(recording_id, "recording_id")
        records = await self._query(
            "reading a graph recording", _GET_RECORDING, self._parameters(id=str(recording_id))
        )
        if not records:
            return None
        record = records[0]
        return RecordingNode(
            recording_id,
            title=record["title"],
            artists=tuple(record["artists"]),
            bpm=record["bpm"],
            camelot=record["camelot"],
        )

    async def compatible(
        self,
        recording_id: UUID,
        *,
        bpm_tolerance: float = DEFAULT_BPM_TOLERANCE,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Match]:
        """See :meth:`Graph.compatible`."""
        check_uuid(recording_id, "recording_id")
        tolerance = check_tolerance(bpm_tolerance)
        check_limit(limit)
        key = str(recording_id)
        found = await self._query(
            "finding compatible recordings", _REFERENCE, self._parameters(id=key)
        )
        if not found:
            return []
        search = CompatibilitySearch.of(
            recording_id, found[0]["bpm"], found[0]["camelot"], tolerance
        )
        if search is None:
            return []
        ranks = search.key_ranks
        records = await self._query(
            "finding compatible recordings",
            _CANDIDATES,
            self._parameters(
                id=key,
                keys=list(ranks),
                key_ranks=ranks,
                factors=[factor for _, factor in TEMPO_FACTORS],
                bpm=search.bpm,
                tolerance=tolerance,
                max_rows=limit,
            ),
        )
        rows = [
            (UUID(record["recording_id"]), float(record["bpm"]), str(record["camelot"]))
            for record in records
        ]
        return search.rank(rows, limit)

    async def played_after(
        self, recording_id: UUID, *, limit: int = DEFAULT_LIMIT
    ) -> list[Transition]:
        """See :meth:`Graph.played_after`."""
        check_uuid(recording_id, "recording_id")
        check_limit(limit)
        records = await self._query(
            "finding what was played after a recording",
            _PLAYED_AFTER,
            self._parameters(id=str(recording_id), max_rows=limit),
        )
        return [Transition(UUID(r["recording_id"]), int(r["times"])) for r in records]

    async def artists_of(self, recording_id: UUID) -> list[str]:
        """See :meth:`Graph.artists_of`."""
        check_uuid(recording_id, "recording_id")
        records = await self._query(
            "listing a recording's artists",
            _ARTISTS_OF,
            self._parameters(id=str(recording_id)),
        )
        return [str(record["name"]) for record in records]

    async def recordings_by_artist(self, name: str) -> list[UUID]:
        """See :meth:`Graph.recordings_by_artist`."""
        if not isinstance(name, str):
            raise TypeError(f"an artist name is a str, not {type(name).__name__}")
        records = await self._query(
            "listing an artist's recordings",
            _RECORDINGS_BY_ARTIST,
            self._parameters(name_key=artist_key(name)),
        )
        return [UUID(record["recording_id"]) for record in records]

    async def close(self) -> None:
        """See :meth:`Graph.close`: closes the driver and its connections."""
        if self._closed:
            return
        self._closed = True
        # A driver that fails to close has nothing left for us to release.
        with suppress(Exception):
            await self._driver.close()


class _Errors:
    """The driver's exception classes, sorted by what they mean for the caller."""

    def __init__(self, exceptions: ModuleType) -> None:
        self.neo4j_error: type[Exception] = exceptions.Neo4jError
        self.refused: tuple[type[Exception], ...] = (exceptions.AuthError,)
        # ConnectionPoolError (pool exhausted past the acquisition timeout) is newer than
        # the oldest driver the extra allows.
        pool = getattr(exceptions, "ConnectionPoolError", None)
        self.unavailable: tuple[type[Exception], ...] = (
            exceptions.ServiceUnavailable,  # includes IncompleteCommit: outcome unknown
            exceptions.SessionExpired,
            exceptions.DatabaseUnavailable,
            OSError,
            TimeoutError,
            *((pool,) if isinstance(pool, type) else ()),
        )
        self.failed: tuple[type[Exception], ...] = (
            exceptions.Neo4jError,
            exceptions.DriverError,
        )
