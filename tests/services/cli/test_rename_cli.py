"""``tracktion rename propose|apply|undo|patterns`` on tiny tagged FLAC files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import mutagen.flac
import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from tests.core.files.helpers import migrated_catalog
from tracktion.services.cli import app

__all__ = ["migrated_catalog"]

runner = CliRunner()
vorbis: Any = mutagen.flac  # unannotated constructors, for mypy's strict mode


def flac(path: Path, seed: int, **tags: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = np.random.default_rng(seed).uniform(-0.1, 0.1, 800).astype(np.float32)
    soundfile.write(path, noise, 8000, format="FLAC")
    audio = vorbis.FLAC(path)
    for key, value in tags.items():
        audio[key] = value
    audio.save()


def tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    } | {str(path.relative_to(root)) + "/": "" for path in root.rglob("*") if path.is_dir()}


@pytest.fixture
def database(tmp_path: Path, migrated_catalog: Path) -> str:
    shutil.copy(migrated_catalog, tmp_path / "catalog.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    flac(
        root / "in" / "t1.flac",
        1,
        artist="Daft Punk",
        title="Da Funk (Original Mix)",
        genre="House",
    )
    flac(root / "in" / "t2.flac", 2, artist="Moby", title="Porcelain", bpm="96", genre="Ambient")
    flac(root / "in" / "01 - Untagged Artist - Some Title.flac", 3)
    (root / "in" / "t1.cue").write_text("FILE t1.flac")
    flac(root / "in" / "dup.flac", 4, artist="Moby", title="Porcelain", genre="Ambient")
    return root


def options(database: str) -> list[str]:
    # No analysis cache: the test must not read (or create) the user's.
    return ["--database", database, "--cache", database.rsplit("/", 1)[0] + "/no-cache.sqlite3"]


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_propose_prints_one_json_line_per_file(library: Path, database: str) -> None:
    before = tree(library)
    result = runner.invoke(app, ["rename", "propose", str(library), "--json", *options(database)])
    assert result.exit_code == 0, result.output
    proposals = {os.path.basename(str(p["old_path"])): p for p in lines(result.stdout)}
    assert set(proposals) == {
        "t1.flac",
        "t2.flac",
        "01 - Untagged Artist - Some Title.flac",
        "dup.flac",
    }
    assert proposals["t1.flac"]["new_path"] == str(
        library / "in" / "Daft Punk - Da Funk (Original Mix).flac"
    )
    assert proposals["t1.flac"]["confidence"] == 1.0
    assert proposals["t1.flac"]["conflict"] is None
    untagged = proposals["01 - Untagged Artist - Some Title.flac"]
    assert untagged["new_path"] == str(library / "in" / "Untagged Artist - Some Title.flac")
    assert "parsed from name: artist" in untagged["reasons"]  # type: ignore[operator]
    assert "also proposed" in str(proposals["t2.flac"]["conflict"])
    assert set(proposals["t1.flac"]) >= {
        "old_path",
        "new_path",
        "confidence",
        "reasons",
        "conflict",
    }
    assert tree(library) == before  # proposing moves nothing


def test_apply_then_undo_restores_the_tree(library: Path, database: str) -> None:
    before = tree(library)
    arguments = ["rename", "apply", str(library), "--preset", "genre-folder", "--json"]
    result = runner.invoke(app, [*arguments, *options(database)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["renamed"] == 2  # t1 and the untagged one; the two Moby files collide
    assert summary["skipped"] == 2
    assert (library / "House" / "Daft Punk - Da Funk (Original Mix).flac").exists()
    assert (
        library / "House" / "Daft Punk - Da Funk (Original Mix).cue"
    ).read_text() == "FILE t1.flac"
    assert (library / "in" / "t2.flac").exists()
    undo = runner.invoke(app, ["rename", "undo", str(summary["batch_id"]), "--database", database])
    assert undo.exit_code == 0, undo.output
    assert json.loads(undo.stdout)["restored"] == 3
    assert tree(library) == before


def test_patterns(tmp_path: Path) -> None:
    root = tmp_path / "m"
    for name in ("08A - 128 - A - X.flac", "09A - 126 - B - Y.flac", "odd.flac"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    result = runner.invoke(app, ["rename", "patterns", str(root), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dominant"] == "{key} - {bpm} - {artist} - {title}"
    assert report["outliers"] == [str(root / "odd.flac")]
    text = runner.invoke(app, ["rename", "patterns", str(root)])
    assert "suggested template: {key} - {bpm} - {artist} - {title}" in text.stdout


def test_usage_errors(library: Path, database: str) -> None:
    bad = runner.invoke(app, ["rename", "propose", str(library), "--template", "{artist - {title}"])
    assert bad.exit_code == 2
    assert "column" in bad.stderr
    both = runner.invoke(
        app, ["rename", "propose", str(library), "-t", "{title}", "-p", "genre-folder"]
    )
    assert both.exit_code == 2
    unknown = runner.invoke(app, ["rename", "undo", "not-a-uuid", "--database", database])
    assert unknown.exit_code == 2
    missing = runner.invoke(
        app, ["rename", "undo", "00000000-0000-0000-0000-000000000001", "--database", database]
    )
    assert missing.exit_code == 1
    assert "no rename batch" in missing.stderr
