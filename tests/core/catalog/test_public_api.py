"""The public API of tracktion.core.catalog: complete ``__all__``, one store method per
repository method, and the graph tables other modules build on."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import UniqueConstraint

from tracktion.core import catalog
from tracktion.core.catalog import CatalogStore, CatalogTransaction, FileObservation, schema
from tracktion.core.catalog.errors import CatalogConflictError
from tracktion.core.errors import BackendError

SHA = "A" * 64
XXH = "B" * 32


def test_all_lists_every_public_name() -> None:
    public = {
        name
        for name, value in vars(catalog).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(catalog.__all__)


def test_the_store_offers_every_repository_method() -> None:
    repository = {
        name
        for name, _ in inspect.getmembers(CatalogTransaction, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    store = {
        name
        for name in repository
        if inspect.iscoroutinefunction(getattr(CatalogStore, name, None))
    }
    assert store == repository
    assert inspect.signature(CatalogStore.upsert_file).parameters.keys() == {
        "self",
        "observation",
        "move_from",
    }
    assert "the stored state of its path" in (CatalogStore.upsert_file.__doc__ or "")


def test_conflicts_are_backend_errors() -> None:
    assert issubclass(CatalogConflictError, BackendError)


def test_graph_tables_are_exported_as_specified() -> None:
    columns = {
        name: [column.name for column in getattr(schema, name).columns]
        for name in (
            "graph_recordings",
            "graph_artists",
            "graph_recording_artists",
            "graph_transitions",
        )
    }
    assert columns == {
        "graph_recordings": ["recording_id", "title", "bpm", "camelot", "updated_at"],
        "graph_artists": ["id", "name", "name_key"],
        "graph_recording_artists": ["recording_id", "artist_id", "position"],
        "graph_transitions": ["tracklist_id", "position", "from_recording", "to_recording"],
    }
    assert [c.name for c in schema.graph_transitions.primary_key] == ["tracklist_id", "position"]
    indexed = {
        (table.name, tuple(column.name for column in index.columns))
        for table in (schema.graph_recordings, schema.graph_transitions)
        for index in table.indexes
    }
    assert indexed == {
        ("graph_recordings", ("bpm",)),
        ("graph_recordings", ("camelot",)),
        ("graph_transitions", ("from_recording",)),
    }
    (cascade,) = [
        fk
        for fk in schema.graph_recording_artists.foreign_keys
        if fk.column.table.name == "graph_recordings"
    ]
    assert cascade.ondelete == "CASCADE"
    unique = [
        [column.name for column in constraint.columns]
        for constraint in schema.graph_artists.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    assert unique == [["name_key"]]


def test_observations_are_normalized_and_checked() -> None:
    local = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    observation = FileObservation("/m/a.flac", "/m", 1, 2, SHA, XXH, local)

    assert (observation.sha256, observation.xxh128) == (SHA.lower(), XXH.lower())
    assert observation.seen_at == local
    assert observation.seen_at.tzinfo is UTC
    for bad in (
        {"path": " "},
        {"path": "a\x00b"},
        {"size_bytes": -1},
        {"sha256": "xyz"},
        {"xxh128": SHA},
        {"seen_at": datetime(2024, 1, 1)},  # naive
    ):
        arguments = {
            "path": "/m/a.flac",
            "root": "/m",
            "size_bytes": 1,
            "mtime_ns": 2,
            "sha256": SHA,
            "xxh128": XXH,
            "seen_at": local,
        } | bad
        with pytest.raises(catalog.CatalogInputError):
            FileObservation(**arguments)  # type: ignore[arg-type]
