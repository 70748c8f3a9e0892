"""``/health`` (the process is up), ``/ready`` (every backend answers) and ``/metrics``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from tracktion.contracts import ExchangeRole
from tracktion.services import __version__

from ..context import ApiContext, context_of
from ..deps import Context, authenticated, bearer
from ..metrics import CONTENT_TYPE
from ..schemas import HealthOut, ReadyOut

__all__ = ["router"]

router = APIRouter(tags=["health"])

_PROBE_KEY = "tracktion:ready:"


@router.get("/health", response_model=HealthOut, summary="Liveness")
async def health() -> HealthOut:
    """The process serves requests (no backend is touched; no token needed)."""
    return HealthOut(status="ok", version=__version__)


async def _check_catalog(ctx: ApiContext) -> None:
    await ctx.ports.catalog.list_jobs(limit=1)


async def _check_bus(ctx: ApiContext) -> None:
    topology = ctx.ports.bus.topology
    events = topology.exchange_for(ExchangeRole.EVENTS).name
    queues = topology.route(events, "analysis.request")
    if not queues:
        raise RuntimeError("no queue receives analysis.request in the topology")
    await ctx.ports.bus.depth(queues[0])


async def _check_cache(ctx: ApiContext) -> None:
    cache = ctx.ports.cache
    key = _PROBE_KEY + uuid.uuid4().hex
    value = uuid.uuid4().bytes
    await cache.set(key, value, ttl=30)
    try:
        if await cache.get(key) != value:
            raise RuntimeError("the cache did not return the value just stored")
    finally:
        await cache.delete(key)


async def _check_graph(ctx: ApiContext) -> None:
    await ctx.ports.graph.get_recording(uuid.UUID(int=0))


_CHECKS: dict[str, Callable[[ApiContext], Awaitable[None]]] = {
    "catalog": _check_catalog,
    "bus": _check_bus,
    "cache": _check_cache,
    "graph": _check_graph,
}


async def _run(ctx: ApiContext, check: Callable[[ApiContext], Awaitable[None]]) -> str:
    timeout = ctx.options.ready_timeout_s
    try:
        async with asyncio.timeout(timeout):
            await check(ctx)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as exc:  # any failure makes the instance not ready, with the reason
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@router.get(
    "/ready",
    response_model=ReadyOut,
    summary="Readiness",
    responses={503: {"model": ReadyOut, "description": "A backend failed its check."}},
)
async def ready(request: Request) -> JSONResponse:
    """Queries the catalog, reads a queue's depth on the bus, stores and reads back a
    cache entry and queries the graph; 503 naming each failed backend."""
    ctx = context_of(request.app)
    results = await asyncio.gather(*(_run(ctx, check) for check in _CHECKS.values()))
    checks = dict(zip(_CHECKS, results, strict=True))
    failed = [name for name, result in checks.items() if result != "ok"]
    for name in failed:
        ctx.metrics.errors.labels(f"ready_{name}").inc()
    body = ReadyOut(status="not ready" if failed else "ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=503 if failed else 200)


async def _metrics_guard(
    ctx: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    if not ctx.options.metrics_public:
        await authenticated(ctx, credentials)


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    dependencies=[Depends(_metrics_guard)],
)
async def metrics(ctx: Context) -> Response:
    """Counters and gauges in the Prometheus text format (queue depths read now)."""
    await ctx.metrics.refresh_queue_depths(ctx.ports.bus)
    return Response(ctx.metrics.render(), media_type=CONTENT_TYPE)
