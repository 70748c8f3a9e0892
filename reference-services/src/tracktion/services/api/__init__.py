"""The HTTP API and the ``/v1/ws`` WebSocket of the reference services.

::

    app = create_app(ports, ApiOptions(tokens=("secret",)))
    await serve(app, "127.0.0.1", 8000)       # until cancelled

``ports`` is anything with ``bus``, ``catalog``, ``cache`` and ``graph``
(``tracktion.services.runtime.Ports``).
"""

from .app import connection_manager, create_app
from .auth import generate_token
from .options import ApiOptions, ApiPorts
from .server import serve
from .service import ApiService, build
from .websocket import ConnectionManager

__all__ = [
    "ApiOptions",
    "ApiPorts",
    "ApiService",
    "ConnectionManager",
    "build",
    "connection_manager",
    "create_app",
    "generate_token",
    "serve",
]
