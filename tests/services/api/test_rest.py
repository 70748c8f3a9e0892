"""REST routes over real embedded ports: recordings, analysis, jobs, errors."""

from __future__ import annotations

import json
import uuid

import pytest

from tracktion.contracts import AnalysisCancellation, AnalysisRequest
from tracktion.core.catalog import TracklistEntry
from tracktion.services.api import ApiOptions, create_app

from .conftest import Library, Ports, client_for

pytestmark = pytest.mark.anyio

OPEN = ApiOptions(relay=False)


async def test_list_recordings_with_files_and_analysis(ports: Ports, library: Library) -> None:
    first = await library.add("a.flac", bpm=124.0, key="A minor", camelot="8A", energy=0.7)
    second = await library.add("b.flac")
    async with client_for(create_app(ports, OPEN)) as client:
        response = await client.get("/v1/recordings", params={"q": library.root})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    items = {item["id"]: item for item in body["items"]}
    assert set(items) == {str(first), str(second)}
    item = items[str(first)]
    assert [f["path"] for f in item["files"]] == [f"{library.root}/a.flac"]
    assert item["analysis"] == {"bpm": 124.0, "key": "A minor", "camelot": "8A", "energy": 0.7}
    assert items[str(second)]["analysis"]["bpm"] is None


async def test_search_by_bpm_key_and_harmonic_compatibility(ports: Ports, library: Library) -> None:
    a_minor = await library.add("a.flac", bpm=124.0, camelot="8A", key="A minor")
    e_minor = await library.add("e.flac", bpm=126.0, key="E minor")  # 9A, by name only
    c_major = await library.add("c.flac", bpm=140.0, camelot="8B")
    far = await library.add("far.flac", bpm=125.0, camelot="3B")

    async with client_for(create_app(ports, OPEN)) as client:

        async def ids(**params: str | float) -> set[str]:
            response = await client.get("/v1/recordings", params={"q": library.root, **params})
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["items"]}

        assert await ids(bpm_min=123, bpm_max=127) == {str(a_minor), str(e_minor), str(far)}
        assert await ids(key="8A") == {str(a_minor)}
        assert await ids(key="am") == {str(a_minor)}
        assert await ids(key="9A") == {str(e_minor)}
        assert await ids(compatible_with=str(a_minor)) == {
            str(a_minor),
            str(e_minor),
            str(c_major),
        }
        assert await ids(compatible_with="8A", bpm_max=130) == {str(a_minor), str(e_minor)}
        assert await ids(compatible_with="3B") == {str(far)}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bpm_min": "fast"}, "bpm_min"),
        ({"bpm_max": -3}, "bpm_max"),
        ({"bpm_min": 130, "bpm_max": 120}, "bpm_min"),
        ({"key": "H major"}, "key"),
        ({"compatible_with": "nonsense"}, "compatible_with"),
        ({"energy_min": 2}, "energy_min"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_invalid_filters_are_422_naming_the_field(
    ports: Ports, params: dict[str, str | float], field: str
) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        response = await client.get("/v1/recordings", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["message"].startswith(field)
    assert body["fields"][0]["field"] == field


async def test_compatible_with_an_unknown_or_unanalyzed_recording(
    ports: Ports, library: Library
) -> None:
    bare = await library.add("bare.flac")
    missing = uuid.uuid4()
    async with client_for(create_app(ports, OPEN)) as client:
        unknown = await client.get("/v1/recordings", params={"compatible_with": str(missing)})
        unanalyzed = await client.get("/v1/recordings", params={"compatible_with": str(bare)})
    assert unknown.status_code == 404
    assert str(missing) in unknown.json()["message"]
    assert unanalyzed.status_code == 422
    assert "no analyzed key" in unanalyzed.json()["message"]


async def test_one_recording_with_everything_known(ports: Ports, library: Library) -> None:
    recording_id = await library.add("mix.flac", bpm=128.0, key="C major")
    await ports.catalog.set_tags(recording_id, {"artist": "Bicep"}, "id3")
    tracklist = await ports.catalog.create_tracklist(
        [TracklistEntry(1, "A", "One")], source="manual", mix_recording_id=recording_id
    )
    file_id = (await ports.catalog.files_of(recording_id))[0].id
    proposal = await ports.catalog.propose_rename(
        file_id, f"{library.root}/Bicep - Mix.flac", template="{artist}", fields={}, confidence=0.8
    )
    async with client_for(create_app(ports, OPEN)) as client:
        response = await client.get(f"/v1/recordings/{recording_id}")
        missing = uuid.uuid4()
        not_found = await client.get(f"/v1/recordings/{missing}")
        malformed = await client.get("/v1/recordings/not-a-uuid")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(recording_id)
    assert body["tags"][0]["value"] == "Bicep"
    assert body["features"]["bpm"]["value"] == 128
    assert body["analysis"]["key"] == "C major"
    assert [t["id"] for t in body["tracklists"]] == [str(tracklist.id)]
    assert [p["id"] for p in body["rename_proposals"]] == [str(proposal.id)]
    assert not_found.status_code == 404
    assert str(missing) in not_found.json()["message"]
    assert malformed.status_code == 422
    assert malformed.json()["fields"][0]["field"] == "recording_id"


async def test_analyze_publishes_a_request_with_a_job(ports: Ports, library: Library) -> None:
    recording_id = await library.add("a.flac")
    async with client_for(create_app(ports, OPEN)) as client:
        response = await client.post(
            f"/v1/recordings/{recording_id}/analyze", json={"analysis_types": ["bpm", "key"]}
        )
        assert response.status_code == 202
        job_id = response.json()["job_id"]
        job = await client.get(f"/v1/jobs/{job_id}")
        listed = await client.get("/v1/jobs", params={"type": "analysis", "status": "queued"})
    raw = await ports.bus.fetch("analysis_queue")
    assert raw is not None
    request = AnalysisRequest.parse(raw.body)
    assert request.recording_id == recording_id
    assert str(request.correlation_id) == job_id
    assert [t.value for t in request.analysis_types] == ["bpm", "key"]
    assert request.file_path == f"{library.root}/a.flac"
    assert job.status_code == 200
    assert job.json()["status"] == "queued"
    assert job.json()["payload"]["recording_id"] == str(recording_id)
    assert job_id in {item["id"] for item in listed.json()["items"]}


async def test_analyze_rejects_bad_input(ports: Ports, library: Library) -> None:
    recording_id = await library.add("a.flac")
    missing = uuid.uuid4()
    async with client_for(create_app(ports, OPEN)) as client:
        unknown = await client.post(f"/v1/recordings/{missing}/analyze")
        bad_type = await client.post(
            f"/v1/recordings/{recording_id}/analyze", json={"analysis_types": ["tempo"]}
        )
        bad_path = await client.post(
            f"/v1/recordings/{recording_id}/analyze", json={"file_path": "/elsewhere.mp3"}
        )
        no_job = await client.get(f"/v1/jobs/{missing}")
    assert unknown.status_code == 404
    assert str(missing) in unknown.json()["message"]
    assert bad_type.status_code == 422
    assert bad_type.json()["fields"][0]["field"] == "analysis_types.0"
    assert bad_path.status_code == 422
    assert bad_path.json()["fields"][0]["field"] == "file_path"
    assert no_job.status_code == 404
    assert str(missing) in no_job.json()["message"]
    assert await ports.bus.depth("analysis_queue") == 0


async def test_cancel_is_published_at_high_priority(ports: Ports, library: Library) -> None:
    recording_id = await library.add("a.flac")
    async with client_for(create_app(ports, OPEN)) as client:
        response = await client.post(f"/v1/recordings/{recording_id}/analysis/cancel")
    assert response.status_code == 202
    raw = await ports.bus.fetch("analysis_queue")
    assert raw is not None
    assert raw.priority == 8
    assert AnalysisCancellation.parse(raw.body).recording_id == recording_id


async def test_analysis_results_per_feature(ports: Ports, library: Library) -> None:
    recording_id = await library.add("a.flac", bpm=174.0, key="F# minor")
    async with client_for(create_app(ports, OPEN)) as client:
        every = await client.get(f"/v1/recordings/{recording_id}/analysis")
        bpm = await client.get(f"/v1/recordings/{recording_id}/analysis/bpm")
        mood = await client.get(f"/v1/recordings/{recording_id}/analysis/mood")
    assert sorted(every.json()) == ["bpm", "key"]
    assert bpm.json()["value"] == 174
    assert bpm.json()["algorithm_version"] == "test-1"
    assert mood.status_code == 404
    assert "'mood'" in mood.json()["message"]


async def test_the_openapi_document_lists_the_routes(ports: Ports) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        document = (await client.get("/openapi.json")).json()
    for path in (
        "/v1/recordings",
        "/v1/recordings/{recording_id}",
        "/v1/recordings/{recording_id}/analyze",
        "/v1/jobs/{job_id}",
        "/health",
        "/ready",
    ):
        assert path in document["paths"], path
    assert json.dumps(document)  # serializable as published
