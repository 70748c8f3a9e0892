"""What every route shares: the ports, options, metrics, connections and limits of one app."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request

from .auth import TokenChecker
from .metrics import ApiMetrics
from .options import ApiOptions, ApiPorts
from .ratelimit import KeyedRateLimiter
from .websocket import ConnectionManager

__all__ = ["ApiContext", "attach", "context_of", "get_context"]


@dataclass(eq=False)
class ApiContext:
    """The state of one app, kept on ``app.state.tracktion``."""

    ports: ApiPorts
    options: ApiOptions
    metrics: ApiMetrics
    manager: ConnectionManager
    tokens: TokenChecker
    limiter: KeyedRateLimiter | None


def context_of(app: object) -> ApiContext:
    """The context of an app made by :func:`~tracktion.services.api.create_app`."""
    state = getattr(app, "state", None)
    ctx = getattr(state, "tracktion", None)
    if not isinstance(ctx, ApiContext):
        raise RuntimeError("this app was not made by tracktion.services.api.create_app")
    return ctx


def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the context of the app serving ``request``."""
    return context_of(request.app)


def attach(app: FastAPI, ctx: ApiContext) -> None:
    """Keep ``ctx`` on ``app``."""
    app.state.tracktion = ctx
