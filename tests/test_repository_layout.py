"""Invariants of the workspace layout that packaging and CI rely on."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

# Distribution directory -> its subpackage of the `tracktion` namespace.
DISTRIBUTIONS = {
    "packages/tracktion-contracts": "contracts",
    "packages/tracktion-core": "core",
    "packages/tracktion-audio": "audio",
    "reference-services": "services",
}

# Tool-managed trees that are not part of the repository's own sources.
NOT_SOURCES = {".venv", ".tools", ".git"}


def _project(directory: str) -> dict[str, Any]:
    with (ROOT / directory / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
    return project


def test_tracktion_is_a_namespace_package() -> None:
    # An __init__.py in any one distribution would shadow the others' subpackages (PEP 420).
    namespace_dirs = [
        path
        for path in ROOT.glob("**/src/tracktion")
        if path.relative_to(ROOT).parts[0] not in NOT_SOURCES
    ]
    assert {p.parent.parent.relative_to(ROOT).as_posix() for p in namespace_dirs} >= set(
        DISTRIBUTIONS
    )
    offenders = [path / "__init__.py" for path in namespace_dirs if (path / "__init__.py").exists()]
    assert offenders == []


@pytest.mark.parametrize(("directory", "subpackage"), DISTRIBUTIONS.items())
def test_distribution_has_pyproject_and_py_typed(directory: str, subpackage: str) -> None:
    assert (ROOT / directory / "pyproject.toml").is_file()
    assert (ROOT / directory / "src" / "tracktion" / subpackage / "py.typed").is_file()


def test_versions_agree_and_siblings_are_pinned_exactly() -> None:
    projects = [_project(directory) for directory in DISTRIBUTIONS]
    versions = {project["name"]: project["version"] for project in projects}
    assert len(set(versions.values())) == 1, versions
    version = projects[0]["version"]

    loose = []
    for project in projects:
        requirements = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            requirements.extend(extra)
        for requirement in map(Requirement, requirements):
            if not canonicalize_name(requirement.name).startswith("tracktion-"):
                continue
            pins = [(spec.operator, spec.version) for spec in requirement.specifier]
            if pins != [("==", version)]:
                loose.append(f"{project['name']}: {requirement}")
    assert loose == [], f"sibling dependencies must be pinned to =={version}"


def test_ci_entry_point_only_runs_make_test() -> None:
    run = ROOT / ".ci" / "run"
    commands = [
        shlex.split(line)
        for line in run.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # Shell options and moving to the repository root are setup, not extra commands.
    work = [words for words in commands if words[0] not in {"set", "cd"}]
    assert work in ([["make", "test"]], [["exec", "make", "test"]])
