"""Configuration of the reference services, read from ``TRACKTION_*`` environment variables.

Only entry points (the command line, the service runners) create :class:`Settings`; they
pass what they read to library code explicitly, which never reads the environment.
"""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracktion.contracts import ExchangeNames, Topology, build_topology

__all__ = ["Settings", "catalog_url", "topology_for"]


class Settings(BaseSettings):
    """Every ``TRACKTION_*`` setting with its default."""

    model_config = SettingsConfigDict(env_prefix="TRACKTION_", extra="ignore")

    broker_url: str = "memory://"
    """``memory://`` (embedded) or ``amqp://user:password@host:5672/vhost`` (RabbitMQ)."""
    database_url: str | None = None
    """``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``; by default a SQLite
    file, ``catalog.db``, in ``data_dir`` (the user's data directory when that is unset)."""
    cache_url: str = "memory://"
    """``memory://`` or ``redis://host:6379/0``."""
    graph_url: str = "sql://"
    """``sql://`` (tables in the catalog database) or ``neo4j://host:7687``."""
    exchanges: ExchangeNames = Field(default_factory=ExchangeNames)
    """Exchange names, e.g. ``TRACKTION_EXCHANGES='{"events": "tracktion_exchange"}'``."""
    name_prefix: str = ""
    """Put before every exchange and queue name, to share one broker between deployments."""
    data_dir: str | None = None
    """Where the embedded defaults keep their files (the API token, the demo library);
    by default the user's data directory (``~/.local/share/tracktion`` on Linux)."""
    api_host: str = "127.0.0.1"
    """The address the API listens on."""
    api_port: int = Field(default=8000, ge=0, le=65535)
    """The API's port (0: any free port)."""
    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Bearer tokens the API accepts, comma-separated. None set: ``tracktion up``
    generates an admin token at first start, prints it and keeps it in ``data_dir``."""
    api_auth: bool = True
    """Require a token on every route but ``/health`` and ``/ready`` (and on the WebSocket)."""
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed to call the API from a browser, comma-separated."""
    api_ws_origins: Annotated[list[str], NoDecode] | None = None
    """Origins a WebSocket may be opened from, comma-separated; unset allows any."""
    api_rate_limit_per_minute: int | None = Field(default=600, ge=1)
    """Requests per minute per client on the ``/v1`` routes; unset (empty) for no limit."""
    api_tracklist_fetch_interval_s: float = Field(default=3.0, ge=0)
    """Least pause, in seconds, between two requests of the API's tracklist fetcher to one
    host (``POST /v1/tracklists`` with a ``source.url``); 1001tracklists.com always gets
    at least 3 s, whatever is set. The API and the tracklist service keep their pauses
    together through the cache (``TRACKTION_CACHE_URL``; with Redis, across processes).
    Fetched pages are cached under ``data_dir``."""
    library_roots: list[str] = Field(default_factory=list)
    """The music folders the watcher scans and watches, e.g.
    ``TRACKTION_LIBRARY_ROOTS='["/music", "/downloads"]'``."""
    watcher_instance_id: str | None = None
    """This watcher's id in file events (default: host name and process id)."""
    analysis_workers: int | None = None
    """Analysis processes per analysis service (default: one per CPU; 0: in a thread)."""
    analysis_cache_path: str | None = None
    """The analysis result cache (SQLite, keyed by content); by default none in services:
    the catalog keeps results."""

    notify_log: bool = True
    """Log every notification on the ``tracktion.notify`` logger."""
    notify_discord_webhooks: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Discord webhook URLs (secrets), comma-separated or a JSON list; none by default."""
    notify_smtp_url: SecretStr | None = None
    """Email channel: ``smtp://``, ``smtp+starttls://`` or ``smtps://user:password@host:port``."""
    notify_smtp_from: str | None = None
    """The ``From`` address of notification emails."""
    notify_smtp_to: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Recipients of notification emails, comma-separated or a JSON list."""

    @field_validator(
        "notify_discord_webhooks",
        "notify_smtp_to",
        "api_tokens",
        "api_cors_origins",
        "api_ws_origins",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        # Never raise with the text: pydantic would quote it, and webhook URLs are secrets.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                with contextlib.suppress(ValueError):
                    return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    def catalog_url(self) -> str | None:
        """The catalog database to open: ``database_url``, else ``catalog.db`` in
        ``data_dir`` when that is set (the directory is created), else ``None``, which
        :func:`tracktion.core.catalog.open_catalog` reads as the user's data directory."""
        if self.database_url is not None or self.data_dir is None:
            return self.database_url
        # Imported here: SQLAlchemy is not needed to read the settings.
        from tracktion.core.catalog import default_database_url

        return default_database_url(self.data_dir)

    def topology(self) -> Topology:
        """The topology these settings describe."""
        return topology_for(self.exchanges, self.name_prefix)


def topology_for(names: ExchangeNames, prefix: str = "") -> Topology:
    """The canonical topology with ``prefix`` before every exchange and queue name."""
    if prefix:
        names = ExchangeNames(**{role: prefix + name for role, name in names.model_dump().items()})
    return build_topology(names, queue_prefix=prefix)


def catalog_url(database: str | None) -> str | None:
    """``database`` (a command's ``--database``), else :meth:`Settings.catalog_url`: the
    catalog in ``TRACKTION_DATA_DIR`` when that is set, as ``tracktion up`` finds it."""
    return database if database is not None else Settings().catalog_url()
