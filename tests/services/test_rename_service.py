"""The rename service: proposals after analysis, safe renames on request (replied on
rename.response), pattern analysis and feedback stored and learned from; on the embedded
bus + SQLite and once on RabbitMQ + PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.core.files.helpers import eventually
from tests.services.file_helpers import (
    Backends,
    backends,
    drain,
    migrated_catalog,
    run_in_background,
    shared_postgres_catalog,
)
from tracktion.contracts import (
    AnalysisCompleteEvent,
    AnalysisResults,
    FeedbackType,
    PatternAnalysisRequest,
    RenameFeedback,
    RenameOptions,
    RenameRequest,
)
from tracktion.core.catalog import (
    CatalogStore,
    FileObservation,
    JobStatus,
    JournalState,
    RenameProposal,
    RenameStatus,
)
from tracktion.core.hashing import hash_file
from tracktion.services.rename import (
    FEEDBACK_JOB,
    PATTERN_JOB,
    RenameService,
    RenameServiceOptions,
    fields_from_tags,
    library_root_of,
)

__all__ = ["backends", "migrated_catalog", "shared_postgres_catalog"]

pytestmark = pytest.mark.anyio


async def catalogued(catalog: CatalogStore, path: Path, root: Path, **tags: str) -> uuid.UUID:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(64))
    digest = hash_file(path)
    stat = path.stat()
    async with catalog.transaction() as tx:
        upsert = await tx.upsert_file(
            FileObservation(
                str(path),
                str(root),
                stat.st_size,
                stat.st_mtime_ns,
                digest.sha256,
                digest.xxh128,
                datetime.now(UTC),
            )
        )
        await tx.set_tags(upsert.recording_id, tags, source="file")
    return upsert.recording_id


def analysis_complete(path: Path, recording_id: uuid.UUID) -> AnalysisCompleteEvent:
    return AnalysisCompleteEvent(
        recording_id=recording_id,
        file_path=str(path),
        results=AnalysisResults(bpm=127.9, camelot="8A", energy_level=7),
        algorithm_version="test",
        processing_time_ms=1.0,
        correlation_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
    )


async def test_analysis_complete_stores_a_proposal_and_announces_it(
    backends: Backends, tmp_path: Path
) -> None:
    bus, catalog = backends.bus, backends.catalog
    root = tmp_path / "lib"
    path = root / "in" / "track01.mp3"
    recording = await catalogued(catalog, path, root, artist="Daft Punk", title="Da Funk")
    options = RenameServiceOptions(template="key-bpm-artist-title", library_roots=(str(root),))
    service = RenameService(bus, catalog, options)
    event = analysis_complete(path, recording)
    async with run_in_background(service.run):
        await bus.publish(event, message_id="analysis-1")
        await bus.publish(event, message_id="analysis-1")  # redelivered
        await eventually(lambda: proposals_of(catalog, path))
        notifications = backends.name("notification_queue")
        await eventually(lambda: bus.depth(notifications))
    [proposal] = await proposals_of(catalog, path)
    assert proposal.new_path == str(root / "in" / "08A - 128 - Daft Punk - Da Funk.mp3")
    assert proposal.confidence == 1.0
    assert proposal.status is RenameStatus.PROPOSED
    generated = [m for m in await drain(bus, notifications) if "proposal_id" in m]
    assert {m["proposal_id"] for m in generated} == {str(proposal.id)}
    assert path.exists()  # proposing never moves a file


async def test_rename_requests_move_safely_and_reply(backends: Backends, tmp_path: Path) -> None:
    bus, catalog = backends.bus, backends.catalog
    root = tmp_path / "lib"
    path = root / "a.mp3"
    await catalogued(catalog, path, root)
    (root / "a.cue").write_text("cue sheet")
    (root / "Taken.mp3").write_bytes(b"someone else")
    service = RenameService(bus, catalog, RenameServiceOptions(library_roots=(str(root),)))
    good = RenameRequest(
        file_path=str(path),
        suggested_name="Artist: Title",
        options=RenameOptions(backup_original=True),
        correlation_id=uuid.uuid4(),
    )
    taken = RenameRequest(
        file_path=str(root / "Artist - Title.mp3"),
        suggested_name="Taken",
        correlation_id=uuid.uuid4(),
    )
    escape = RenameRequest(
        file_path=str(root / "Artist - Title.mp3"),
        suggested_name="../x.mp3",
        correlation_id=uuid.uuid4(),
    )
    responses = backends.name("file_rename.response")
    async with run_in_background(service.run):
        await bus.publish(good, message_id="rename-1")
        await eventually(lambda: bus.depth(responses))
        await bus.publish(taken, message_id="rename-2")
        await bus.publish(escape, message_id="rename-3")
        await eventually(lambda: _at_least(bus.depth(responses), 3))
    replies = {m["correlation_id"]: m for m in await drain(bus, responses)}
    first = replies[str(good.correlation_id)]
    assert first["success"] is True
    assert first["new_path"] == str(root / "Artist - Title.mp3")
    assert (root / "Artist - Title.cue").read_text() == "cue sheet"  # the sidecar came along
    assert await catalog.get_file(str(root / "Artist - Title.mp3")) is not None
    assert await catalog.get_file(str(path)) is None
    assert (root / "Taken.mp3").read_bytes() == b"someone else"
    assert replies[str(taken.correlation_id)]["success"] is False
    assert "never overwritten" in replies[str(taken.correlation_id)]["error"]
    assert "leaves the folder" in replies[str(escape.correlation_id)]["error"]
    assert (root / "a.mp3.bak").read_bytes() == (root / "Artist - Title.mp3").read_bytes()


async def _at_least(depth: Awaitable[int], count: int) -> bool:
    return await depth >= count


async def test_pattern_analysis_and_feedback_are_stored_and_learned(
    backends: Backends, tmp_path: Path
) -> None:
    bus, catalog = backends.bus, backends.catalog
    root = tmp_path / "lib"
    path = root / "x.mp3"
    recording = await catalogued(catalog, path, root, artist="A", title="T", bpm="128")
    service = RenameService(bus, catalog, RenameServiceOptions(library_roots=(str(root),)))
    request = PatternAnalysisRequest(
        file_paths=["/m/01 - A - X.mp3", "/m/02 - B - Y.mp3", "/m/odd.mp3"],
        correlation_id=uuid.uuid4(),
    )
    async with run_in_background(service.run):
        await bus.publish(request, message_id="pattern-1")
        await bus.publish(analysis_complete(path, recording), message_id="analysis-2")
        await eventually(lambda: proposals_of(catalog, path))
        [proposal] = await proposals_of(catalog, path)
        feedback = RenameFeedback(
            rename_id=proposal.id,
            feedback_type=FeedbackType.MODIFIED,
            message="128 -- A -- T.mp3",
            user_rating=5,
            correlation_id=uuid.uuid4(),
        )
        await bus.publish(feedback, message_id="feedback-1")
        await bus.publish(feedback, message_id="feedback-1")
        await eventually(lambda: catalog.list_jobs(correlation_id=feedback.correlation_id))
        await eventually(lambda: catalog.list_jobs(correlation_id=request.correlation_id))
    [pattern_job] = await catalog.list_jobs(correlation_id=request.correlation_id)
    assert pattern_job.type == PATTERN_JOB
    assert pattern_job.status is JobStatus.SUCCEEDED
    assert pattern_job.correlation_id == request.correlation_id
    assert isinstance(pattern_job.result, dict)
    assert pattern_job.result["dominant"] == "{track} - {artist} - {title}"
    assert pattern_job.result["outliers"] == ["/m/odd.mp3"]
    [feedback_job] = await catalog.list_jobs(correlation_id=feedback.correlation_id)
    assert feedback_job.type == FEEDBACK_JOB
    assert feedback_job.payload["chosen_name"] == "128 -- A -- T.mp3"
    # The user's own shape now names the next file, and reads names of that shape.
    other = root / "y.mp3"
    second = await catalogued(catalog, other, root, artist="B", title="U", bpm="130")
    async with run_in_background(service.run):
        await bus.publish(analysis_complete(other, second), message_id="analysis-3")
        await eventually(lambda: proposals_of(catalog, other))
    [latest] = await proposals_of(catalog, other)
    assert latest.template == "{bpm} -- {artist} -- {title}"
    assert latest.new_path == str(root / "128 -- B -- U.mp3")


async def proposals_of(catalog: CatalogStore, path: Path) -> list[RenameProposal]:
    record = await catalog.get_file(str(path))
    assert record is not None
    return await catalog.list_rename_proposals(file_id=record.id)


async def test_feedback_on_an_unknown_proposal_is_dead_lettered(
    backends: Backends, tmp_path: Path
) -> None:
    bus, catalog = backends.bus, backends.catalog
    service = RenameService(bus, catalog)
    feedback = RenameFeedback(
        rename_id=uuid.uuid4(), feedback_type=FeedbackType.ACCEPTED, correlation_id=uuid.uuid4()
    )
    dlq = backends.name("file_rename.feedback") + ".dlq"
    async with run_in_background(service.run):
        await bus.publish(feedback, message_id="feedback-unknown")
        await eventually(lambda: bus.depth(dlq))
    assert await catalog.list_jobs(correlation_id=feedback.correlation_id) == []


async def test_start_up_rolls_back_an_interrupted_batch(
    tmp_path: Path, migrated_catalog: Path
) -> None:
    import shutil

    from tracktion.core.bus import InMemoryBus
    from tracktion.core.catalog import JournalStep, open_catalog

    shutil.copy(migrated_catalog, tmp_path / "c.db")
    async with await open_catalog(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}") as catalog:
        old, new = tmp_path / "a.mp3", tmp_path / "b.mp3"
        new.write_bytes(b"moved before the crash")
        batch = uuid.uuid4()
        async with catalog.transaction() as tx:
            await tx.append_journal(batch, [JournalStep(str(old), str(new))])
        bus = InMemoryBus()
        await bus.declare()
        service = RenameService(bus, catalog)
        assert await service.recover() == [batch]
        assert old.read_bytes() == b"moved before the crash"
        assert not new.exists()
        [entry] = await catalog.journal(batch)
        assert entry.state is JournalState.UNDONE
        await bus.close()


def test_helpers() -> None:
    assert fields_from_tags({"album_artist": "X", "bpm": "127.5", "year": "x", "track": "3"}) == {
        "albumartist": "X",
        "bpm": 127.5,
        "track": 3,
    }
    assert library_root_of("/a/b/c.mp3", ["/a", "/a/b", "/z"]) == "/a/b"
    assert library_root_of("/q/c.mp3", ["/a"]) == "/q"
