"""The FastAPI app factory: routes, errors, CORS, metrics, and the bus relay's lifespan."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracktion.services import __version__

from .auth import TokenChecker
from .context import ApiContext, attach, context_of
from .deps import protected
from .errors import install_error_handlers
from .metrics import ApiMetrics
from .options import ApiOptions, ApiPorts
from .ratelimit import KeyedRateLimiter
from .relay import BusRelay
from .routes import analysis, cue, health, jobs, recordings, rename, tracklists
from .websocket import ConnectionManager, websocket_endpoint

__all__ = ["connection_manager", "create_app"]

log = logging.getLogger("tracktion.api")

_DESCRIPTION = """\
The Tracktion catalog over HTTP: recordings with their files, tags and analysis; analysis
requests and their jobs; tracklists and CUE files; rename proposals. Every route but
`/health` and `/ready` takes `Authorization: Bearer <token>` when tokens are configured.
Live analysis progress is on the WebSocket at `/v1/ws`.
"""


class _MetricsMiddleware:
    """Counts every HTTP request by method, route template and status, with its duration."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_seconds.labels(method, route).observe(time.perf_counter() - start)
            if status >= 500:
                self.metrics.errors.labels("http_5xx").inc()


def create_app(ports: ApiPorts, options: ApiOptions | None = None) -> FastAPI:
    """The HTTP API and the WebSocket over ``ports``.

    The app owns no backend: the caller opens the ports before serving and closes them
    after. While it runs (its lifespan), the bus relay consumes this instance's relay
    queue unless ``options.relay`` is off.
    """
    options = options or ApiOptions()
    metrics = ApiMetrics()
    manager = ConnectionManager(options, metrics)
    limiter = (
        None
        if options.rate_limit_per_minute is None
        else KeyedRateLimiter(
            options.rate_limit_per_minute / 60.0, float(options.rate_limit_per_minute)
        )
    )
    ctx = ApiContext(
        ports=ports,
        options=options,
        metrics=metrics,
        manager=manager,
        tokens=TokenChecker(options.tokens),
        limiter=limiter,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        relay = None
        if options.relay:
            relay = BusRelay(
                ports.bus, ports.catalog, manager, metrics, instance_id=options.instance_id
            )
            await relay.start()
        try:
            yield
        finally:
            await manager.close_all()
            if relay is not None:
                await relay.stop()

    app = FastAPI(
        title="Tracktion API",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    attach(app, ctx)
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (recordings, analysis, jobs, rename, tracklists, cue):
        app.include_router(module.router, dependencies=[Depends(protected)])
    app.add_api_websocket_route("/v1/ws", websocket_endpoint, name="websocket")
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(_MetricsMiddleware, metrics=metrics)
    return app


def connection_manager(app: FastAPI) -> ConnectionManager:
    """The WebSocket connection manager of an app made by :func:`create_app`."""
    return context_of(app).manager
