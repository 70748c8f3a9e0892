"""examples/analyze_folder.ipynb runs headless from top to bottom and finds what the demo
library is made of."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from tracktion.services.demo import LOOPS

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "analyze_folder.ipynb"
# The Camelot codes of the demo loops' keys.
CAMELOT = {"A minor": "8A", "F minor": "4A", "C major": "8B"}


def _read() -> Any:
    return nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]


def _parameters(nb: Any) -> Any:
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return cell


def _text(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_notebook_is_committed_without_outputs() -> None:
    nb = _read()
    nbformat.validate(nb)
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")
    assert "FOLDER = None" in _parameters(nb).source


def test_the_kernel_runs_this_interpreter() -> None:
    # The kernel spec says "python"; jupyter_client starts it with sys.executable, so the
    # notebook sees the packages of this virtual environment.
    command = KernelManager(kernel_name="python3").format_kernel_cmd()
    assert command[0] == sys.executable


def test_notebook_analyses_the_demo_library_and_plots_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = _read()
    plot = tmp_path / "wheel.png"
    _parameters(
        nb
    ).source = f"FOLDER = None\nDEMO_SECONDS = 8.0\nWORKERS = 1\nPLOT_PATH = {str(plot)!r}\n"
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = NotebookClient(
        nb, kernel_name="python3", timeout=240, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    printed = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert f"{len(LOOPS)} audio files in " in printed
    for loop in LOOPS:
        [row] = [line for line in printed.splitlines() if line.startswith(loop.file_name)]
        fields = row[len(loop.file_name) :].split()
        assert float(fields[0]) == pytest.approx(loop.bpm, abs=0.5), row
        assert " ".join(fields[1:3]) == loop.key, row
        assert fields[3] == CAMELOT[loop.key], row
    assert f"{len(LOOPS)} of {len(LOOPS)} tracks on the wheel" in printed
    assert "not analysed" not in printed
    assert plot.stat().st_size > 10_000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
