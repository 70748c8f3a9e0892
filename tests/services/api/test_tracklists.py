"""Tracklists and CUE over REST on real embedded ports: imports (text, CUE, M3U, uploads,
URLs), versions and edits, CUE generation, validation and conversion through the real
tracklist service on the embedded bus, downloads, and bad input."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tracktion.contracts import CueGenerationRequest
from tracktion.core.cue import validate_cue
from tracktion.core.tracklists import TracklistFetcher
from tracktion.services.api import ApiOptions, create_app
from tracktion.services.api.relay import reply_queues
from tracktion.services.tracklist import TracklistOptions, TracklistService

from .conftest import Library, Ports, client_for

pytestmark = pytest.mark.anyio

OPEN = ApiOptions(relay=False)
PAGE = Path(__file__).parents[2] / "core" / "tracklists" / "data" / "1001_page.html"


class Tracks:
    """Two tagged recordings and a mix, with names no other test uses."""

    def __init__(self, library: Library) -> None:
        self.library = library
        token = uuid.uuid4().hex[:8]
        self.first = (f"Kessler {token}", f"Aurora {token}")
        self.second = (f"Marlow {token}", f"Tidewater {token}")
        self.ids: dict[str, uuid.UUID] = {}

    async def add(self) -> Tracks:
        lib = self.library
        for key, (artist, title) in (("first", self.first), ("second", self.second)):
            self.ids[key] = await lib.add(f"{key}.flac")
            await lib.catalog.set_tags(self.ids[key], {"artist": artist, "title": title}, "id3")
        self.ids["mix"] = await lib.add("mix.flac")
        return self

    def text(self) -> str:
        return (
            "# title: Sunrise Set\n"
            f"[00:00] {self.first[0]} - {self.first[1]}\n"
            "this line is no track\n"
            f"[04:30] {self.second[0]} - {self.second[1]} (Extended Mix)\n"
            "[09:15] ID - ID\n"
        )

    def cue(self) -> str:
        return (
            'TITLE "Sunrise Set"\nFILE "mix.flac" WAVE\n'
            f'  TRACK 01 AUDIO\n    TITLE "{self.first[1]}"\n    PERFORMER "{self.first[0]}"\n'
            "    INDEX 01 00:00:00\n"
            f'  TRACK 02 AUDIO\n    TITLE "{self.second[1]}"\n    PERFORMER "{self.second[0]}"\n'
            "    INDEX 01 04:30:00\n"
        )


@pytest.fixture
async def tracks(library: Library) -> Tracks:
    return await Tracks(library).add()


async def import_text(client: httpx.AsyncClient, text: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/tracklists", json={"source": {"content": text}, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int = 422) -> tuple[str, str]:
    """The field and message of an error response."""
    assert response.status_code == status, response.text
    body = response.json()
    field = body["fields"][0]["field"] if body["fields"] else ""
    return field, body["message"]


async def finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    with anyio.fail_after(20):
        while True:
            job: dict[str, Any] = (await client.get(f"/v1/jobs/{job_id}")).json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            await anyio.sleep(0.02)


@asynccontextmanager
async def with_tracklist_service(ports: Ports, tmp_path: Path) -> AsyncIterator[None]:
    worker = TracklistService(ports.bus, ports.catalog, TracklistOptions(tmp_path / "cue"))
    async with anyio.create_task_group() as group:
        group.start_soon(worker.run)
        yield
        group.cancel_scope.cancel()


async def test_text_import_matches_the_catalog_and_belongs_to_the_mix(
    ports: Ports, tracks: Tracks
) -> None:
    mix = tracks.ids["mix"]
    async with client_for(create_app(ports, OPEN)) as client:
        body = await import_text(client, tracks.text(), recording_id=str(mix))
        listed = await client.get(f"/v1/recordings/{mix}/tracklists")
        played = await client.get(f"/v1/recordings/{tracks.ids['second']}/tracklists")
    assert body["source"] == "text"
    assert body["title"] == "Sunrise Set"
    assert body["mix_recording_id"] == str(mix)
    assert body["version"] == body["latest_version"] == 1
    assert body["version_note"] == "imported from <content>"
    entries = body["entries"]
    assert [e["recording_id"] for e in entries] == [
        str(tracks.ids["first"]),
        str(tracks.ids["second"]),
        None,
    ]
    assert entries[0]["match_score"] == 1.0
    assert 0.8 <= entries[1]["match_score"] <= 1.0
    assert [e["start"] for e in entries] == ["00:00", "04:30", "09:15"]
    assert entries[1]["mix"] == "Extended Mix"
    assert body["matched"] == 2
    assert body["fully_timed"] is True
    assert [w for w in body["warnings"] if "this line is no track" in w]
    assert body["candidates"][0]["candidates"][0]["recording_id"] == str(tracks.ids["first"])
    assert body["candidates"][2]["candidates"] == []
    assert [t["id"] for t in listed.json()] == [body["id"]]
    assert body["id"] in [t["id"] for t in played.json()]


async def test_cue_and_m3u_imports_by_hint_and_by_upload(ports: Ports, tracks: Tracks) -> None:
    m3u = (
        "#EXTM3U\n"
        f"#EXTINF:270,{tracks.first[0]} - {tracks.first[1]}\nfirst.flac\n"
        f"#EXTINF:300,{tracks.second[0]} - {tracks.second[1]}\nsecond.flac\n"
    )
    async with client_for(create_app(ports, OPEN)) as client:
        cue = await import_text(client, tracks.cue(), source={"content": tracks.cue()})
        hinted = await client.post(
            "/v1/tracklists",
            json={"source": {"content": tracks.cue(), "format": "cue", "name": "set.txt"}},
        )
        uploaded = await client.post(
            "/v1/tracklists",
            files={"file": ("set.m3u8", m3u.encode(), "audio/x-mpegurl")},
            data={"recording_id": str(tracks.ids["mix"]), "title": "Upload"},
        )
        cue_upload = await client.post(
            "/v1/tracklists",
            files={"file": ("set.cue", tracks.cue().encode("cp1252"), "application/x-cue")},
        )
    assert cue["source"] == "cue"
    assert cue["source_url"] is None
    assert [e["start_s"] for e in cue["entries"]] == [0.0, 270.0]
    assert cue["matched"] == 2
    assert hinted.status_code == 201
    assert hinted.json()["source"] == "cue"
    assert uploaded.status_code == 201, uploaded.text
    m3u_body = uploaded.json()
    assert (m3u_body["source"], m3u_body["title"]) == ("m3u", "Upload")
    assert m3u_body["mix_recording_id"] == str(tracks.ids["mix"])
    assert m3u_body["source_url"] == "set.m3u8"
    assert [(e["start_s"], e["estimated"]) for e in m3u_body["entries"]] == [
        (0.0, False),
        (270.0, True),
    ]
    assert [e["recording_id"] for e in m3u_body["entries"]] == [
        str(tracks.ids["first"]),
        str(tracks.ids["second"]),
    ]
    assert cue_upload.status_code == 201, cue_upload.text
    assert cue_upload.json()["entries"][1]["title"] == tracks.second[1]


async def test_url_imports_need_a_fetcher(ports: Ports, tmp_path: Path) -> None:
    page = PAGE.read_bytes()

    def site(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/tracklist/set.html":
            return httpx.Response(200, content=page, headers={"Content-Type": "text/html"})
        if request.url.path == "/tracklist/refused.html":
            return httpx.Response(403, text="Forbidden")
        return httpx.Response(404)

    fetcher = TracklistFetcher(
        cache_dir=tmp_path / "pages", transport=httpx.MockTransport(site), min_interval_s=0
    )
    url = "https://tracklists.example/tracklist/set.html"
    try:
        async with client_for(create_app(ports, OPEN)) as client:
            refused = await client.post("/v1/tracklists", json={"source": {"url": url}})
        options = ApiOptions(relay=False, tracklist_fetcher=fetcher)
        async with client_for(create_app(ports, options)) as client:
            fetched = await client.post("/v1/tracklists", json={"source": {"url": url}})
            blocked = await client.post(
                "/v1/tracklists",
                json={"source": {"url": "https://tracklists.example/tracklist/refused.html"}},
            )
    finally:
        await fetcher.aclose()
    field, message = problem(refused)
    assert field == "source.url"
    assert "no tracklist fetcher" in message
    assert fetched.status_code == 201, fetched.text
    body = fetched.json()
    assert (body["source"], body["source_url"]) == ("1001tracklists", url)
    assert len(body["entries"]) == 5
    field, message = problem(blocked)
    assert field == "source.url"
    assert "403" in message


async def test_edits_make_versions_and_keep_history(ports: Ports, tracks: Tracks) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        created = await import_text(client, tracks.text())
        base = f"/v1/tracklists/{created['id']}"

        async def edit(**body: Any) -> dict[str, Any]:
            response = await client.post(f"{base}/edits", json=body)
            assert response.status_code == 201, response.text
            result: dict[str, Any] = response.json()
            return result

        shifted = await edit(op="shift", delta_s=30)
        inserted = await edit(
            op="insert",
            position=3,
            entry={"artist": "Late", "title": "Arrival", "start_s": 400},
            note="forgot one",
        )
        removed = await edit(op="remove", position=1)
        retimed = await edit(op="retime", position=1, start_s=290)
        first = await client.get(base, params={"version": 1})
        latest = await client.get(base)
        versions = await client.get(f"{base}/versions")
    assert [e["start_s"] for e in shifted["entries"]] == [30.0, 300.0, 585.0]
    assert shifted["version"] == 2
    assert [e["title"] for e in inserted["entries"]][2] == "Arrival"
    assert inserted["version_note"] == "forgot one"
    assert len(removed["entries"]) == 3
    assert retimed["entries"][0]["start_s"] == 290.0
    assert retimed["entries"][0]["recording_id"] == str(tracks.ids["second"])
    assert [e["start_s"] for e in first.json()["entries"]] == [0.0, 270.0, 555.0]
    assert latest.json()["version"] == latest.json()["latest_version"] == 5
    assert latest.json()["entries"] == retimed["entries"]
    history = versions.json()
    assert [v["version"] for v in history] == [1, 2, 3, 4, 5]
    assert [v["note"] for v in history] == [
        "imported from <content>",
        "shift by +30 s",
        "forgot one",
        "remove track 1",
        "retime track 1 to 290 s",
    ]
    assert [v["entries"] for v in history] == [3, 3, 4, 3, 3]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"op": "shift", "delta_s": -10}, "delta_s", "before the start of the mix"),
        ({"op": "shift"}, "delta_s", "required for op 'shift'"),
        ({"op": "shift", "delta_s": 1, "position": 2}, "position", "does not apply"),
        ({"op": "remove", "position": 9}, "position", "outside 1..3"),
        ({"op": "remove", "position": 0}, "position", "greater than or equal to 1"),
        ({"op": "retime", "position": 2, "start_s": 900}, "start_s", "after the next track"),
        ({"op": "retime", "position": 1, "start_s": -1}, "start_s", "greater than or equal"),
        (
            {"op": "insert", "position": 2, "entry": {"artist": "A", "title": "B", "start_s": 300}},
            "entry.start_s",
            "after the next track",
        ),
        (
            {"op": "insert", "position": 1, "entry": {"artist": " ", "title": "B"}},
            "entry.artist",
            "",
        ),
        ({"op": "rewind"}, "op", "rewind"),
        (
            {
                "op": "insert",
                "position": 4,
                "entry": {"artist": "A", "title": "B", "recording_id": str(uuid.UUID(int=9))},
            },
            "entry.recording_id",
            "no recording 00000000-0000-0000-0000-000000000009",
        ),
    ],
)
async def test_bad_edits_are_422_naming_the_field(
    ports: Ports, tracks: Tracks, body: dict[str, Any], field: str, words: str
) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        created = await import_text(client, tracks.text())
        response = await client.post(f"/v1/tracklists/{created['id']}/edits", json=body)
        versions = await client.get(f"/v1/tracklists/{created['id']}/versions")
    named, message = problem(response)
    assert named == field
    assert words in message
    assert len(versions.json()) == 1


async def test_cue_generation_validation_and_conversion_through_the_service(
    ports: Ports, tracks: Tracks, tmp_path: Path
) -> None:
    app = create_app(ports, ApiOptions(rate_limit_per_minute=None))
    async with (
        app.router.lifespan_context(app),
        with_tracklist_service(ports, tmp_path),
        client_for(app) as client,
    ):
        created = await import_text(client, tracks.text(), recording_id=str(tracks.ids["mix"]))
        accepted = await client.post(
            f"/v1/tracklists/{created['id']}/cue", json={"format": "serato"}
        )
        assert accepted.status_code == 202, accepted.text
        job = await finished(client, accepted.json()["job_id"])
        assert job["status"] == "succeeded", job
        assert job["type"] == "cue_generation"
        reply = job["result"]["reply"]
        cue_id = reply["cue_file_id"]
        meta = await client.get(f"/v1/cue-files/{cue_id}")
        download = await client.get(f"/v1/cue-files/{cue_id}/download")
        detail = await client.get(f"/v1/tracklists/{created['id']}")

        validation = await client.post("/v1/cue/validate", json={"cue_file_id": cue_id})
        assert validation.status_code == 202, validation.text
        validated = await finished(client, validation.json()["job_id"])
        conversion = await client.post(
            "/v1/cue/convert", json={"cue_file_id": cue_id, "target_format": "cdj"}
        )
        assert conversion.status_code == 202, conversion.text
        converted = await finished(client, conversion.json()["job_id"])
        assert converted["status"] == "succeeded", converted
        cdj = await client.get(f"/v1/cue-files/{converted['result']['cue_file_id']}/download")
        with anyio.fail_after(10):  # the relay reads the shared reply queue
            while await ports.bus.depth("cue.generation.complete"):
                await anyio.sleep(0.02)

    data = download.content
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/x-cue; charset=utf-8"
    assert download.headers["x-checksum-sha256"] == hashlib.sha256(data).hexdigest()
    assert download.headers["x-checksum-sha256"] == reply["checksum"]
    assert f'filename="{created["id"]}.v1.serato.cue"' in download.headers["content-disposition"]
    assert data == (tmp_path / "cue" / f"{created['id']}.v1.serato.cue").read_bytes()
    report = validate_cue(data, profile="serato")
    assert report.is_valid, report.errors
    assert data.count(b"TRACK ") == 3
    assert meta.json()["size_bytes"] == len(data)
    assert meta.json()["format"] == "serato"
    assert meta.json()["download_url"] == f"/v1/cue-files/{cue_id}/download"
    assert [c["id"] for c in detail.json()["cue_files"]] == [cue_id]
    assert validated["status"] == "succeeded", validated
    assert validated["result"]["is_valid"] is True
    assert validated["result"]["checksum_matches"] is True
    assert cdj.headers["content-type"] == "text/x-cue; charset=windows-1252"
    assert validate_cue(cdj.content, profile="cdj").is_valid


async def test_generation_publishes_the_request_contract_with_the_job(
    ports: Ports, tracks: Tracks
) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        created = await import_text(client, tracks.text())
        accepted = await client.post(
            f"/v1/tracklists/{created['id']}/cue",
            json={"format": "traktor", "options": {"comment": "x"}},
        )
        job = (await client.get(f"/v1/jobs/{accepted.json()['job_id']}")).json()
    raw = await ports.bus.fetch("cue.generation")
    assert raw is not None
    request = CueGenerationRequest.parse(raw.body)
    assert str(request.job_id) == str(request.correlation_id) == job["id"]
    assert str(request.tracklist_id) == created["id"]
    assert request.format.value == "traktor"
    assert request.options == {"comment": "x"}
    assert job["status"] == "queued"
    assert job["payload"]["format"] == "traktor"


async def test_a_sheet_that_cannot_be_made_fails_its_job(
    ports: Ports, tracks: Tracks, tmp_path: Path
) -> None:
    untimed = "Nobody - Knows\nSomeone - Else\n"
    async with with_tracklist_service(ports, tmp_path), client_for(create_app(ports, OPEN)) as c:
        created = await import_text(c, untimed)
        accepted = await c.post(f"/v1/tracklists/{created['id']}/cue", json={})
        job = await finished(c, accepted.json()["job_id"])
    assert job["status"] == "failed"
    assert job["error"]
    assert job["result"]["reply"]["success"] is False


async def test_downloads_refuse_missing_and_changed_files(
    ports: Ports, tracks: Tracks, tmp_path: Path
) -> None:
    sheet = tracks.cue().encode()
    path = tmp_path / "set.cue"
    async with client_for(create_app(ports, OPEN)) as client:
        created = await import_text(client, tracks.text())
        cue = await ports.catalog.add_cue_file(
            uuid.UUID(created["id"]),
            version=1,
            format="standard",
            path=str(path),
            checksum_sha256=hashlib.sha256(sheet).hexdigest(),
            size_bytes=len(sheet),
        )
        gone = await client.get(f"/v1/cue-files/{cue.id}/download")
        path.write_bytes(sheet + b"REM changed\n")
        changed = await client.get(f"/v1/cue-files/{cue.id}/download")
        path.write_bytes(sheet)
        good = await client.get(f"/v1/cue-files/{cue.id}/download")
    assert gone.status_code == 410
    assert str(path) in gone.json()["message"]
    assert changed.status_code == 409
    assert "changed on disk" in changed.json()["message"]
    assert good.status_code == 200
    assert good.content == sheet


@pytest.mark.parametrize(
    ("request_kwargs", "field", "words"),
    [
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            "body",
            "JSON",
        ),
        ({"json": {"source": {}}}, "source", "exactly one of 'content' and 'url'"),
        ({"json": {"source": {"content": "A - B", "url": "https://x.example/a"}}}, "source", ""),
        ({"json": {"source": {"content": "A - B", "format": "xml"}}}, "source.format", "xml"),
        ({"json": {"source": {"content": "hello world"}}}, "source.content", "no track lines"),
        (
            {"json": {"source": {"content": "A - B", "format": "cue"}}},
            "source.content",
            "<content>: holds no CUE command",
        ),
        ({"json": {"source": {"content": "A - B"}, "speed": 2}}, "speed", "Extra inputs"),
        ({"json": {"source": {"content": "A - B"}, "match_threshold": 2}}, "match_threshold", ""),
        (
            {"json": {"source": {"content": "A - B"}, "recording_id": str(uuid.UUID(int=7))}},
            "recording_id",
            "no recording 00000000-0000-0000-0000-000000000007",
        ),
        ({"data": {"title": "x"}, "files": {"other": ("a", b"x")}}, "file", "'file' part"),
        ({"files": {"file": ("set.txt", b"junk junk")}}, "file", "set.txt"),
        ({"files": {"file": ("s.txt", b"A - B")}, "data": {"format": "doc"}}, "format", "doc"),
    ],
)
async def test_bad_imports_are_422_naming_the_input(
    ports: Ports, request_kwargs: dict[str, Any], field: str, words: str
) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        response = await client.post("/v1/tracklists", **request_kwargs)
    named, message = problem(response)
    assert named == field
    assert words in message


async def test_unknown_ids_and_bad_cue_requests(ports: Ports, tracks: Tracks) -> None:
    missing = uuid.uuid4()
    async with client_for(create_app(ports, OPEN)) as client:
        created = await import_text(client, tracks.text())
        tracklist = f"/v1/tracklists/{created['id']}"
        responses = {
            "tracklist": await client.get(f"/v1/tracklists/{missing}"),
            "version": await client.get(tracklist, params={"version": 4}),
            "versions": await client.get(f"/v1/tracklists/{missing}/versions"),
            "edit": await client.post(
                f"/v1/tracklists/{missing}/edits", json={"op": "remove", "position": 1}
            ),
            "recording": await client.get(f"/v1/recordings/{missing}/tracklists"),
            "generate": await client.post(f"/v1/tracklists/{missing}/cue"),
            "cue_file": await client.get(f"/v1/cue-files/{missing}"),
            "download": await client.get(f"/v1/cue-files/{missing}/download"),
        }
        invalid = {
            "format": await client.post(f"{tracklist}/cue", json={"format": "winamp"}),
            "audio_file_path": await client.post(f"{tracklist}/cue", json={"validate_audio": True}),
            "cue_file_id": await client.post(
                "/v1/cue/validate", json={"cue_file_id": str(missing)}
            ),
            "target_format": await client.post(
                "/v1/cue/convert", json={"cue_file_id": str(missing), "target_format": "mp3"}
            ),
        }
        media = await client.post(
            "/v1/tracklists", content=b"A - B", headers={"Content-Type": "text/plain"}
        )
    for name, response in responses.items():
        assert response.status_code == 404, (name, response.text)
        expected = created["id"] if name == "version" else str(missing)
        assert expected in response.json()["message"], name
    assert "no version 4" in responses["version"].json()["message"]
    for name, response in invalid.items():
        assert problem(response)[0] == name, response.text
    assert "winamp" in invalid["format"].json()["message"]
    assert str(missing) in invalid["cue_file_id"].json()["message"]
    assert media.status_code == 415
    assert "text/plain" in media.json()["message"]
    assert await ports.bus.depth("cue.generation") == 0
    assert await ports.bus.depth("cue.validation") == 0


async def test_the_openapi_document_lists_the_tracklist_routes(ports: Ports) -> None:
    async with client_for(create_app(ports, OPEN)) as client:
        document = (await client.get("/openapi.json")).json()
    for path in (
        "/v1/tracklists",
        "/v1/tracklists/{tracklist_id}",
        "/v1/tracklists/{tracklist_id}/versions",
        "/v1/tracklists/{tracklist_id}/edits",
        "/v1/tracklists/{tracklist_id}/cue",
        "/v1/recordings/{recording_id}/tracklists",
        "/v1/cue/validate",
        "/v1/cue/convert",
        "/v1/cue-files/{cue_file_id}",
        "/v1/cue-files/{cue_file_id}/download",
    ):
        assert path in document["paths"], path
    body = document["paths"]["/v1/tracklists"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    source = body["application/json"]["schema"]["properties"]["source"]
    assert "$ref" not in json.dumps(source)
    assert source["properties"]["format"]["anyOf"][0]["enum"][1] == "cue"


async def test_the_relay_reads_only_the_cue_reply_queues(ports: Ports) -> None:
    assert reply_queues(ports.bus.topology) == [
        "cue.generation.complete",
        "cue.generation.batch.complete",
    ]
