"""End to end on the embedded defaults: ``tracktion up`` as a real process.

A WebSocket client subscribes to the recordings of two files before they land (recording
ids follow from content), the files are copied into the library, and the client receives
progress and ``analysis_complete`` for each; REST then shows them with BPM and key, and the
rename service has proposals for them. Ctrl-C stops the system cleanly.

A mix lands in the library; once cataloged, its tracklist is imported over REST and a CUE
sheet generated for it (202, a job to poll), downloaded, and validated by the API and
locally: as many tracks as imported, starting when the tracklist says. A batch makes two
profiles of it, and a tracklist page is imported by URL from a local HTTP server.
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
import numpy as np
import pytest
import soundfile as sf
from websockets.asyncio.client import connect

from tests.services.api.pages import PAGE_TRACKS, page_site
from tests.system.processes import Process, free_port
from tracktion.core.catalog import recording_id_for
from tracktion.core.cue import parse_cue, validate_cue
from tracktion.services.demo import LOOPS, SR, render_loop, write_demo_library

pytestmark = pytest.mark.xdist_group("system")

TOKEN = "end-to-end-token"
SECONDS_EACH = 12.0
"""Each demo loop's share of the mix."""


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
        "TRACKTION_API_TRACKLIST_FETCH_INTERVAL_S": "0",  # the local page server
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


def _write_mix(path: Path) -> Path:
    """The demo loops one after the other, :data:`SECONDS_EACH` each, as a WAV file
    written beside ``path`` and moved there at once (the watcher sees it whole)."""
    audio = np.concatenate(
        [render_loop(loop, seed=seed, seconds=SECONDS_EACH) for seed, loop in enumerate(LOOPS)]
    )
    partial = path.with_name(f".{path.name}.part")
    sf.write(partial, audio, SR, format="WAV", subtype="PCM_16")
    partial.replace(path)
    return path


async def _job(http: httpx.AsyncClient, accepted: httpx.Response) -> dict[str, Any]:
    """The job of a 202 answer, once final."""
    assert accepted.status_code == 202, accepted.text
    with anyio.fail_after(30):
        while True:
            job: dict[str, Any] = (await http.get(accepted.json()["status_url"])).json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            await anyio.sleep(0.2)


@pytest.mark.anyio
async def test_a_tracklist_imported_for_a_mix_yields_a_cue_that_validates(
    system: System, tmp_path: Path
) -> None:
    mix = _write_mix(tmp_path / "mix.wav")
    rid = _recording_id(mix)
    mix = mix.replace(system.library / mix.name)
    starts = [index * SECONDS_EACH for index in range(len(LOOPS))]
    text = "# title: Demo Mix\n" + "".join(
        f"[00:{start:02.0f}] {loop.artist} - {loop.title}\n"
        for start, loop in zip(starts, LOOPS, strict=True)
    )
    async with httpx.AsyncClient(base_url=f"http://{system.url}", headers=system.headers) as http:
        with anyio.fail_after(30):
            while rid not in {r["id"] for r in (await http.get("/v1/recordings")).json()["items"]}:
                await anyio.sleep(0.2)
        imported = await http.post(
            "/v1/tracklists", json={"recording_id": rid, "source": {"content": text}}
        )
        assert imported.status_code == 201, imported.text
        tracklist = imported.json()
        generated = await _job(
            http, await http.post(f"/v1/tracklists/{tracklist['id']}/cue", json={})
        )
        assert generated["status"] == "succeeded", generated
        cue_file_id = generated["result"]["reply"]["cue_file_id"]
        download = await http.get(f"/v1/cue-files/{cue_file_id}/download")
        validated = await _job(
            http,
            await http.post(
                "/v1/cue/validate", json={"cue_file_id": cue_file_id, "audio_file_path": str(mix)}
            ),
        )
        batch = await _job(
            http,
            await http.post(
                "/v1/cue/generate/batch",
                json={"tracklist_ids": [tracklist["id"]], "formats": ["standard", "rekordbox"]},
            ),
        )
        with page_site() as site:
            url = f"{site.url}/tracklist/set.html"
            fetched = await http.post("/v1/tracklists", json={"source": {"url": url}})

    assert tracklist["mix_recording_id"] == rid
    assert [e["start_s"] for e in tracklist["entries"]] == starts
    assert download.status_code == 200
    data = download.content
    assert download.headers["x-checksum-sha256"] == hashlib.sha256(data).hexdigest()
    assert validated["status"] == "succeeded", validated
    assert validated["result"]["is_valid"] is True
    assert validated["result"]["errors"] == []
    assert validated["result"]["checksum_matches"] is True
    report = validate_cue(data, profile="standard", audio_path=mix)
    assert report.is_valid, report.errors
    sheet = parse_cue(data).sheet
    assert [(t.performer, t.title) for t in sheet.tracks] == [(lp.artist, lp.title) for lp in LOOPS]
    assert [t.start.to_seconds() if t.start else None for t in sheet.tracks] == starts
    assert batch["status"] == "succeeded", batch
    [item] = batch["result"]["items"]
    assert [r["format"] for r in item["results"]] == ["standard", "rekordbox"]
    assert len(item["cue_file_ids"]) == 2
    assert fetched.status_code == 201, fetched.text
    assert len(fetched.json()["entries"]) == PAGE_TRACKS
