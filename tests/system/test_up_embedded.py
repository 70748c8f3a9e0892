"""End to end on the embedded defaults: ``tracktion up`` as a real process.

A WebSocket client subscribes to the recordings of two files before they land (recording
ids follow from content), the files are copied into the library, and the client receives
progress and ``analysis_complete`` for each; REST then shows them with BPM and key, and the
rename service has proposals for them. Ctrl-C stops the system cleanly.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect

from tests.system.processes import Process, free_port
from tracktion.core.catalog import recording_id_for
from tracktion.services.demo import LOOPS, write_demo_library

TOKEN = "end-to-end-token"


@dataclass
class System:
    url: str
    library: Path
    process: Process

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    library = tmp_path / "library"
    library.mkdir()
    port = free_port()
    env = {
        "TRACKTION_DATA_DIR": str(tmp_path / "data"),
        "TRACKTION_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}",
        "TRACKTION_API_TOKENS": TOKEN,
        "TRACKTION_ANALYSIS_WORKERS": "1",
    }
    process = Process(["up", str(library), "--port", str(port)], env, "tracktion up")
    try:
        process.wait_for("Tracktion is up")
        yield System(f"127.0.0.1:{port}", library, process)
    finally:
        status = process.stop()
    assert status == 0, process.output


def _tracks(directory: Path) -> dict[Path, float]:
    """The demo loops (tagged, named unlike any template): path -> BPM."""
    paths = write_demo_library(directory, seconds=10.0)
    return {path: loop.bpm for path, loop in zip(paths, LOOPS, strict=True)}


def _recording_id(path: Path) -> str:
    return str(recording_id_for(hashlib.sha256(path.read_bytes()).hexdigest()))


@pytest.mark.anyio
async def test_files_landing_are_cataloged_analyzed_announced_and_proposed(
    system: System, tmp_path: Path
) -> None:
    tracks = _tracks(tmp_path / "incoming")
    ids = {_recording_id(path): bpm for path, bpm in tracks.items()}
    updates: dict[str, list[dict[str, Any]]] = {rid: [] for rid in ids}
    async with connect(f"ws://{system.url}/v1/ws?token={TOKEN}") as ws:
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome"
        for rid in ids:
            await ws.send(json.dumps({"type": "subscribe", "recording_id": rid}))
            answer = json.loads(await ws.recv())
            assert answer["type"] == "subscribed"
            assert answer["recording_id"] == rid
        for path in tracks:
            shutil.copy2(path, system.library / path.name)
        with anyio.fail_after(120):
            while not all(
                any(u["data"]["type"] == "analysis_complete" for u in got)
                for got in updates.values()
            ):
                message = json.loads(await ws.recv())
                if "data" in message:
                    updates[message["recording_id"]].append(message)
    for rid, bpm in ids.items():
        kinds = [u["data"]["type"] for u in updates[rid]]
        assert "progress" in kinds, kinds
        complete = next(u for u in updates[rid] if u["data"]["type"] == "analysis_complete")
        assert complete["data"]["results"]["bpm"] == pytest.approx(bpm, abs=0.5)

    async with httpx.AsyncClient(base_url=f"http://{system.url}", headers=system.headers) as http:
        listing = (await http.get("/v1/recordings")).json()
        by_id = {item["id"]: item for item in listing["items"]}
        assert set(by_id) == set(ids)
        for rid, bpm in ids.items():
            assert by_id[rid]["analysis"]["bpm"] == pytest.approx(bpm, abs=0.5)
            assert by_id[rid]["analysis"]["key"]
            assert by_id[rid]["files"][0]["path"].startswith(str(system.library))
        with anyio.fail_after(30):
            while True:
                proposals = (await http.get("/v1/rename/proposals")).json()
                if len(proposals["items"]) >= len(ids):
                    break
                await anyio.sleep(0.5)
        assert (await http.get("/v1/recordings")).status_code == 200
        unauthorized = await http.get("/v1/recordings", headers={"Authorization": "Bearer nope"})
        assert unauthorized.status_code == 401
        assert (await http.get("/health")).status_code == 200
