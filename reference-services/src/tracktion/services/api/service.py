"""The API as a reference service: ``build(ports)`` and ``run()`` until cancelled."""

from __future__ import annotations

from .app import create_app
from .options import ApiOptions, ApiPorts
from .server import serve

__all__ = ["ApiService", "build"]


class ApiService:
    """Serves the HTTP API and the WebSocket on ``host``:``port`` until cancelled."""

    def __init__(
        self,
        ports: ApiPorts,
        options: ApiOptions | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
    ) -> None:
        self.ports = ports
        self.options = options or ApiOptions()
        self.host = host
        self.port = port

    async def run(self) -> None:
        """Serve until cancelled, then shut down gracefully (see :func:`serve`)."""
        await serve(create_app(self.ports, self.options), self.host, self.port)


def build(
    ports: ApiPorts,
    options: ApiOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> ApiService:
    """The API service on ``ports``; the caller maps its settings (tokens from
    ``TRACKTION_API_TOKENS``, host, port) into ``options``."""
    return ApiService(ports, options, host=host, port=port)
