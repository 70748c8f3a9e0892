"""What every reference service runs on: its ports, opened from settings, and a runner.

A service is a class constructed with explicit ports and options, with ``async run()``
that works until it is cancelled and then returns once its in-flight work has finished
or gone back to the queue. Each service module exposes ``build(ports) -> service``;
:data:`SERVICES` names them for ``tracktion worker NAME`` and ``tracktion up``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from tracktion.core.bus import MessageBus, open_bus
from tracktion.core.cache import Cache, open_cache
from tracktion.core.catalog import CatalogStore, open_catalog
from tracktion.core.errors import ConfigurationError
from tracktion.core.graph import Graph, open_graph

from .settings import Settings

__all__ = [
    "SERVICES",
    "Ports",
    "Service",
    "build_service",
    "open_ports",
    "run_process",
    "run_until_signalled",
    "service_names",
]

log = logging.getLogger("tracktion.services")


class Service(Protocol):
    """A reference service: ``run`` works until cancelled, then finishes its in-flight work."""

    async def run(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Ports:
    """The opened ports a service is built from, and the settings they came from."""

    settings: Settings
    bus: MessageBus
    catalog: CatalogStore
    cache: Cache
    graph: Graph


@asynccontextmanager
async def open_ports(settings: Settings, *, declare: bool = True) -> AsyncIterator[Ports]:
    """Open every port that ``settings`` names; close them all on exit, last opened first.

    ``declare`` declares the message topology on the broker (idempotent). Raises the
    ports' errors (``ConfigurationError``, ``MissingExtraError``,
    ``BackendUnavailableError``), each naming the URL at fault.
    """
    async with AsyncExitStack() as stack:
        catalog = await open_catalog(settings.catalog_url())
        stack.push_async_callback(catalog.close)
        bus = await open_bus(settings.broker_url, settings.topology(), declare=declare)
        stack.push_async_callback(bus.close)
        cache = open_cache(settings.cache_url)
        stack.push_async_callback(cache.close)
        graph = await open_graph(settings.graph_url, engine=catalog.engine)
        stack.push_async_callback(graph.close)
        yield Ports(settings, bus, catalog, cache, graph)


SERVICES: dict[str, str] = {
    "watcher": "tracktion.services.watcher",
    "cataloging": "tracktion.services.cataloging",
    "analysis": "tracktion.services.analysis",
    "rename": "tracktion.services.rename",
    "tracklist": "tracktion.services.tracklist",
    "notification": "tracktion.services.notification",
}
"""Each service's name and the module whose ``build(ports)`` makes it."""


def build_service(name: str, ports: Ports) -> Service:
    """The service called ``name``, built on ``ports``.

    Raises ``ConfigurationError`` naming the service when it is unknown.
    """
    [known] = service_names([name])
    build: Callable[[Ports], Service] = importlib.import_module(SERVICES[known]).build
    return build(ports)


async def run_until_signalled(*runs: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``runs`` concurrently until SIGINT or SIGTERM, then cancel them and wait.

    Cancellation is each service's cue to stop consuming and finish (or requeue) what it
    holds, so a signal shuts the process down gracefully. If one run fails, the others
    are cancelled and the error propagates.
    """
    async with anyio.create_task_group() as group:

        async def watch_signals() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for received in signals:
                    log.info("received %s; shutting down", signal.Signals(received).name)
                    group.cancel_scope.cancel()
                    return

        group.start_soon(watch_signals)
        async with anyio.create_task_group() as services:
            for run in runs:
                services.start_soon(run)
        group.cancel_scope.cancel()


def service_names(names: Sequence[str] | None = None) -> list[str]:
    """``names`` checked against :data:`SERVICES` (all of them when ``None``)."""
    chosen = list(SERVICES) if names is None else list(names)
    unknown = [name for name in chosen if name not in SERVICES]
    if unknown:
        known = ", ".join(sorted(SERVICES))
        raise ConfigurationError(f"unknown service {unknown[0]!r}; the services are: {known}")
    return chosen


def run_process(main: Coroutine[Any, Any, None], *, grace_s: float = 10.0) -> None:
    """Run a service process's ``main`` to completion, then give the tasks it left behind
    ``grace_s`` seconds to finish their cancellation; tasks still running after that are
    named in a warning and abandoned, so that a stopped process always exits.

    (``asyncio.run`` waits for every leftover task without bound: one driver task that
    swallows its cancellation would keep a stopped service alive.)
    """
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main)
    finally:
        try:
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            if left:
                _, pending = loop.run_until_complete(asyncio.wait(left, timeout=grace_s))
                if pending:
                    names = ", ".join(sorted(task.get_name() for task in pending))
                    log.warning(
                        "abandoning %d task(s) that ignored shutdown: %s", len(pending), names
                    )
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
