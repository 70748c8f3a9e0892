"""``tracktion tracklist import`` and ``tracktion cue generate``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from tests.core.tracklists.test_fetch import PAGES, Site
from tests.local_http import serving
from tracktion.core.cue import validate_cue
from tracktion.services.cli import app

runner = CliRunner()

SET = """\
# title: Warm-up
01. [00:00] Daft Punk - One More Time (Extended Mix) [Virgin]
02. [00:04] ID - ID
w/ Artist B - Vocal (Acapella)
Tracklist ends here
03. [00:08] Moby - Porcelain
"""


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site(PAGES)
    with serving(served.server):
        yield served


@pytest.fixture
def set_file(tmp_path: Path) -> Path:
    path = tmp_path / "set.txt"
    path.write_text(SET)
    return path


def test_import_prints_the_tracklist_as_json_and_warns_on_stderr(set_file: Path) -> None:
    result = runner.invoke(app, ["tracklist", "import", str(set_file), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["title"] == "Warm-up"
    assert [e["artist"] for e in document["entries"]] == ["Daft Punk", "ID", "Artist B", "Moby"]
    assert document["entries"][2]["played_with_previous"] is True
    assert document["warnings"] == [
        f"{set_file}:5: skipped 'Tracklist ends here': no 'Artist - Title'"
    ]
    assert f"warning: {set_file}:5:" in result.stderr


def test_import_prints_a_table(set_file: Path) -> None:
    result = runner.invoke(app, ["tracklist", "import", str(set_file)])
    assert result.exit_code == 0, result.output
    assert "One More Time (Extended Mix)" in result.stdout
    assert " w/ " in result.stdout


def test_import_of_bad_files(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["tracklist", "import", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\x01\x02\xff" * 64)
    bad = runner.invoke(app, ["tracklist", "import", str(junk)])
    assert bad.exit_code == 1
    assert bad.stderr.startswith(f"error: {junk}: binary data")
    assert "Traceback" not in bad.output


def test_import_of_urls_through_the_page_cache(site: Site, tmp_path: Path) -> None:
    options = ["--cache-dir", str(tmp_path / "pages"), "--min-interval", "0", "--json"]
    url = site.url + "/tracklist/good.html"
    good = runner.invoke(app, ["tracklist", "import", url, *options])
    assert good.exit_code == 0, good.output
    assert len(json.loads(good.stdout)["entries"]) == 5
    redesign = site.url + "/tracklist/redesign.html"
    changed = runner.invoke(app, ["tracklist", "import", redesign, *options])
    assert changed.exit_code == 1
    assert changed.stderr.startswith(f"error: {redesign}: no tracklist found")


def test_generate_writes_a_valid_sheet_from_imported_json(set_file: Path, tmp_path: Path) -> None:
    imported = runner.invoke(app, ["tracklist", "import", str(set_file), "--json"])
    tracklist = tmp_path / "set.json"
    tracklist.write_text(imported.stdout)
    out = tmp_path / "out" / "set.cue"
    out.parent.mkdir()
    args = ["cue", "generate", str(tracklist), "--format", "traktor", "-o", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["path"] == str(out)
    assert summary["validation_report"]["is_valid"] is True
    data = out.read_bytes()
    assert summary["file_size"] == len(data)
    assert validate_cue(data, profile="traktor").is_valid
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_generate_defaults_its_output_beside_the_tracklist(set_file: Path) -> None:
    result = runner.invoke(app, ["cue", "generate", str(set_file), "--format", "standard"])
    assert result.exit_code == 0, result.output
    assert validate_cue((set_file.parent / "set.standard.cue").read_bytes()).is_valid


def test_generate_checks_against_the_audio_and_writes_nothing_invalid(
    set_file: Path, tmp_path: Path
) -> None:
    mix = tmp_path / "mix.wav"
    soundfile.write(mix, np.zeros(8000 * 6, dtype=np.float32), 8000)  # 6 s: Moby at 8 s is past it
    out = tmp_path / "mix.cue"
    args = ["cue", "generate", str(set_file), "-f", "standard", "--audio", str(mix), "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "not written" in result.stderr
    assert not out.exists()
    set_file.write_text("[00:00] A - B\n[00:03] C - D\n")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert b'FILE "mix.wav" WAVE' in out.read_bytes()


@pytest.mark.parametrize(
    ("text", "options", "code", "message"),
    [
        ("[01:00] A - B\n[00:30] C - D\n", ["-f", "standard"], 1, "not after the previous"),
        ("[00:00] A - B\nC - D\n", ["-f", "standard"], 1, "track 2 (C - D) has no start time"),
        ("[00:00] A - B\n", ["-f", "vinyl"], 2, "unknown CUE profile 'vinyl'"),
        ("", ["-f", "standard"], 1, "empty input"),
    ],
)
def test_generate_refuses_what_cannot_be_a_sheet(
    tmp_path: Path, text: str, options: list[str], code: int, message: str
) -> None:
    source = tmp_path / "bad.txt"
    source.write_text(text)
    result = runner.invoke(app, ["cue", "generate", str(source), *options])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert not list(tmp_path.glob("*.cue"))
