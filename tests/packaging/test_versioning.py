"""One version for every distribution, kept in step with the CHANGELOG by a script."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import pytest

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
