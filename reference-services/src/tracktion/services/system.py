"""The whole system in one process: every service plus the API, on the configured ports.

``tracktion up`` runs this on the embedded defaults (SQLite under the data directory, the
in-process bus and cache, the SQL graph); the same code runs on RabbitMQ, PostgreSQL,
Redis and Neo4j when the settings name them. What ``up`` adds to the services is the
first-start experience: a demo library when no folder is given, and an API token.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from .runtime import SERVICES, build_service, open_ports, run_until_signalled
from .settings import Settings

if TYPE_CHECKING:
    from tracktion.core.cache import Cache
    from tracktion.core.tracklists import TracklistFetcher

    from .api import ApiOptions

__all__ = [
    "SystemInfo",
    "admin_token",
    "api_options",
    "data_dir",
    "run_system",
    "tracklist_fetcher",
]

log = logging.getLogger("tracktion.services")

_TOKEN_FILE = "api-token"


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """What a started system tells its user."""

    url: str
    roots: tuple[str, ...]
    token: str | None
    token_generated: bool
    services: tuple[str, ...]


def data_dir(settings: Settings) -> Path:
    """The embedded defaults' directory (created)."""
    path = Path(settings.data_dir or platformdirs.user_data_dir("tracktion", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def admin_token(directory: Path) -> tuple[str, bool]:
    """The admin token kept in ``directory``, generated (and stored, owner-only) on first
    use; returns it and whether it was generated now."""
    path = directory / _TOKEN_FILE
    try:
        return path.read_text(encoding="utf-8").strip(), False
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, True


def tracklist_fetcher(settings: Settings, *, pacing: Cache | None = None) -> TracklistFetcher:
    """The fetcher of the API's tracklist URL imports: pages cached under
    ``<data dir>/pages`` (beside the tracklist service's), one request per host every
    ``api_tracklist_fetch_interval_s`` at most. The caller closes it.

    ``pacing`` is the system's cache (``Ports.cache``), which the tracklist service's
    fetcher is given too: the pause per host is then kept by both together, in one
    process or, on Redis, across processes (see ``TracklistFetcher``'s ``pacing``).
    """
    from tracktion.core.tracklists import TracklistFetcher

    return TracklistFetcher(
        cache_dir=data_dir(settings) / "pages",
        min_interval_s=settings.api_tracklist_fetch_interval_s,
        pacing=pacing,
    )


def api_options(
    settings: Settings,
    tokens: tuple[str, ...],
    *,
    tracklist_fetcher: TracklistFetcher | None = None,
) -> ApiOptions:
    """The API's options from the settings (``tokens`` already resolved); URL imports of
    tracklists use ``tracklist_fetcher`` (none: they are refused)."""
    from .api import ApiOptions

    return ApiOptions(
        tokens=tokens if settings.api_auth else (),
        cors_origins=tuple(settings.api_cors_origins),
        ws_allowed_origins=(
            None if settings.api_ws_origins is None else tuple(settings.api_ws_origins)
        ),
        rate_limit_per_minute=settings.api_rate_limit_per_minute,
        tracklist_fetcher=tracklist_fetcher,
    )


async def run_system(
    settings: Settings,
    *,
    services: tuple[str, ...] = tuple(SERVICES),
    on_started: Callable[[SystemInfo], None] | None = None,
) -> None:
    """Run ``services`` and the API on the ports ``settings`` name until SIGINT/SIGTERM
    (or cancellation), then shut everything down gracefully.

    The watcher runs only when ``settings.library_roots`` names folders. The API token is
    the configured one(s), else the admin token of the data directory when auth is on.
    The API imports tracklists from URLs with :func:`tracklist_fetcher`, closed at the end,
    which keeps the pause per host together with the tracklist service's fetcher through
    the system's cache.
    """
    from .api import create_app
    from .api.server import serve

    tokens = tuple(token.get_secret_value() for token in settings.api_tokens)
    token, generated = None, False
    if settings.api_auth and not tokens:
        token, generated = admin_token(data_dir(settings))
        tokens = (token,)
    elif tokens:
        token = tokens[0]
    chosen = tuple(n for n in services if n != "watcher" or settings.library_roots)
    async with (
        open_ports(settings) as ports,
        tracklist_fetcher(settings, pacing=ports.cache) as fetcher,
    ):
        built = [build_service(name, ports) for name in chosen]
        app = create_app(ports, api_options(settings, tokens, tracklist_fetcher=fetcher))

        def started(host: str, port: int) -> None:
            info = SystemInfo(
                url=f"http://{host}:{port}",
                roots=tuple(settings.library_roots),
                token=token,
                token_generated=generated,
                services=chosen,
            )
            log.info("tracktion is up at %s with %s", info.url, ", ".join(chosen))
            if on_started is not None:
                on_started(info)

        async def api() -> None:
            await serve(app, settings.api_host, settings.api_port, on_started=started)

        await run_until_signalled(api, *(service.run for service in built))
