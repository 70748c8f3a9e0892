"""The demo library of ``make run``: tracktion finds the tempo and key its file names state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from examples.demo_library import write_library
from tracktion.audio import analyze_file


def test_demo_library_is_analyzed_as_named(tmp_path: Path) -> None:
    paths = write_library(tmp_path)
    assert len(paths) == 3
    for path in paths:
        match = re.search(r"(\d+) BPM - ([A-G]#? (?:major|minor))", path.name)
        assert match is not None, path.name
        result = analyze_file(path).to_dict()
        assert result["bpm"] == pytest.approx(float(match[1]), abs=0.05), path.name
        assert result["key"] == match[2], path.name


def test_existing_files_are_kept(tmp_path: Path) -> None:
    (first, *_) = write_library(tmp_path)
    first.write_bytes(b"mine")
    write_library(tmp_path)
    assert first.read_bytes() == b"mine"
