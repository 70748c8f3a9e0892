"""What the API takes: its ports (a structural protocol) and its options."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from tracktion.core.bus import MessageBus
from tracktion.core.cache import Cache
from tracktion.core.catalog import CatalogStore
from tracktion.core.errors import ConfigurationError
from tracktion.core.graph import Graph
from tracktion.core.tracklists import TracklistFetcher

__all__ = ["ApiOptions", "ApiPorts"]


class ApiPorts(Protocol):
    """The backends the API talks to; ``tracktion.services.runtime.Ports`` satisfies it."""

    @property
    def bus(self) -> MessageBus: ...

    @property
    def catalog(self) -> CatalogStore: ...

    @property
    def cache(self) -> Cache: ...

    @property
    def graph(self) -> Graph: ...


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Options of the HTTP API and the WebSocket.

    Attributes:
        tokens: Bearer tokens accepted on every route but ``/health`` and ``/ready``, and
            on the WebSocket (``?token=`` or a first ``auth`` message). Empty: no
            authentication.
        cors_origins: Origins allowed to call the API from a browser (CORS); empty: none.
        ws_allowed_origins: Origins a WebSocket may be opened from; ``None`` allows any.
            A connection without an ``Origin`` header (not a browser) is always allowed.
        rate_limit_per_minute: Requests per minute per client (token, else address) on
            the ``/v1`` routes; ``None`` turns the limit off.
        ws_messages_per_second: Sustained messages per second a WebSocket client may send.
        ws_message_burst: Messages a WebSocket client may send at once before the
            sustained rate applies.
        ws_max_message_bytes: Largest client message accepted, in bytes (UTF-8).
        ws_send_queue: Messages waiting to be sent to one client; a client that falls
            this far behind is disconnected (code 1013) instead of slowing the others.
        ws_auth_timeout_s: Seconds a client has to send its ``auth`` message.
        ready_timeout_s: Seconds each backend check of ``/ready`` may take.
        metrics_public: Serve ``/metrics`` without a token.
        relay: Relay analysis progress, results and errors from the bus to WebSocket
            subscribers (off only for tests of the REST routes).
        instance_id: Names this instance's relay queue (``api.relay.<instance_id>``);
            random by default.
        library_root: The music library folder renames are applied under (the API moves
            the files itself, through the catalog's journal); ``None`` disables
            ``apply`` and ``undo``.
        tracklist_fetcher: Fetches tracklist pages for ``POST /v1/tracklists`` with a
            ``url`` (owned and closed by the caller); ``None``: URL imports are refused.
    """

    tokens: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    ws_allowed_origins: tuple[str, ...] | None = None
    rate_limit_per_minute: int | None = 600
    ws_messages_per_second: float = 20.0
    ws_message_burst: int = 40
    ws_max_message_bytes: int = 4096
    ws_send_queue: int = 256
    ws_auth_timeout_s: float = 10.0
    ready_timeout_s: float = 2.0
    metrics_public: bool = False
    relay: bool = True
    instance_id: str | None = field(default=None)
    library_root: str | None = None
    tracklist_fetcher: TracklistFetcher | None = None

    def __post_init__(self) -> None:
        for token in self.tokens:
            if not isinstance(token, str) or not token.strip() or len(token) > 4096:
                raise ConfigurationError(
                    "tokens must be non-blank strings of at most 4096 characters"
                )
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ConfigurationError(
                f"rate_limit_per_minute must be at least 1 (or None for no limit), "
                f"got {self.rate_limit_per_minute}"
            )
        for name in ("ws_messages_per_second", "ws_auth_timeout_s", "ready_timeout_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ConfigurationError(
                    f"{name} must be a positive number of seconds, got {value!r}"
                )
        for name in ("ws_message_burst", "ws_max_message_bytes", "ws_send_queue"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")

    @property
    def auth_required(self) -> bool:
        """Whether requests need a bearer token."""
        return bool(self.tokens)
