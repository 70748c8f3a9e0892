"""Batch analysis and ``tracktion analyze`` on real files: results, cache, errors, tags."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from tracktion.audio.analyzer import ALGORITHM_VERSION, analyze_file
from tracktion.audio.batch import BatchOptions, analyze_many
from tracktion.services.cli import app

SR = 44100


def loop(bpm: float, seconds: float, *, seed: int = 1) -> np.ndarray:
    """A kick on every beat and a hat on every off-beat over an A minor pad (stereo)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    out = np.zeros_like(t)
    period = 60.0 / bpm
    for start in np.arange(0.0, seconds, period):
        n = int(start * SR)
        k = np.arange(min(int(0.15 * SR), len(t) - n)) / SR
        sweep = np.sin(2 * np.pi * (50 + 100 * np.exp(-k * 30)) * k)
        out[n : n + len(k)] += 0.8 * sweep * np.exp(-k * 18)
        h = int((start + period / 2) * SR)
        if h < len(t):
            burst = rng.standard_normal(min(int(0.03 * SR), len(t) - h)) * 0.15
            out[h : h + len(burst)] += burst * np.exp(-np.arange(len(burst)) / (0.008 * SR))
    for freq in (220.0, 261.63, 329.63):  # A minor triad
        out += 0.08 * np.sin(2 * np.pi * freq * t)
    return np.stack([out, out]).T.astype(np.float32) * 0.5


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library")
    sf.write(root / "house 124.wav", loop(124.0, 20.0), SR)
    (root / "nested").mkdir()
    sf.write(root / "nested" / "dnb 174.flac", loop(174.0, 20.0, seed=2), SR)
    (root / "broken.mp3").write_text("this is not audio")
    (root / "empty.wav").write_bytes(b"")
    (root / "notes.txt").write_text("not an audio extension: never picked from a folder")
    return root


def test_analyze_file_reports_every_feature(library: Path) -> None:
    result = analyze_file(library / "house 124.wav").to_dict()
    assert result["bpm"] == pytest.approx(124.0, abs=0.5)
    assert result["key"] in ("A minor", "C major")
    assert result["camelot"] in ("8A", "8B")
    assert result["duration_s"] == pytest.approx(20.0, abs=0.01)
    assert result["loudness_lufs"] < 0
    assert 1 <= result["energy"] <= 10
    assert result["algorithm_version"] == ALGORITHM_VERSION


def test_batch_reports_errors_without_stopping(library: Path, tmp_path: Path) -> None:
    paths = [library / "broken.mp3", library / "empty.wav", library / "house 124.wav"]
    options = BatchOptions(cache_path=str(tmp_path / "cache.sqlite3"))
    items = {Path(item.path).name: item for item in analyze_many(paths, options, workers=1)}
    assert items["broken.mp3"].error is not None
    assert items["broken.mp3"].error.code == "not_audio"
    assert items["empty.wav"].error is not None
    assert items["empty.wav"].error.code == "empty_file"
    assert items["house 124.wav"].result is not None


def test_cache_serves_a_copy_of_known_content(library: Path, tmp_path: Path) -> None:
    options = BatchOptions(cache_path=str(tmp_path / "cache.sqlite3"))
    (first,) = analyze_many([library / "house 124.wav"], options, workers=1)
    copy = tmp_path / "renamed copy.wav"
    copy.write_bytes((library / "house 124.wav").read_bytes())
    (second,) = analyze_many([copy], options, workers=1)
    assert not first.cached
    assert second.cached
    assert second.result is not None
    assert first.result is not None
    assert second.result["path"] == str(copy)
    assert second.result["bpm"] == first.result["bpm"]


def test_cli_json_lines_and_exit_status(library: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["analyze", "--json", "--workers", "2", "--no-cache", str(library)])
    assert result.exit_code == 1, result.output  # broken.mp3 and empty.wav
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {os.path.basename(line["path"]): line for line in lines}
    assert set(by_name) == {"house 124.wav", "dnb 174.flac", "broken.mp3", "empty.wav"}
    assert by_name["dnb 174.flac"]["bpm"] == pytest.approx(174.0, abs=1.0)
    for field in (
        "duration_s",
        "bpm",
        "bpm_confidence",
        "first_beat_s",
        "key",
        "camelot",
        "open_key",
        "key_confidence",
        "loudness_lufs",
        "loudness_range_lu",
        "true_peak_dbtp",
        "replaygain_db",
        "energy",
        "tags",
    ):
        assert field in by_name["house 124.wav"], field
    assert by_name["broken.mp3"]["error"]["code"] == "not_audio"
    assert set(by_name["broken.mp3"]) == {"path", "error"}


def test_cli_table_and_success(library: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", "--no-cache", str(library / "house 124.wav")])
    assert result.exit_code == 0, result.output
    assert "house 124.wav" in result.stdout
    assert "124.0" in result.stdout


def test_cli_write_tags_changes_only_tags(library: Path, tmp_path: Path) -> None:
    target = tmp_path / "tagged.flac"
    target.write_bytes((library / "nested" / "dnb 174.flac").read_bytes())
    before, _ = sf.read(target, dtype="float32")
    result = CliRunner().invoke(
        app,
        ["analyze", "--json", "--no-cache", "--write-tags", "--notation", "camelot", str(target)],
    )
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["tags_written"] is True
    after, _ = sf.read(target, dtype="float32")
    assert np.array_equal(before, after)
    from tracktion.audio.tags import read_tags

    tags = read_tags(target)
    assert tags.key == line["camelot"]
    assert tags.bpm is not None
    assert abs(float(tags.bpm) - line["bpm"]) < 1.0


def test_cli_rejects_a_range_that_cannot_hold_every_tempo() -> None:
    result = CliRunner().invoke(app, ["analyze", "--min-bpm", "100", "--max-bpm", "150", "x"])
    assert result.exit_code == 2
    assert "must span nearly an octave" in result.stderr


def test_a_clip_too_short_for_a_tempo_still_gets_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "sting.wav"
    sf.write(path, loop(128.0, 2.0), SR)
    result = analyze_file(path).to_dict()
    assert result["bpm"] is None
    assert result["duration_s"] == pytest.approx(2.0, abs=0.01)
    assert result["loudness_lufs"] is not None
