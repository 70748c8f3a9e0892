"""``serve``: stopped by a task group's cancellation, the app still shuts down in order."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from fastapi import FastAPI

from tracktion.services.api.server import serve


@pytest.mark.anyio
async def test_cancelled_task_group_lets_the_app_shut_down_before_serve_returns() -> None:
    # ``tracktion up`` runs the API beside the services in one task group and cancels it
    # on Ctrl-C. The group keeps cancelling its tasks until they return; the app's
    # shutdown (which stops the bus relay) must still run, and before the ports close.
    events: list[str] = []
    started = anyio.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        try:
            yield
        finally:
            await anyio.sleep(0.2)  # a shutdown that awaits, as closing a consumer does
            events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    async def run() -> None:
        await serve(app, "127.0.0.1", 0, on_started=lambda *_: started.set(), log_level="error")

    begun = time.monotonic()
    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await started.wait()
        group.cancel_scope.cancel()
    events.append("returned")
    assert events == ["startup", "shutdown", "returned"]
    assert time.monotonic() - begun < 5.0
