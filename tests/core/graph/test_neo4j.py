"""The Neo4j adapter without a server: unreachable servers, translated driver errors,
options, and the schema race. Its behaviour on a real server is in test_behaviour.py."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from uuid import UUID

import pytest
from neo4j import AsyncDriver
from neo4j import exceptions as neo4j_errors

from tracktion.core.errors import BackendError, BackendUnavailableError, ConfigurationError
from tracktion.core.graph import Neo4jGraph, RecordingNode
from tracktion.core.graph.neo4j import SCHEMA

pytestmark = pytest.mark.anyio

RID = UUID(int=1)


def closed_port() -> int:
    # A port the kernel just handed out and took back: nothing listens on it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_error(code: str, message: str) -> neo4j_errors.Neo4jError:
    """The exception the driver raises for a failure the server reports with ``code``."""
    return neo4j_errors.Neo4jError._hydrate_neo4j(code=code, message=message)


class FailingDriver:
    """Stands in for ``neo4j.AsyncDriver``: every query fails with ``error``."""

    execute_query_bookmark_manager = None

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.queries: list[str] = []
        self.closed = False

    async def execute_query(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(query)
        raise self.error

    def session(self, **config: Any) -> FailingDriver:
        return self

    async def __aenter__(self) -> FailingDriver:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def execute_write(self, work: Callable[..., Awaitable[None]]) -> None:
        raise self.error

    async def close(self) -> None:
        self.closed = True


def graph_on(driver: FailingDriver) -> Neo4jGraph:
    return Neo4jGraph(cast(AsyncDriver, driver), where="neo4j://db.example:7687")


@pytest.mark.parametrize("scheme", ["neo4j", "bolt"])
async def test_a_closed_port_is_unavailable_quickly(scheme: str) -> None:
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="unreachable") as caught:
        await Neo4jGraph.connect(
            f"{scheme}://127.0.0.1:{closed_port()}", auth=("neo4j", "s3cret-pw")
        )
    assert time.monotonic() - started < 2.0
    assert isinstance(caught.value, ConnectionError)
    assert isinstance(caught.value.__cause__, neo4j_errors.ServiceUnavailable)
    assert "s3cret-pw" not in str(caught.value)
    assert f"{scheme}://127.0.0.1:" in str(caught.value)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (neo4j_errors.ServiceUnavailable("Unable to retrieve routing information"), True),
        (neo4j_errors.SessionExpired("the leader went away"), True),
        (neo4j_errors.IncompleteCommit("connection lost during commit"), True),
        (server_error("Neo.TransientError.General.DatabaseUnavailable", "starting"), True),
        (ConnectionResetError("reset by peer"), True),
        (server_error("Neo.ClientError.Statement.SyntaxError", "Invalid input"), False),
        (server_error("Neo.ClientError.Schema.ConstraintValidationFailed", "exists"), False),
        (server_error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock"), False),
        (server_error("Neo.DatabaseError.General.UnknownError", "boom"), False),
        (neo4j_errors.DriverError("the driver broke"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
async def test_driver_errors_are_translated(error: Exception, unavailable: bool) -> None:
    graph = graph_on(FailingDriver(error))
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: graph.artists_of(RID),
        lambda: graph.compatible(RID),
        lambda: graph.upsert_recording(RecordingNode(RID)),
        lambda: graph.add_tracklist(RID, [RID]),
    ]
    for operation in operations:
        with pytest.raises(BackendError) as caught:
            await operation()
        assert isinstance(caught.value, BackendUnavailableError) is unavailable
        assert caught.value.__cause__ is error
        assert "neo4j://db.example:7687" in str(caught.value)


async def test_server_errors_name_the_server_code() -> None:
    error = server_error("Neo.ClientError.Statement.SyntaxError", "Invalid input 'X'")
    with pytest.raises(BackendError) as caught:
        await graph_on(FailingDriver(error)).played_after(RID)
    assert "Neo.ClientError.Statement.SyntaxError: Invalid input 'X'" in str(caught.value)


async def test_refused_credentials_are_a_backend_error_not_unavailability() -> None:
    error = server_error("Neo.ClientError.Security.Unauthorized", "authentication failure")
    assert isinstance(error, neo4j_errors.AuthError)
    with pytest.raises(BackendError, match="refused the credentials") as caught:
        await graph_on(FailingDriver(error)).get_recording(RID)
    assert not isinstance(caught.value, BackendUnavailableError)


@pytest.mark.parametrize("error", [RuntimeError("a bug"), asyncio.CancelledError()])
async def test_errors_that_are_not_the_drivers_pass_through(error: BaseException) -> None:
    with pytest.raises(type(error)):
        await graph_on(FailingDriver(error)).artists_of(RID)


async def test_ensure_schema_tolerates_a_concurrent_twin_only() -> None:
    twin = server_error("Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists", "exists")
    driver = FailingDriver(twin)
    await graph_on(driver).ensure_schema()
    assert driver.queries == list(SCHEMA)

    forbidden = server_error("Neo.ClientError.Security.Forbidden", "no schema rights")
    with pytest.raises(BackendError, match="creating the graph schema"):
        await graph_on(FailingDriver(forbidden)).ensure_schema()


async def test_close_closes_the_driver_once_and_refuses_later_work() -> None:
    driver = FailingDriver(RuntimeError("unused"))
    graph = graph_on(driver)
    await graph.close()
    await graph.close()
    assert driver.closed
    with pytest.raises(BackendError, match="closed"):
        await graph.artists_of(RID)
    with pytest.raises(BackendError, match="closed"):
        await graph.ensure_schema()
    assert driver.queries == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"connect_timeout": float("nan")}, "connect_timeout"),
        ({"max_retry_time": -1.0}, "max_retry_time"),
        ({"namespace": ""}, "namespace"),
        ({"database": ""}, "database"),
    ],
)
async def test_bad_options_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await Neo4jGraph.connect(f"neo4j://127.0.0.1:{closed_port()}", **options)


@pytest.mark.parametrize(
    "uri",
    ["bolt://127.0.0.1:7687?policy=eu", "http2://127.0.0.1:7687", "neo4j+x://127.0.0.1"],
)
async def test_uris_the_driver_refuses_are_configuration_errors(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid Neo4j URI"):
        await Neo4jGraph.connect(uri)


async def test_credentials_in_the_uri_are_refused_without_showing_them() -> None:
    with pytest.raises(ConfigurationError, match="auth=") as caught:
        await Neo4jGraph.connect("neo4j://neo4j:s3cret-pw@127.0.0.1:7687")
    assert "s3cret-pw" not in str(caught.value)
    assert "neo4j://127.0.0.1:7687" in str(caught.value)


def test_repr_names_the_server_and_namespace() -> None:
    graph = Neo4jGraph(cast(AsyncDriver, FailingDriver(RuntimeError())), namespace="lab")
    assert repr(graph) == "Neo4jGraph('Neo4j', namespace='lab')"
    assert graph.namespace == "lab"
