"""Serving the app with uvicorn inside an existing event loop, stopped by cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

import anyio
import uvicorn
from fastapi import FastAPI

__all__ = ["DEFAULT_WS_MAX_SIZE", "serve"]

DEFAULT_WS_MAX_SIZE = 1 << 20
"""Frames above this many bytes are refused by the server itself (close code 1009);
smaller ones over ``ApiOptions.ws_max_message_bytes`` get the protocol's error message."""

_SHUTDOWN_GRACE_S = 5.0


class _Server(uvicorn.Server):
    # Signals belong to the caller (``tracktion up`` cancels this task on Ctrl-C).
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(
    app: FastAPI,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    on_started: Callable[[str, int], None] | None = None,
    ws_max_size: int = DEFAULT_WS_MAX_SIZE,
    log_level: str = "info",
    access_log: bool = False,
) -> None:
    """Serve ``app`` on ``host``:``port`` until cancelled, then shut down gracefully.

    ``port`` 0 picks a free port; ``on_started(host, port)`` is called with the bound
    address once the server accepts connections. On cancellation the server stops
    accepting, closes WebSockets, lets requests in progress finish (up to 5 s), runs the
    app's shutdown, and the cancellation propagates.

    Raises ``OSError`` (wrapped by uvicorn in ``SystemExit``, re-raised here as
    ``OSError``) when the address cannot be bound.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ws="websockets-sansio",
        ws_max_size=ws_max_size,
        lifespan="on",
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=int(_SHUTDOWN_GRACE_S),
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn {host}:{port}")
    try:
        while not server.started:
            if task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            try:
                task.result()
            except SystemExit as exc:  # uvicorn exits when it cannot bind or start
                raise OSError(f"the API could not start on {host}:{port}") from exc
            raise OSError(f"the API server on {host}:{port} stopped while starting")
        if on_started is not None:
            bound = server.servers[0].sockets[0].getsockname()
            on_started(str(bound[0]), int(bound[1]))
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # Shielded: a task group that cancelled us keeps cancelling us, and an unshielded
        # wait would pass that on to uvicorn, which would then never run the app's
        # shutdown (the bus relay would be left consuming while the ports close).
        server.should_exit = True
        with anyio.CancelScope(shield=True), anyio.move_on_after(_SHUTDOWN_GRACE_S * 2):
            await asyncio.wait({task})
        if not task.done():
            server.force_exit = True
            task.cancel()
        raise
