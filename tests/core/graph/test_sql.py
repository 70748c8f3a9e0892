"""Behaviour of the SQL graph only: the engine it runs on and translated database errors."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from types import SimpleNamespace
from typing import cast
from uuid import UUID

import pytest
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from tracktion.core.catalog import ReconnectPolicy
from tracktion.core.catalog._engine import catalog_url, create_catalog_engine
from tracktion.core.errors import BackendError, BackendUnavailableError, ConfigurationError
from tracktion.core.graph import RecordingNode, SqlGraph

pytestmark = pytest.mark.anyio

RID = UUID(int=1)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_only_sqlite_and_postgresql_engines_are_accepted() -> None:
    engine = cast(AsyncEngine, SimpleNamespace(dialect=SimpleNamespace(name="mysql")))
    with pytest.raises(ConfigurationError, match="not mysql"):
        SqlGraph(engine)


async def test_an_unmigrated_database_is_a_backend_error(tmp_path: Path) -> None:
    engine = create_catalog_engine(catalog_url(f"sqlite:///{tmp_path / 'empty.db'}"))
    graph = SqlGraph(engine, reconnect=ReconnectPolicy(budget_s=0))
    try:
        with pytest.raises(BackendError, match="graph_recordings") as caught:
            await graph.upsert_recording(RecordingNode(RID, bpm=120.0))
        assert not isinstance(caught.value, BackendUnavailableError)
        assert isinstance(caught.value.__cause__, SQLAlchemyError)
        with pytest.raises(BackendError, match="graph_transitions"):
            await graph.played_after(RID)
    finally:
        await engine.dispose()


async def test_an_unreachable_database_is_unavailable_within_the_budget() -> None:
    url = catalog_url(f"postgresql://postgres:s3cret@127.0.0.1:{closed_port()}/tracktion")
    engine = create_catalog_engine(url, connect_timeout_s=0.5)
    graph = SqlGraph(engine, reconnect=ReconnectPolicy(budget_s=0.3, initial_delay_s=0.05))
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError) as caught:
            await graph.artists_of(RID)
        with pytest.raises(BackendUnavailableError):
            await graph.add_tracklist(RID, [RID, RID])
        assert time.monotonic() - started < 3.0
        assert isinstance(caught.value, ConnectionError)
        assert "s3cret" not in str(caught.value)
        assert "s3cret" not in repr(graph)
    finally:
        await engine.dispose()


async def test_closing_the_graph_leaves_the_engine_to_its_owner(tmp_path: Path) -> None:
    engine = create_catalog_engine(catalog_url(f"sqlite:///{tmp_path / 'c.db'}"))
    try:
        graph = SqlGraph(engine)
        await graph.close()
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("SELECT 1")).scalar() == 1
    finally:
        await engine.dispose()
