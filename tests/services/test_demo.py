"""The demo library of ``tracktion up``: tracktion finds the tempo and key each loop has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracktion.audio import analyze_file
from tracktion.services.demo import LOOPS, write_demo_library


def test_demo_library_is_analyzed_as_made(tmp_path: Path) -> None:
    paths = write_demo_library(tmp_path, seconds=12.0)
    assert [p.name for p in paths] == [loop.file_name for loop in LOOPS]
    for path, loop in zip(paths, LOOPS, strict=True):
        result = analyze_file(path).to_dict()
        assert result["bpm"] == pytest.approx(loop.bpm, abs=0.05), path.name
        assert result["key"] == loop.key, path.name
        assert result["tags"]["artist"] == loop.artist
        assert result["tags"]["title"] == loop.title
    assert not list(tmp_path.glob(".*.part"))


def test_existing_files_are_kept(tmp_path: Path) -> None:
    (first, *_) = write_demo_library(tmp_path, seconds=2.0)
    first.write_bytes(b"mine")
    write_demo_library(tmp_path, seconds=2.0)
    assert first.read_bytes() == b"mine"


def test_the_example_script_writes_the_library(tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "examples" / "demo_library.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert len(done.stdout.splitlines()) == len(LOOPS)
