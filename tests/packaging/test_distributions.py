"""Each distribution builds, installs alone with only its declared dependencies, and imports.

The wheels and sdists are built with ``uv build`` and installed into fresh virtual
environments (packages come from uv's cache or the package index, never from this
workspace), so an undeclared dependency or a missing data file fails here, not for users.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

# One worker builds the wheels once and runs every test of this module.
pytestmark = pytest.mark.xdist_group("packaging")

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"

DISTRIBUTIONS = {
    "tracktion-contracts": "packages/tracktion-contracts",
    "tracktion-core": "packages/tracktion-core",
    "tracktion-audio": "packages/tracktion-audio",
    "tracktion-services": "reference-services",
}


def _uv(*args: str, cwd: Path = ROOT) -> str:
    if not UV.exists():
        pytest.fail(f"{UV} is missing: run `make install` first")
    env = {**os.environ, "UV_NATIVE_TLS": "1", "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [str(UV), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"uv {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for directory in DISTRIBUTIONS.values():
        _uv("build", "--quiet", "--wheel", "--sdist", "--out-dir", str(out), str(ROOT / directory))
    return out


def _wheel(dist: Path, name: str) -> Path:
    [wheel] = dist.glob(name.replace("-", "_") + "-*.whl")
    return wheel


def _venv(dist: Path, tmp_path: Path, *requirements: str) -> Path:
    venv = tmp_path / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    # Siblings resolve from the freshly built wheels, everything else from the index.
    _uv(
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        "--find-links",
        str(dist),
        *requirements,
    )
    return python


def _run(python: Path, code: str) -> str:
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=False, cwd=python.parent
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _installed(python: Path) -> set[str]:
    listing = _uv("pip", "list", "--python", str(python), "--format", "freeze")
    return {line.split("==")[0].lower() for line in listing.splitlines() if "==" in line}


def test_every_distribution_builds_a_wheel_and_an_sdist_with_py_typed(dist: Path) -> None:
    for name, directory in DISTRIBUTIONS.items():
        subpackage = Path(directory).name.removeprefix("tracktion-")
        subpackage = "services" if subpackage == "reference-services" else subpackage
        with zipfile.ZipFile(_wheel(dist, name)) as wheel:
            names = wheel.namelist()
        assert f"tracktion/{subpackage}/py.typed" in names, name
        assert "tracktion/__init__.py" not in names, f"{name} would shadow the namespace"
        [sdist] = dist.glob(name.replace("-", "_") + "-*.tar.gz")
        with tarfile.open(sdist) as archive:
            assert any(member.endswith("pyproject.toml") for member in archive.getnames())


def test_contracts_need_pydantic_alone(dist: Path, tmp_path: Path) -> None:
    python = _venv(dist, tmp_path, str(_wheel(dist, "tracktion-contracts")))
    assert _installed(python) - {"tracktion-contracts"} <= {
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "typing-extensions",
        "typing-inspection",
    }
    out = _run(
        python,
        "from tracktion.contracts import validate_message, ContractValidationError\n"
        "try:\n    validate_message(b'{}', 'analysis_request')\n"
        "except ContractValidationError as e:\n    print(sorted(e.locations)[:2])",
    )
    assert "correlation_id" in out


def test_core_imports_without_drivers_and_names_the_missing_extra(
    dist: Path, tmp_path: Path
) -> None:
    python = _venv(dist, tmp_path, str(_wheel(dist, "tracktion-core")))
    installed = _installed(python)
    assert not installed & {"aio-pika", "asyncpg", "redis", "neo4j"}
    out = _run(
        python,
        "import asyncio\n"
        "from tracktion.core.bus import open_bus\n"
        "from tracktion.core.errors import MissingExtraError\n"
        "try:\n    asyncio.run(open_bus('amqp://guest:guest@127.0.0.1:1/'))\n"
        "except MissingExtraError as e:\n    print(e)",
    )
    assert "tracktion-core[rabbit]" in out


def test_audio_imports_without_the_ml_extra(dist: Path, tmp_path: Path) -> None:
    python = _venv(dist, tmp_path, str(_wheel(dist, "tracktion-audio")))
    assert not _installed(python) & {"tensorflow", "tensorflow-cpu", "musicnn", "torch"}
    out = _run(
        python,
        "import numpy as np\n"
        "from tracktion.audio import estimate_key\n"
        "sr = 22050; t = np.arange(sr * 4) / sr\n"
        "y = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63)).astype('f4')\n"
        "print(estimate_key(y, sr).key)",
    )
    assert out.strip() == "A minor"


def test_services_install_the_command_line(dist: Path, tmp_path: Path) -> None:
    python = _venv(dist, tmp_path, str(_wheel(dist, "tracktion-services")))
    done = subprocess.run(
        [str(python.parent / "tracktion"), "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("tracktion ")
