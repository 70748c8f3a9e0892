"""The documentation site builds with ``mkdocs build --strict``: no warning, every page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# One worker builds the site once for every test of this module.
pytestmark = pytest.mark.xdist_group("docs-site")


def _nav_pages(items: list[object]) -> list[str]:
    pages: list[str] = []
    for item in items:
        if isinstance(item, str):
            pages.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def _config() -> dict[str, object]:
    # mkdocs.yml names a Python function for the mermaid fence: load it as plain data.
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda *_: None)
    data: dict[str, object] = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)
    return data


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert done.returncode == 0, done.stderr[-5000:]
    assert warnings == []
    return out


def test_every_page_of_the_nav_exists_and_is_built(site: Path) -> None:
    nav = _config()["nav"]
    assert isinstance(nav, list)
    pages = _nav_pages(nav)
    assert len(pages) > 20
    for page in pages:
        assert (ROOT / "docs" / page).is_file(), page
        built = page.removesuffix(".md").removesuffix("index").rstrip("/")
        assert (site / built / "index.html").is_file(), page


def test_every_markdown_page_is_in_the_nav() -> None:
    nav = _config()["nav"]
    assert isinstance(nav, list)
    listed = set(_nav_pages(nav))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages - listed == set()


def test_reference_pages_hold_the_api(site: Path) -> None:
    bus = (site / "reference" / "core" / "bus" / "index.html").read_text(encoding="utf-8")
    assert 'id="tracktion.core.bus.open_bus"' in bus
    assert 'id="tracktion.core.bus.rabbitmq.RabbitMQBus"' in bus
    audio = (site / "reference" / "audio" / "index.html").read_text(encoding="utf-8")
    assert 'id="tracktion.audio.batch.analyze_many"' in audio
    services = (site / "reference" / "services" / "index.html").read_text(encoding="utf-8")
    assert 'id="tracktion.services.settings.Settings"' in services


def test_diagrams_and_doctests_render_as_such(site: Path) -> None:
    flow = (site / "concepts" / "message-flow" / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid">' in flow
    notify = (site / "reference" / "core" / "notify" / "index.html").read_text(encoding="utf-8")
    assert '<span class="gp">&gt;&gt;&gt; </span>' in notify


def test_generated_documents_are_published(site: Path) -> None:
    for name in ("openapi.json", "asyncapi.yaml", "asyncapi.json", "schemas/cue_generation.json"):
        assert (site / "reference" / name).is_file(), name
