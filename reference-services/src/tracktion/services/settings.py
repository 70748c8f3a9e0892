"""Configuration of the reference services, read from ``TRACKTION_*`` environment variables.

Only entry points (the command line, the service runners) create :class:`Settings`; they
pass what they read to library code explicitly, which never reads the environment.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracktion.contracts import ExchangeNames, Topology, build_topology

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every ``TRACKTION_*`` setting with its default."""

    model_config = SettingsConfigDict(env_prefix="TRACKTION_", extra="ignore")

    broker_url: str = "memory://"
    """``memory://`` (embedded) or ``amqp://user:password@host:5672/vhost`` (RabbitMQ)."""
    database_url: str | None = None
    """``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``; by default a SQLite
    file under the user's data directory."""
    cache_url: str = "memory://"
    """``memory://`` or ``redis://host:6379/0``."""
    graph_url: str = "sql://"
    """``sql://`` (tables in the catalog database) or ``neo4j://host:7687``."""
    exchanges: ExchangeNames = Field(default_factory=ExchangeNames)
    """Exchange names, e.g. ``TRACKTION_EXCHANGES='{"events": "tracktion_exchange"}'``."""
    name_prefix: str = ""
    """Put before every exchange and queue name, to share one broker between deployments."""
    analysis_workers: int | None = None
    """Analysis processes per analysis service (default: one per CPU; 0: in a thread)."""
    analysis_cache_path: str | None = None
    """The analysis result cache (SQLite, keyed by content); by default none in services:
    the catalog keeps results."""

    def topology(self) -> Topology:
        """The topology these settings describe."""
        return topology_for(self.exchanges, self.name_prefix)


def topology_for(names: ExchangeNames, prefix: str = "") -> Topology:
    """The canonical topology with ``prefix`` before every exchange and queue name."""
    if prefix:
        names = ExchangeNames(**{role: prefix + name for role, name in names.model_dump().items()})
    return build_topology(names, queue_prefix=prefix)
