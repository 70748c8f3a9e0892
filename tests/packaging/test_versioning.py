"""One version for every distribution, kept in step with the CHANGELOG by a script."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from scripts.bump_version import PROJECTS, bump, release_changelog

ROOT = Path(__file__).resolve().parents[2]


def _version() -> str:
    with (ROOT / PROJECTS[0]).open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def test_the_changelog_has_a_section_for_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## Unreleased" in text
    assert f"## {_version()} (" in text


@pytest.mark.parametrize("project", PROJECTS)
def test_bump_sets_the_version_and_every_sibling_pin(project: str) -> None:
    bumped = tomllib.loads(bump((ROOT / project).read_text(encoding="utf-8"), "9.8.7"))["project"]
    assert bumped["version"] == "9.8.7"
    requirements = list(bumped.get("dependencies", []))
    for extra in bumped.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    siblings = [r for r in requirements if r.startswith("tracktion-")]
    assert all(r.endswith("==9.8.7") for r in siblings), siblings
    others = [r for r in requirements if not r.startswith("tracktion-")]
    original = tomllib.loads((ROOT / project).read_text(encoding="utf-8"))["project"]
    assert others == [
        r for r in original.get("dependencies", []) if not r.startswith("tracktion-")
    ] + [
        r
        for extra in original.get("optional-dependencies", {}).values()
        for r in extra
        if not r.startswith("tracktion-")
    ]


def test_release_moves_unreleased_notes_under_the_new_version() -> None:
    text = "# Changelog\n\n## Unreleased\n\n### Fixed\n- a bug\n\n## 0.1.0 (2026-01-01)\n"
    released = release_changelog(text, "0.2.0", datetime.date(2026, 12, 1))
    assert released.index("## Unreleased") < released.index("## 0.2.0 (2026-12-01)")
    assert released.index("## 0.2.0 (2026-12-01)") < released.index("- a bug")


def test_release_needs_an_unreleased_section() -> None:
    with pytest.raises(ValueError, match="Unreleased"):
        release_changelog("# Changelog\n", "0.2.0", datetime.date(2026, 12, 1))


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=root, capture_output=True, text=True, check=False
    )


def test_a_bump_leaves_no_stale_versioned_document(tmp_path: Path) -> None:
    """On a copy of the repository: the installed metadata still holds the old version
    (it follows only at ``uv sync``), yet the bump regenerates the documents with the new
    one and the generators' staleness checks pass right after it."""
    new = "9.8.7"
    assert importlib.metadata.version("tracktion-services") != new
    for project in PROJECTS:
        (tmp_path / project).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / project, tmp_path / project)
    shutil.copy2(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    ignore = shutil.ignore_patterns("__pycache__")
    for directory in ("scripts", "docs"):
        shutil.copytree(ROOT / directory, tmp_path / directory, ignore=ignore)

    bumped = _run(tmp_path, "scripts.bump_version", new)
    assert bumped.returncode == 0, bumped.stderr

    reference = tmp_path / "docs" / "reference"
    openapi = json.loads((reference / "openapi.json").read_text(encoding="utf-8"))
    assert openapi["info"]["version"] == new
    assert f"Tracktion API {new}, " in (reference / "openapi.md").read_text(encoding="utf-8")
    asyncapi = json.loads((reference / "asyncapi.json").read_text(encoding="utf-8"))
    assert asyncapi["info"]["version"] == new
    asyncapi_yaml = yaml.safe_load((reference / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert asyncapi_yaml["info"]["version"] == new
    for generator in ("scripts.generate_reference_docs", "scripts.generate_contract_docs"):
        checked = _run(tmp_path, generator, "--check")
        assert checked.returncode == 0, f"{generator}: {checked.stderr}"
