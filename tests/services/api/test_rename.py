"""``/v1/rename``: proposals through their statuses, apply and undo on real files."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracktion.core.catalog import FileObservation
from tracktion.services.api import ApiOptions, create_app

from .conftest import Ports, client_for

pytestmark = pytest.mark.anyio


async def _proposal(ports: Ports, root: Path, name: str, target: str) -> uuid.UUID:
    path = root / name
    data = f"{root}:{name}".encode()
    path.write_bytes(data)
    observation = FileObservation(
        path=str(path),
        root=str(root),
        size_bytes=len(data),
        mtime_ns=path.stat().st_mtime_ns,
        sha256=hashlib.sha256(data).hexdigest(),
        xxh128=hashlib.blake2b(data, digest_size=16).hexdigest(),
        seen_at=datetime.now(UTC),
    )
    file_id = (await ports.catalog.upsert_file(observation)).file_id
    proposal = await ports.catalog.propose_rename(
        file_id,
        str(root / target),
        template="{artist} - {title}",
        fields={"artist": "A"},
        confidence=0.9,
        reasons=["from tags"],
    )
    return proposal.id


async def test_review_apply_and_undo(ports: Ports, tmp_path: Path) -> None:
    first = await _proposal(ports, tmp_path, "track01.mp3", "A/A - One.mp3")
    second = await _proposal(ports, tmp_path, "track02.mp3", "A - Two.mp3")
    app = create_app(ports, ApiOptions(relay=False, library_root=str(tmp_path)))
    async with client_for(app) as client:
        listed = await client.get("/v1/rename/proposals", params={"status": "proposed"})
        assert {str(first), str(second)} <= {p["id"] for p in listed.json()["items"]}

        approved = await client.post(f"/v1/rename/proposals/{first}/approve")
        assert approved.json()["status"] == "approved"
        modified = await client.patch(
            f"/v1/rename/proposals/{second}", json={"new_path": str(tmp_path / "A - 2.mp3")}
        )
        assert modified.status_code == 200
        replacement = modified.json()["id"]
        old = (await client.get(f"/v1/rename/proposals/{second}")).json()
        assert old["status"] == "rejected"
        assert replacement in old["status_reason"]
        rejected = await client.post(
            f"/v1/rename/proposals/{replacement}/reject", json={"reason": "keep the old name"}
        )
        assert rejected.json()["status_reason"] == "keep the old name"

        not_approved = await client.post(
            "/v1/rename/apply", json={"proposal_ids": [str(first), replacement]}
        )
        assert not_approved.status_code == 409
        assert replacement in not_approved.json()["message"]
        assert (tmp_path / "track01.mp3").exists()

        applied = await client.post("/v1/rename/apply", json={"proposal_ids": [str(first)]})
        assert applied.status_code == 200, applied.text
        assert (tmp_path / "A" / "A - One.mp3").exists()
        assert not (tmp_path / "track01.mp3").exists()
        after = (await client.get(f"/v1/rename/proposals/{first}")).json()
        assert after["status"] == "applied"

        undone = await client.post(f"/v1/rename/batches/{applied.json()['batch_id']}/undo")
        assert undone.status_code == 200
        assert (tmp_path / "track01.mp3").exists()
        assert not (tmp_path / "A").exists()

        by_recording = await client.get(
            "/v1/rename/proposals", params={"recording_id": after["recording_id"]}
        )
        assert [p["id"] for p in by_recording.json()["items"]] == [str(first)]


async def test_review_errors(ports: Ports, tmp_path: Path) -> None:
    proposal = await _proposal(ports, tmp_path, "x.mp3", "y.mp3")
    missing = uuid.uuid4()
    async with client_for(create_app(ports, ApiOptions(relay=False))) as client:
        unknown = await client.post(f"/v1/rename/proposals/{missing}/approve")
        bad_status = await client.get("/v1/rename/proposals", params={"status": "maybe"})
        await client.post(f"/v1/rename/proposals/{proposal}/approve")
        no_root = await client.post("/v1/rename/apply", json={"proposal_ids": [str(proposal)]})
        empty = await client.post("/v1/rename/apply", json={"proposal_ids": []})
    assert unknown.status_code == 404
    assert str(missing) in unknown.json()["message"]
    assert bad_status.status_code == 422
    assert bad_status.json()["fields"][0]["field"] == "status"
    assert no_root.status_code == 409
    assert "library_root" in no_root.json()["message"]
    assert empty.status_code == 422
    assert empty.json()["fields"][0]["field"] == "proposal_ids"


async def test_patterns(ports: Ports) -> None:
    names = ["08A - 128 - Bicep - Glue.mp3", "09A - 124 - Ross - Love.mp3", "weird.mp3"]
    async with client_for(create_app(ports, ApiOptions(relay=False))) as client:
        presets = await client.get("/v1/rename/patterns")
        report = await client.post("/v1/rename/patterns/analyze", json={"names": names})
    assert "artist-title-mix" in presets.json()
    body = report.json()
    assert body["total"] == 3
    assert body["dominant"] == "{key} - {bpm} - {artist} - {title}"
    assert body["outliers"] == ["weird.mp3"]
