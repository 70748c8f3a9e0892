"""Shared by the file scanning, watching and cataloging tests: catalogs, files, waits."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tracktion.core.catalog import CatalogStore, open_catalog, upgrade

__all__ = ["catalog", "eventually", "migrated_catalog", "write"]


@pytest.fixture(scope="session")
def migrated_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite catalog to copy (migrating once per session)."""
    path = tmp_path_factory.mktemp("catalog-template") / "catalog.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
async def catalog(migrated_catalog: Path, tmp_path: Path) -> AsyncIterator[CatalogStore]:
    """A fresh SQLite catalog of this test."""
    path = tmp_path / "catalog.db"
    shutil.copy(migrated_catalog, path)
    store = await open_catalog(f"sqlite+aiosqlite:///{path}", migrate=False)
    try:
        yield store
    finally:
        await store.close()


def write(path: Path, data: bytes | None = None, *, size: int = 2048) -> bytes:
    """Write ``data`` (random bytes by default) to ``path``, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = os.urandom(size) if data is None else data
    path.write_bytes(content)
    return content


async def eventually(
    check: Callable[[], object], *, timeout: float = 10.0, interval: float = 0.02
) -> None:
    """Wait until ``check()`` (sync or async) is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {check}")
        await asyncio.sleep(interval)
