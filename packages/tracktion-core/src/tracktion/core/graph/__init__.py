"""The graph port: recordings, artists and what DJs play after what, with harmonic
(Camelot key) and tempo compatibility queries.

One URL picks the implementation (``TRACKTION_GRAPH_URL``):

- ``sql://``: :class:`SqlGraph`, tables in the catalog database (SQLite or PostgreSQL),
  on the catalog's engine;
- ``neo4j://``, ``neo4j+s://``, ``neo4j+ssc://``, ``bolt://``, ``bolt+s://``,
  ``bolt+ssc://``: :class:`Neo4jGraph` (extra ``tracktion-core[neo4j]``).

::

    graph = await open_graph("sql://", engine=catalog_engine)
    await graph.upsert_recording(RecordingNode(rid, "Glue", ("Bicep",), 130.0, "8A"))
    await graph.add_tracklist(tracklist_id, [rid, None, other_id])
    for match in await graph.compatible(rid):            # ±6 % BPM, compatible key
        print(match.recording_id, match.key_relation, f"{match.bpm_delta:+.1%}")
    print(await graph.played_after(rid))                 # what DJs play next

Camelot codes are handled by :mod:`tracktion.core.graph.camelot`:

>>> sorted(compatible_keys("8A"))
['7A', '8A', '8B', '9A']
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

from ..camelot import (
    CAMELOT_KEYS,
    CamelotKey,
    KeyRelation,
    compatible_keys,
    key_relation,
    normalize_camelot,
    parse_camelot,
)
from ..errors import ConfigurationError
from ._port import Graph, Match, RecordingNode, TempoRelation, Transition
from .neo4j import DEFAULT_NAMESPACE, Neo4jGraph
from .sql import SqlGraph

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "CAMELOT_KEYS",
    "CamelotKey",
    "Graph",
    "KeyRelation",
    "Match",
    "Neo4jGraph",
    "RecordingNode",
    "SqlGraph",
    "TempoRelation",
    "Transition",
    "compatible_keys",
    "key_relation",
    "normalize_camelot",
    "open_graph",
    "parse_camelot",
]

NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})
_NEO4J_OPTIONS = ("database", "namespace")


async def open_graph(url: str, *, engine: AsyncEngine | None = None) -> Graph:
    """Open the graph that ``url`` names.

    - ``sql://``: a :class:`SqlGraph` on ``engine``, the catalog database's engine (the
      graph's tables are part of the catalog's schema). No I/O happens here.
    - ``neo4j://[user[:password]@]host[:port][?database=NAME&namespace=NAME&...]`` and the
      other Neo4j schemes: :meth:`Neo4jGraph.connect`, which connects, checks the server
      and creates the schema. ``database`` defaults to the user's home database,
      ``namespace`` to ``"tracktion"``; other query options are the driver's routing
      context. User and password are percent-decoded. ``engine`` is not used.

    Raises ``ConfigurationError`` naming the URL (password hidden) for any other scheme,
    a malformed URL, or ``sql://`` without an engine; for Neo4j also the errors of
    :meth:`Neo4jGraph.connect` (``MissingExtraError``, ``BackendUnavailableError``,
    ``BackendError``).
    """
    try:
        parts = urlsplit(url)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigurationError(f"invalid graph URL {_shown(url)!r}: {exc}") from exc
    if parts.scheme == "sql":
        if parts.netloc or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigurationError(
                f"the SQL graph URL takes no host, path or options: {_shown(url)!r}; "
                "use sql:// (the graph lives in the catalog database)"
            )
        if engine is None:
            raise ConfigurationError(
                f"graph URL {url!r} names the catalog database: pass its engine, "
                "open_graph('sql://', engine=...)"
            )
        return SqlGraph(engine)
    if parts.scheme in NEO4J_SCHEMES:
        return await _open_neo4j(url, parts)
    raise ConfigurationError(
        f"unsupported graph URL {_shown(url)!r}: use sql:// (tables in the catalog "
        "database) or neo4j://host:7687 (also neo4j+s, neo4j+ssc, bolt, bolt+s, bolt+ssc)"
    )


async def _open_neo4j(url: str, parts: SplitResult) -> Neo4jGraph:
    shown = _shown(url)
    try:
        parts.port  # noqa: B018 - evaluated for the ValueError of a bad port
    except ValueError as exc:
        raise ConfigurationError(f"invalid Neo4j URL {shown!r}: {exc}") from exc
    if not parts.hostname:
        raise ConfigurationError(f"the Neo4j URL {shown!r} names no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ConfigurationError(
            f"the Neo4j URL {shown!r} takes no path: name the database with ?database=NAME"
        )
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise ConfigurationError(f"invalid Neo4j URL {shown!r}: {exc}") from exc
    options: dict[str, str] = {}
    for name in _NEO4J_OPTIONS:
        values = [value for key, value in query if key == name]
        if len(values) > 1 or values == [""]:
            raise ConfigurationError(f"Neo4j URL {shown!r}: give {name} once, not empty")
        if values:
            options[name] = values[0]
    routing = urlencode([(key, value) for key, value in query if key not in _NEO4J_OPTIONS])
    host = parts.netloc.rpartition("@")[2]
    driver_uri = SplitResult(parts.scheme, host, "", routing, "").geturl()
    return await Neo4jGraph.connect(
        driver_uri,
        auth=auth,
        database=options.get("database"),
        namespace=options.get("namespace", DEFAULT_NAMESPACE),
    )


def _shown(url: object) -> str:
    """``url`` with any password replaced by ``***``, for error messages."""
    if not isinstance(url, str):
        return repr(url)
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()
    except ValueError:
        return "<unparseable URL>"
