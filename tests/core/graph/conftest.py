"""Graphs for the behaviour suite: one per implementation, empty at the start of each test.

- ``sql-sqlite``: a migrated SQLite catalog file of the test's own;
- ``sql-postgres``: a PostgreSQL database per test session (per xdist worker), created
  from ``postgres_url``, migrated once and emptied of graph rows before each test;
- ``neo4j``: the server named by ``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``,
  optionally ``NEO4J_DATABASE``), in a namespace of the test's own that is deleted
  afterwards. No Neo4j server can run on the development machines or CI, so without
  ``NEO4J_URI`` these tests are skipped, also with ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import delete, make_url

from tracktion.core.catalog import ReconnectPolicy, upgrade
from tracktion.core.catalog._engine import catalog_url, create_catalog_engine
from tracktion.core.catalog.schema import (
    graph_artists,
    graph_recording_artists,
    graph_recordings,
    graph_transitions,
)
from tracktion.core.graph import Graph, Neo4jGraph, SqlGraph

NEO4J_SKIP_REASON = "no Neo4j server: set NEO4J_URI to run the Neo4j graph tests"

# Tests never wait long for a server: a dead one fails the test within this budget.
FAST_RECONNECT = ReconnectPolicy(budget_s=2.0, initial_delay_s=0.05, max_delay_s=0.5)

# Children before parents: the order in which rows can be deleted.
GRAPH_TABLES = (graph_transitions, graph_recording_artists, graph_artists, graph_recordings)


@dataclass(frozen=True)
class Neo4jServer:
    uri: str
    auth: tuple[str, str] | None
    database: str | None


def neo4j_server() -> Neo4jServer | None:
    """The Neo4j server the environment names, or None."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    password = os.environ.get("NEO4J_PASSWORD")
    user = os.environ.get("NEO4J_USER") or ("neo4j" if password is not None else None)
    auth = None if user is None else (user, password or "")
    return Neo4jServer(uri, auth, os.environ.get("NEO4J_DATABASE") or None)


async def delete_namespace(server: Neo4jServer, namespace: str) -> None:
    """Remove every node (and its relationships) a test left in ``namespace``."""
    import neo4j

    async with neo4j.AsyncGraphDatabase.driver(server.uri, auth=server.auth) as driver:
        await driver.execute_query(
            "MATCH (n) WHERE n.namespace = $namespace DETACH DELETE n",
            {"namespace": namespace},
            database_=server.database,
        )


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_graph_url(postgres_url: str) -> Iterator[str]:
    name = f"tracktion_graph_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass(frozen=True)
class Target:
    kind: str
    url: str


@pytest.fixture(
    params=[
        "sql-sqlite",
        pytest.param("sql-postgres", marks=pytest.mark.integration),
        pytest.param(
            "neo4j",
            marks=[
                pytest.mark.integration,
                pytest.mark.skipif(neo4j_server() is None, reason=NEO4J_SKIP_REASON),
            ],
        ),
    ]
)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    # Synchronous, so that session fixtures running their own event loop are set up
    # before the async fixture below starts one.
    kind = str(request.param)
    if kind == "sql-sqlite":
        return Target(kind, f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    if kind == "sql-postgres":
        return Target(kind, str(request.getfixturevalue("postgres_graph_url")))
    return Target(kind, "")


@pytest.fixture
async def graph(target: Target) -> AsyncIterator[Graph]:
    if target.kind == "neo4j":
        server = neo4j_server()
        assert server is not None
        namespace = f"tracktion-test-{uuid.uuid4().hex}"
        neo4j_graph = await Neo4jGraph.connect(
            server.uri,
            auth=server.auth,
            database=server.database,
            namespace=namespace,
            max_retry_time=5.0,
        )
        try:
            yield neo4j_graph
        finally:
            await neo4j_graph.close()
            await delete_namespace(server, namespace)
        return

    if target.kind == "sql-sqlite":
        await upgrade(target.url)
    engine = create_catalog_engine(catalog_url(target.url))
    try:
        if target.kind == "sql-postgres":
            async with engine.begin() as connection:
                for table in GRAPH_TABLES:
                    await connection.execute(delete(table))
        sql_graph = SqlGraph(engine, reconnect=FAST_RECONNECT)
        yield sql_graph
        await sql_graph.close()
    finally:
        await engine.dispose()
