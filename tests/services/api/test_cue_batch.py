"""Batch CUE generation over REST (``POST /v1/cue/generate/batch``) through the real
tracklist service and the relay on the embedded bus: one request per tracklist, one job
for the batch with progress and every tracklist's outcome, partial failures, bad input."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tracktion.contracts import BatchCueGenerationRequest
from tracktion.core.bus import InMemoryBus
from tracktion.core.cue import parse_cue, validate_cue
from tracktion.services.api import ApiOptions, create_app
from tracktion.services.api.cue_batches import MAX_BATCH_TRACKLISTS

from .conftest import Library, Ports, client_for
from .test_tracklists import Tracks, finished, import_text, problem, with_tracklist_service

pytestmark = pytest.mark.anyio

BATCH = "/v1/cue/generate/batch"


@pytest.fixture
async def tracks(library: Library) -> Tracks:
    return await Tracks(library).add()


@asynccontextmanager
async def relayed(ports: Ports, tmp_path: Path | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose relay runs, with the tracklist service when ``tmp_path``."""
    app = create_app(ports, ApiOptions(rate_limit_per_minute=None))
    async with app.router.lifespan_context(app), client_for(app) as client:
        if tmp_path is None:
            yield client
        else:
            async with with_tracklist_service(ports, tmp_path):
                yield client


async def sets(client: httpx.AsyncClient, tracks: Tracks, count: int) -> list[str]:
    """``count`` tracklists of the mix, each with its own title."""
    ids = []
    for number in range(count):
        text = tracks.text().replace("Sunrise Set", f"Set {number}")
        created = await import_text(client, text, recording_id=str(tracks.ids["mix"]))
        ids.append(created["id"])
    return ids


async def accepted(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(BATCH, json=body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_batch_writes_every_format_of_every_tracklist(
    ports: Ports, tracks: Tracks, tmp_path: Path
) -> None:
    async with relayed(ports, tmp_path) as client:
        ids = await sets(client, tracks, 3)
        answer = await accepted(client, {"tracklist_ids": ids, "formats": ["standard", "cdj"]})
        job = await finished(client, answer["job_id"])
        children = [(await client.get(f"/v1/jobs/{i['job_id']}")).json() for i in answer["items"]]
        sheets = {
            (item["tracklist_id"], result["format"]): await client.get(
                f"/v1/cue-files/{result['cue_file_id']}/download"
            )
            for item in job["result"]["items"]
            for result in item["results"]
        }
    assert answer["status"] == "queued"
    assert answer["status_url"] == f"/v1/jobs/{answer['job_id']}"
    assert [item["tracklist_id"] for item in answer["items"]] == ids
    assert job["status"] == "succeeded", job
    assert job["type"] == "cue_batch"
    assert job["progress"] == 1.0
    assert job["message"] == "3 of 3 tracklists done"
    assert job["error"] is None
    assert job["payload"]["formats"] == ["standard", "cdj"]
    result = job["result"]
    assert (result["succeeded"], result["failed"]) == (3, 0)
    assert [item["tracklist_id"] for item in result["items"]] == ids
    assert [item["job_id"] for item in result["items"]] == [i["job_id"] for i in answer["items"]]
    for item in result["items"]:
        assert item["success"] is True
        assert item["status"] == "succeeded"
        assert [r["format"] for r in item["results"]] == ["standard", "cdj"]
        assert item["cue_file_ids"] == [r["cue_file_id"] for r in item["results"]]
    for child in children:
        assert child["status"] == "succeeded", child
        assert child["type"] == "batch_cue_generation"
        assert child["correlation_id"] == answer["job_id"]
    assert len(sheets) == 6
    for (tracklist_id, fmt), download in sheets.items():
        assert download.status_code == 200
        report = validate_cue(download.content, profile=fmt)
        assert report.is_valid, (tracklist_id, fmt, report.errors)
        parsed = parse_cue(download.content).sheet
        assert [t.start.to_seconds() for t in parsed.tracks if t.start] == [0.0, 270.0, 555.0]


async def test_an_unknown_tracklist_fails_its_item_and_names_it(
    ports: Ports, tracks: Tracks, tmp_path: Path
) -> None:
    missing = str(uuid.uuid4())
    async with relayed(ports, tmp_path) as client:
        known = await sets(client, tracks, 2)
        answer = await accepted(client, {"tracklist_ids": [known[0], missing, known[1]]})
        job = await finished(client, answer["job_id"])
        cue_files = [
            await client.get(f"/v1/cue-files/{item['cue_file_ids'][0]}")
            for item in job["result"]["items"]
            if item["success"]
        ]
    assert job["status"] == "failed", job
    assert job["error"].startswith(f"1 of 3 tracklists failed: tracklist {missing}: ")
    assert f"no tracklist {missing} in the catalog" in job["error"]
    assert job["message"] == "3 of 3 tracklists done, 1 failed"
    items = job["result"]["items"]
    assert [item["tracklist_id"] for item in items] == [known[0], missing, known[1]]
    assert [item["success"] for item in items] == [True, False, True]
    assert (job["result"]["succeeded"], job["result"]["failed"]) == (2, 1)
    failed = items[1]
    assert failed["status"] == "failed"
    assert failed["cue_file_ids"] == []
    assert f"no tracklist {missing}" in failed["error"]
    assert failed["results"][0]["success"] is False
    assert [c.status_code for c in cue_files] == [200, 200]
    assert {c.json()["tracklist_id"] for c in cue_files} == {known[0], known[1]}


async def test_the_batch_job_shows_progress_as_tracklists_finish(
    ports: Ports, tracks: Tracks, tmp_path: Path
) -> None:
    async with relayed(ports, None) as client:
        ids = await sets(client, tracks, 2)
        answer = await accepted(client, {"tracklist_ids": ids})
        queued = (await client.get(answer["status_url"])).json()
        held = [await ports.bus.fetch("cue.generation.batch") for _ in ids]
        raws = [raw for raw in held if raw is not None]
        requests = [BatchCueGenerationRequest.parse(raw.body) for raw in raws]
        assert len(requests) == 2
        async with with_tracklist_service(ports, tmp_path):
            # The service gets the held requests one by one: the batch is half done between.
            await ports.bus.publish(requests[0], message_id=raws[0].message_id)
            with anyio.fail_after(20):
                while True:
                    halfway = (await client.get(answer["status_url"])).json()
                    if halfway["progress"] >= 0.5:
                        break
                    await anyio.sleep(0.02)
            await ports.bus.publish(requests[1], message_id=raws[1].message_id)
            done = await finished(client, answer["job_id"])
    assert (queued["status"], queued["progress"], queued["result"]) == ("queued", 0.0, None)
    assert [r.tracklist_id for r in requests] == [uuid.UUID(i) for i in ids]
    assert all(str(r.correlation_id) == answer["job_id"] for r in requests)
    assert [str(r.batch_job_id) for r in requests] == [i["job_id"] for i in answer["items"]]
    assert [r.formats for r in requests] == [["standard"], ["standard"]]
    assert (halfway["status"], halfway["progress"]) == ("running", 0.5)
    assert halfway["message"] == "1 of 2 tracklists done"
    assert halfway["result"] is None
    assert done["status"] == "succeeded", done
    assert done["message"] == "2 of 2 tracklists done"


async def test_a_batch_the_bus_refuses_fails_with_every_item(ports: Ports) -> None:
    # A bus whose exchanges were never declared refuses every publication.
    refusing = Ports(InMemoryBus(), ports.catalog, ports.cache, ports.graph)
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    try:
        async with client_for(create_app(refusing, ApiOptions(relay=False))) as client:
            response = await client.post(BATCH, json={"tracklist_ids": ids})
            listed = await client.get("/v1/jobs", params={"type": "cue_batch", "limit": 500})
    finally:
        await refusing.bus.close()
    assert response.status_code == 502, response.text
    assert "not declared" in response.json()["message"]
    [job] = [
        job
        for job in listed.json()["items"]
        if [item["tracklist_id"] for item in job["payload"]["items"]] == ids
    ]
    assert job["status"] == "failed"
    assert job["error"].startswith("2 of 2 tracklists failed: ")
    assert [item["error"].startswith("not queued: ") for item in job["result"]["items"]] == [
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"tracklist_ids": []}, "tracklist_ids", "at least 1 item"),
        ({}, "tracklist_ids", "Field required"),
        (
            {"tracklist_ids": [str(uuid.UUID(int=1))] * 2},
            "tracklist_ids",
            f"names {uuid.UUID(int=1)} more than once",
        ),
        (
            {"tracklist_ids": [str(uuid.UUID(int=i)) for i in range(MAX_BATCH_TRACKLISTS + 1)]},
            "tracklist_ids",
            f"at most {MAX_BATCH_TRACKLISTS} items",
        ),
        ({"tracklist_ids": ["not-a-uuid"]}, "tracklist_ids.0", "UUID"),
        ({"tracklist_ids": [str(uuid.uuid4())], "formats": []}, "formats", "at least 1"),
        ({"tracklist_ids": [str(uuid.uuid4())], "formats": ["mp3"]}, "formats.0", "mp3"),
        (
            {"tracklist_ids": [str(uuid.uuid4())], "formats": ["cdj", "cdj"]},
            "formats",
            "names cdj more than once",
        ),
        ({"tracklist_ids": [str(uuid.uuid4())], "format": "cdj"}, "format", "Extra inputs"),
    ],
)
async def test_bad_batches_are_422_naming_the_field(
    ports: Ports, body: dict[str, Any], field: str, words: str
) -> None:
    batches: dict[str, str | int] = {"type": "cue_batch", "limit": 500}
    async with client_for(create_app(ports, ApiOptions(relay=False))) as client:
        before = (await client.get("/v1/jobs", params=batches)).json()["items"]
        response = await client.post(BATCH, json=body)
        after = (await client.get("/v1/jobs", params=batches)).json()["items"]
    named, message = problem(response)
    assert named == field
    assert words in message
    assert await ports.bus.depth("cue.generation.batch") == 0
    assert after == before


async def test_the_openapi_document_lists_the_batch_route(ports: Ports) -> None:
    async with client_for(create_app(ports, ApiOptions(relay=False))) as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"][BATCH]["post"]
    assert "202" in operation["responses"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/BatchBody")
