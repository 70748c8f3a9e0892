"""Settings: where the embedded catalog lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracktion.services.settings import Settings


def test_the_catalog_lives_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One TRACKTION_DATA_DIR holds everything the embedded defaults keep: the token, the
    # demo library and the catalog, so two deployments never share a catalog by accident.
    monkeypatch.delenv("TRACKTION_DATABASE_URL", raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("TRACKTION_DATA_DIR", str(data))
    assert Settings().catalog_url() == f"sqlite+aiosqlite:///{data / 'catalog.db'}"
    assert data.is_dir()


def test_an_explicit_database_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKTION_DATA_DIR", str(tmp_path))
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    monkeypatch.setenv("TRACKTION_DATABASE_URL", url)
    assert Settings().catalog_url() == url


def test_without_either_the_core_default_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKTION_DATA_DIR", raising=False)
    monkeypatch.delenv("TRACKTION_DATABASE_URL", raising=False)
    assert Settings().catalog_url() is None
