"""Picking a graph by URL, the public API, and life without the Neo4j driver."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tracktion.core import camelot
from tracktion.core import graph as graph_package
from tracktion.core.catalog._engine import catalog_url, create_catalog_engine
from tracktion.core.errors import BackendUnavailableError, ConfigurationError, MissingExtraError
from tracktion.core.graph import Graph, Neo4jGraph, SqlGraph, open_graph

pytestmark = pytest.mark.anyio


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    # Creating an engine connects to nothing; none of these tests queries it.
    engine = create_catalog_engine(catalog_url(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"))
    yield engine
    await engine.dispose()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("url", ["sql://", "sql:", "sql:///", "SQL://"])
async def test_sql_urls_open_the_sql_graph_on_the_given_engine(
    url: str, engine: AsyncEngine
) -> None:
    graph = await open_graph(url, engine=engine)
    assert isinstance(graph, SqlGraph)
    assert isinstance(graph, Graph)
    await graph.close()


async def test_the_sql_graph_needs_the_catalog_engine() -> None:
    with pytest.raises(ConfigurationError, match="engine") as caught:
        await open_graph("sql://")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("url", ["sql://host", "sql:///catalog.db", "sql://?x=1", "sql://#f"])
async def test_sql_urls_take_no_host_path_or_options(url: str, engine: AsyncEngine) -> None:
    with pytest.raises(ConfigurationError, match="no host, path or options") as caught:
        await open_graph(url, engine=engine)
    assert repr(url) in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "sql",
        "memory://",
        "neo5j://graph:7687",
        "http://graph:7474",
        "postgresql://postgres@127.0.0.1/tracktion",
        "sqlite+aiosqlite:///catalog.db",
    ],
)
async def test_unsupported_urls_are_configuration_errors(url: str, engine: AsyncEngine) -> None:
    with pytest.raises(ConfigurationError, match="unsupported graph URL") as caught:
        await open_graph(url, engine=engine)
    assert repr(url) in str(caught.value)


async def test_errors_never_show_a_password(engine: AsyncEngine) -> None:
    for url in ("postgresql://u:s3cret@db/x", "neo4j://u:s3cret@graph:notaport"):
        with pytest.raises(ConfigurationError) as caught:
            await open_graph(url, engine=engine)
        assert "s3cret" not in str(caught.value)
        assert "***" in str(caught.value)


@pytest.fixture
def connect_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Records what open_graph hands to Neo4jGraph.connect, instead of connecting."""
    calls: list[tuple[str, dict[str, Any]]] = []

    async def connect(uri: str, **options: Any) -> str:
        calls.append((uri, options))
        return "connected"

    monkeypatch.setattr(Neo4jGraph, "connect", connect)
    return calls


Expected = tuple[str, tuple[str, str] | None, str | None, str]
"""What ``Neo4jGraph.connect`` gets: driver URI, auth, database, namespace."""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("neo4j://graph:7687", ("neo4j://graph:7687", None, None, "tracktion")),
        ("neo4j://graph", ("neo4j://graph", None, None, "tracktion")),
        ("bolt://graph:7687/", ("bolt://graph:7687", None, None, "tracktion")),
        ("neo4j+s://neo4j:pw@graph", ("neo4j+s://graph", ("neo4j", "pw"), None, "tracktion")),
        ("bolt+ssc://reader@graph", ("bolt+ssc://graph", ("reader", ""), None, "tracktion")),
        (
            "neo4j://us%40er:p%3Ass%2Fw@[::1]:7687?database=music&namespace=lab&policy=eu",
            ("neo4j://[::1]:7687?policy=eu", ("us@er", "p:ss/w"), "music", "lab"),
        ),
        ("neo4j+ssc://graph?namespace=a%20b", ("neo4j+ssc://graph", None, None, "a b")),
    ],
)
async def test_neo4j_urls_carry_credentials_database_and_namespace(
    connect_calls: list[tuple[str, dict[str, Any]]], url: str, expected: Expected
) -> None:
    uri, auth, database, namespace = expected
    assert await open_graph(url) == "connected"  # type: ignore[comparison-overlap]
    assert connect_calls == [(uri, {"auth": auth, "database": database, "namespace": namespace})]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("neo4j://graph:notaport", "Port"),
        ("neo4j://graph:99999", "out of range"),
        ("neo4j://", "no host"),
        ("neo4j://graph:7687/music", "takes no path"),
        ("neo4j://graph?database=", "give database once"),
        ("neo4j://graph?namespace=a&namespace=b", "give namespace once"),
        ("neo4j://graph?database", "invalid Neo4j URL"),
    ],
)
async def test_bad_neo4j_urls_are_configuration_errors(
    connect_calls: list[tuple[str, dict[str, Any]]], url: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await open_graph(url)
    assert connect_calls == []


async def test_an_unreachable_neo4j_server_is_unavailable() -> None:
    url = f"neo4j://neo4j:s3cret@127.0.0.1:{closed_port()}?namespace=t"
    with pytest.raises(BackendUnavailableError) as caught:
        await open_graph(url)
    assert "s3cret" not in str(caught.value)


async def test_missing_neo4j_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine
) -> None:
    # None in sys.modules makes `import neo4j` fail; monkeypatch puts the module back, and
    # the adapter looks the driver up on each connect, so nothing stale is left behind.
    monkeypatch.setitem(sys.modules, "neo4j", None)
    with pytest.raises(MissingExtraError, match=r"tracktion-core\[neo4j\]") as caught:
        await open_graph("neo4j://127.0.0.1:7687")
    assert isinstance(caught.value, ImportError)
    assert caught.value.extra == "neo4j"
    with pytest.raises(MissingExtraError, match=r"pip install 'tracktion-core\[neo4j\]'"):
        await Neo4jGraph.connect("bolt://127.0.0.1:7687")
    assert isinstance(await open_graph("sql://", engine=engine), SqlGraph)


def test_the_package_imports_without_the_neo4j_driver(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.modules["neo4j"] = None  # as if tracktion-core[neo4j] were not installed
        from tracktion.core.catalog._engine import catalog_url, create_catalog_engine
        from tracktion.core.errors import MissingExtraError
        import tracktion.core.graph as graph

        async def main():
            engine = create_catalog_engine(catalog_url("sqlite:///{tmp_path / "c.db"}"))
            print(type(await graph.open_graph("sql://", engine=engine)).__name__)
            await engine.dispose()
            try:
                await graph.open_graph("neo4j://127.0.0.1:7687")
            except MissingExtraError as exc:
                print(exc)

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "SqlGraph"
    assert "pip install 'tracktion-core[neo4j]'" in result.stdout


def test_docstring_examples_run() -> None:
    for module in (graph_package, camelot):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0, module.__name__
        assert failed == 0, module.__name__


def test_public_api_is_exactly_all_and_complete() -> None:
    exported = graph_package.__all__
    assert exported == sorted(set(exported))
    for name in exported:
        assert hasattr(graph_package, name), name
    missing = []
    for module_info in pkgutil.iter_modules(graph_package.__path__):
        module = importlib.import_module(f"tracktion.core.graph.{module_info.name}")
        module_all = getattr(module, "__all__", None)
        assert module_all is not None, f"tracktion.core.graph.{module_info.name} has no __all__"
        missing += [name for name in module_all if name not in exported]
    assert not missing, f"not exported from tracktion.core.graph: {missing}"
