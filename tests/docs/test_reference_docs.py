"""The generated pages (configuration, OpenAPI, command line) are up to date and complete,
and every public module is documented on a reference page."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.main import get_command

from tests.public_api import public_modules
from tracktion.services.cli import app
from tracktion.services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_reference_docs.py"
REGENERATE = "run `python scripts/generate_reference_docs.py` and commit the result"

# Modules whose names are documented elsewhere than in a `:::` block: the command and
# route modules (docs/reference/cli.md, openapi.json), the catalog's migrations and tables.
UNDOCUMENTED = (
    "tracktion.services.cli",
    "tracktion.services.api.",
    "tracktion.core.catalog.migrations",
    "tracktion.core.catalog.schema",
)


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_reference_docs", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def expected(generator: ModuleType) -> dict[Path, bytes]:
    files: dict[Path, bytes] = generator.expected_files()
    return files


def test_committed_pages_are_up_to_date(generator: ModuleType, expected: dict[Path, bytes]) -> None:
    stale = generator.stale_files(ROOT, expected)
    listing = ", ".join(path.as_posix() for path in stale)
    assert stale == [], f"generated docs are out of date ({listing}): {REGENERATE}"


def test_generator_writes_and_reports(
    generator: ModuleType, expected: dict[Path, bytes], tmp_path: Path
) -> None:
    assert set(generator.stale_files(tmp_path, expected)) == set(expected)
    assert set(generator.write(tmp_path, expected)) == set(expected)
    assert generator.stale_files(tmp_path, expected) == []
    (tmp_path / generator.CLI).write_text("edited by hand")
    assert generator.stale_files(tmp_path, expected) == [generator.CLI]


def test_check_mode_exits_zero_when_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.generate_reference_docs", "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=SCRIPT.parents[1],
    )
    assert done.returncode == 0, done.stderr


def test_configuration_page_documents_every_setting(
    generator: ModuleType, expected: dict[Path, bytes]
) -> None:
    page = expected[generator.CONFIGURATION].decode()
    headings = re.findall(r"^## `(TRACKTION_[A-Z_]+)`$", page, flags=re.MULTILINE)
    assert headings == [f"TRACKTION_{name.upper()}" for name in Settings.model_fields]
    assert "- default: `memory://`" in page
    assert "- range: 0 to 65535" in page


def test_every_setting_has_an_attribute_docstring(generator: ModuleType) -> None:
    docs = generator.attribute_docstrings(Settings)
    assert docs["broker_url"].startswith("``memory://``")
    assert set(docs) == set(Settings.model_fields)


def test_cli_page_documents_every_command_and_option(
    generator: ModuleType, expected: dict[Path, bytes]
) -> None:
    page = expected[generator.CLI].decode()

    def walk(command: object, path: str) -> None:
        assert f"## `{path}`" in page, path
        for param in getattr(command, "params", []):
            if param.param_type_name == "option" and not param.hidden:
                assert f"`{param.opts[0]}`" in page, f"{path} {param.opts[0]}"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(get_command(app), "tracktion")


def test_openapi_document_is_the_apps(generator: ModuleType, expected: dict[Path, bytes]) -> None:
    document = json.loads(expected[generator.OPENAPI_JSON])
    assert document["info"]["title"] == "Tracktion API"
    assert "/v1/recordings" in document["paths"]
    assert document["components"]["securitySchemes"]
    summary = expected[generator.OPENAPI_MD].decode()
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"`{method.upper()} {path}`" in summary, (method, path)


def _documented() -> set[str]:
    return {
        match
        for page in (ROOT / "docs").rglob("*.md")
        for match in re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.MULTILINE)
    }


MODULES = [
    name
    for package in ("contracts", "core", "audio", "services")
    for name in public_modules(f"tracktion.{package}")
    if not name.startswith(UNDOCUMENTED)
]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_module_is_on_a_reference_page(name: str) -> None:
    documented = _documented()
    if name in documented:
        return
    module = importlib.import_module(name)
    exported = set(getattr(module, "__all__", ()))
    parents = [p for p in documented if name.startswith(p + ".")]
    covering = [
        p for p in parents if exported <= set(getattr(importlib.import_module(p), "__all__", ()))
    ]
    assert covering, f"{name} is on no reference page: add `::: {name}` under docs/reference/"
