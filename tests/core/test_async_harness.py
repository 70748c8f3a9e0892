"""The async test harness runs coroutines on asyncio."""

from __future__ import annotations

import asyncio

import pytest


@pytest.mark.anyio
async def test_async_tests_run_on_asyncio() -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_soon(done.set_result, 42)
    assert await done == 42
