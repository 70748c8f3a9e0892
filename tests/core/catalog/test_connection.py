"""Opening catalogs: URLs, the embedded default, unreachable servers, a missing driver,
and the reconnection policy."""

from __future__ import annotations

import importlib
import socket
import time
from pathlib import Path
from types import ModuleType

import platformdirs
import pytest

from tracktion.core.catalog import (
    ReconnectPolicy,
    current_revision,
    default_database_url,
    head_revision,
    open_catalog,
    upgrade,
)
from tracktion.core.catalog._resilience import retrying
from tracktion.core.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    MissingExtraError,
)

pytestmark = pytest.mark.anyio

ONE_TRY = ReconnectPolicy(budget_s=0.3, initial_delay_s=0.05, max_delay_s=0.1)


@pytest.fixture
def closed_port() -> int:
    # A port the kernel just handed out and took back: nothing listens on it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data" / "tracktion"
    seen: list[tuple[object, ...]] = []

    def user_data_dir(*args: object, **kwargs: object) -> str:
        seen.append(args)
        return str(directory)

    monkeypatch.setattr(platformdirs, "user_data_dir", user_data_dir)
    return directory


def test_the_default_file_can_live_in_another_directory(tmp_path: Path) -> None:
    directory = tmp_path / "deployment" / "data"
    assert default_database_url(directory) == f"sqlite+aiosqlite:///{directory / 'catalog.db'}"
    assert directory.is_dir()


async def test_the_default_is_a_file_in_the_user_data_directory(data_dir: Path) -> None:
    url = default_database_url()

    assert url == f"sqlite+aiosqlite:///{data_dir / 'catalog.db'}"
    assert data_dir.is_dir()
    async with await open_catalog() as catalog:  # created and migrated on first use
        assert catalog.dialect == "sqlite"
        assert await catalog.check_schema() == head_revision()
    assert (data_dir / "catalog.db").is_file()
    assert await current_revision() == head_revision()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "not a database URL"),
        ("mysql://db/catalog", "unsupported catalog database"),
        ("sqlite+aiosqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("postgresql+psycopg://db/catalog", "unsupported catalog database"),
    ],
)
async def test_unsupported_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await open_catalog(url)


async def test_a_password_never_appears_in_errors() -> None:
    with pytest.raises(ConfigurationError) as caught:
        await open_catalog("mysql://user:hunter2@db/catalog")
    assert "hunter2" not in str(caught.value)
    assert "***" in str(caught.value)


async def test_an_unreachable_server_fails_fast_within_the_budget(closed_port: int) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port}/catalog"
    started = time.monotonic()

    with pytest.raises(BackendUnavailableError, match=r"unreachable after \d+ attempts") as caught:
        await open_catalog(url, reconnect=ONE_TRY)

    assert time.monotonic() - started < 3
    assert isinstance(caught.value, ConnectionError)  # BackendUnavailableError is one
    with pytest.raises(BackendUnavailableError):
        await upgrade(url, reconnect=ReconnectPolicy(budget_s=0))


async def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def without_asyncpg(name: str, package: str | None = None) -> ModuleType:
        if name.split(".", maxsplit=1)[0] == "asyncpg":
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, package)

    monkeypatch.setattr("tracktion.core._extras.importlib.import_module", without_asyncpg)

    with pytest.raises(MissingExtraError, match=r"tracktion-core\[postgres\]") as caught:
        await open_catalog("postgresql://postgres@127.0.0.1/catalog")
    assert caught.value.extra == "postgres"


def test_a_reconnect_policy_must_make_sense() -> None:
    with pytest.raises(ConfigurationError):
        ReconnectPolicy(budget_s=-1)
    with pytest.raises(ConfigurationError):
        ReconnectPolicy(initial_delay_s=2, max_delay_s=1)
    policy = ReconnectPolicy(initial_delay_s=0.1, max_delay_s=0.5, multiplier=2, jitter=0)
    assert [policy.delay_s(retry) for retry in range(4)] == [0.1, 0.2, 0.4, 0.5]


async def test_transient_failures_are_retried_and_others_are_not() -> None:
    calls: list[int] = []
    policy = ReconnectPolicy(budget_s=5, initial_delay_s=0.01, max_delay_s=0.02)

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise BackendUnavailableError("refused") from ConnectionRefusedError()
        return "ok"

    assert await retrying(policy, flaky, action="a test") == "ok"
    assert len(calls) == 3

    async def broken() -> str:
        calls.append(1)
        raise BackendError("syntax error") from ValueError()

    calls.clear()
    with pytest.raises(BackendError, match="syntax error"):
        await retrying(policy, broken, action="a test")
    assert len(calls) == 1
