"""The ``/v1/ws`` protocol on a real uvicorn server, with the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tracktion.contracts import (
    AnalysisCompleteEvent,
    AnalysisProgressEvent,
    AnalysisResults,
    AnalysisStatus,
    ErrorEvent,
    parse_server_message,
)
from tracktion.contracts.websocket import (
    ErrorMessage,
    PongMessage,
    RecordingUpdate,
    StatusMessage,
    SubscribedMessage,
    UnsubscribedMessage,
    WelcomeMessage,
)
from tracktion.services.api import ApiOptions, connection_manager, create_app

from .conftest import Ports, running

pytestmark = pytest.mark.anyio

TIMEOUT = 5.0


async def receive(ws: ClientConnection) -> Any:
    """The next server message, validated against the server union."""
    raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return parse_server_message(raw)


async def ask(ws: ClientConnection, message: dict[str, Any] | str) -> Any:
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    return await receive(ws)


@asynccontextmanager
async def server(ports: Ports, **options: Any) -> AsyncIterator[str]:
    app = create_app(ports, ApiOptions(**options))
    async with running(app) as base:
        yield f"{base}/v1/ws"


@asynccontextmanager
async def welcomed(url: str, **kwargs: Any) -> AsyncIterator[tuple[ClientConnection, uuid.UUID]]:
    async with connect(url, **kwargs) as ws:
        welcome = await receive(ws)
        assert isinstance(welcome, WelcomeMessage)
        yield ws, welcome.client_id


async def test_welcome_ping_subscribe_status_unsubscribe(ports: Ports) -> None:
    recording = uuid.uuid4()
    chosen = uuid.uuid4()
    async with server(ports, relay=False) as url:
        async with welcomed(f"{url}?client_id={chosen}") as (ws, client_id):
            assert client_id == chosen
            before = time.time()
            pong = await ask(ws, {"type": "ping"})
            assert isinstance(pong, PongMessage)
            assert before - 1 <= pong.timestamp <= time.time() + 1

            subscribed = await ask(ws, {"type": "subscribe", "recording_id": str(recording)})
            assert isinstance(subscribed, SubscribedMessage)
            assert subscribed.recording_id == recording
            assert str(recording) in subscribed.message

            status = await ask(ws, {"type": "get_status"})
            assert isinstance(status, StatusMessage)
            assert status.client_id == chosen
            assert status.subscriptions == [recording]
            assert status.total_connections == 1
            assert status.connected_at <= time.time()

            unsubscribed = await ask(ws, {"type": "unsubscribe", "recording_id": str(recording)})
            assert isinstance(unsubscribed, UnsubscribedMessage)
            assert (await ask(ws, {"type": "get_status"})).subscriptions == []

        async with welcomed(url) as (_, generated):
            assert generated != chosen


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "shout"}', "unknown message type 'shout'"),
        ('{"recording_id": "x"}', "unknown message type missing"),
        (
            '{"type": "subscribe", "recording_id": "nope"}',
            "invalid subscribe message: recording_id",
        ),
        ('{"type": "subscribe"}', "recording_id"),
        ('{"type": "ping", "pad": "' + "x" * 300 + '"}', "message too large"),
        ('{"type": "auth", "token": "t"}', "already authenticated"),
    ],
)
async def test_bad_messages_get_an_error_and_the_connection_stays(
    ports: Ports, sent: str, expected: str
) -> None:
    async with (
        server(ports, relay=False, ws_max_message_bytes=256) as url,
        welcomed(url) as (ws, _),
    ):
        error = await ask(ws, sent)
        assert isinstance(error, ErrorMessage)
        assert expected in error.message
        assert isinstance(await ask(ws, {"type": "ping"}), PongMessage)


async def test_binary_frames_are_read_as_json(ports: Ports) -> None:
    async with server(ports, relay=False) as url, welcomed(url) as (ws, _):
        await ws.send(b'{"type": "ping"}')
        assert isinstance(await receive(ws), PongMessage)


async def test_messages_over_the_rate_limit_are_refused(ports: Ports) -> None:
    limits = {"ws_messages_per_second": 0.5, "ws_message_burst": 3}
    async with server(ports, relay=False, **limits) as url, welcomed(url) as (ws, _):
        replies = [await ask(ws, {"type": "ping"}) for _ in range(4)]
    assert [type(reply) for reply in replies[:3]] == [PongMessage] * 3
    assert isinstance(replies[3], ErrorMessage)
    assert "rate limit exceeded" in replies[3].message


async def test_origins_not_allowed_are_refused(ports: Ports) -> None:
    async with server(ports, relay=False, ws_allowed_origins=("https://dj.example",)) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin="https://evil.example"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
        async with welcomed(url, origin="https://dj.example") as (ws, _):
            assert isinstance(await ask(ws, {"type": "ping"}), PongMessage)
        async with welcomed(url) as (ws, _):  # no Origin header: not a browser
            assert isinstance(await ask(ws, {"type": "ping"}), PongMessage)


async def test_an_invalid_client_id_is_refused(ports: Ports) -> None:
    async with server(ports, relay=False) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}?client_id=not-a-uuid"):
                pass
    assert refused.value.response.status_code == 403


async def test_token_in_the_query_or_as_first_message(ports: Ports) -> None:
    async with server(ports, relay=False, tokens=("s3cret",), ws_auth_timeout_s=0.5) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}?token=wrong"):
                pass
        assert refused.value.response.status_code == 403

        async with welcomed(f"{url}?token=s3cret") as (ws, _):
            assert isinstance(await ask(ws, {"type": "ping"}), PongMessage)

        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "auth", "token": "s3cret"}))
            assert isinstance(await receive(ws), WelcomeMessage)

        async with connect(url) as ws:
            error = await ask(ws, {"type": "auth", "token": "wrong"})
            assert isinstance(error, ErrorMessage)
            assert "invalid token" in error.message
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008

        async with connect(url) as ws:
            error = await ask(ws, {"type": "ping"})  # not authenticated yet
            assert isinstance(error, ErrorMessage)
            assert "authentication required" in error.message

        async with connect(url) as ws:  # says nothing
            error = await receive(ws)
            assert isinstance(error, ErrorMessage)
            assert "timed out" in error.message


def _progress(
    recording: uuid.UUID, progress: float, correlation: uuid.UUID
) -> AnalysisProgressEvent:
    return AnalysisProgressEvent(
        recording_id=recording,
        progress=progress,
        status=AnalysisStatus.ANALYZING,
        message="Processing audio analysis",
        correlation_id=correlation,
        timestamp=datetime.now(UTC),
    )


async def test_only_subscribers_receive_a_recordings_updates(ports: Ports) -> None:
    watched, other = uuid.uuid4(), uuid.uuid4()
    correlation = uuid.uuid4()
    async with (
        server(ports) as url,
        welcomed(url) as (fan, _),
        welcomed(url) as (elsewhere, _),
        welcomed(url) as (idle, _),
    ):
        await ask(fan, {"type": "subscribe", "recording_id": str(watched)})
        await ask(elsewhere, {"type": "subscribe", "recording_id": str(other)})

        await ports.bus.publish(_progress(watched, 0.75, correlation))
        update = await receive(fan)
        assert isinstance(update, RecordingUpdate)
        assert update.recording_id == watched
        assert update.data.type == "progress"
        assert update.data.progress == 0.75
        assert update.data.status == "analyzing"

        results = AnalysisResults(bpm=128.5, key="C major", energy=0.8)
        await ports.bus.publish(
            AnalysisCompleteEvent(
                recording_id=watched,
                file_path="/music/a.mp3",
                results=results,
                algorithm_version="test-1",
                processing_time_ms=12.0,
                correlation_id=correlation,
                timestamp=datetime.now(UTC),
            )
        )
        complete = await receive(fan)
        assert complete.data.type == "analysis_complete"
        assert complete.data.results.bpm == 128.5
        assert complete.data.results.key == "C major"

        await ports.bus.publish(
            ErrorEvent(
                service="analysis",
                error_code="ANALYSIS_ERROR",
                error="Analysis failed",
                details={"decoder": "ffmpeg"},
                recording_id=watched,
                file_path="/music/a.mp3",
                correlation_id=correlation,
                timestamp=datetime.now(UTC),
            )
        )
        failed = await receive(fan)
        assert failed.data.type == "error"
        assert failed.data.error == "Analysis failed"
        assert failed.data.details.error_code == "ANALYSIS_ERROR"
        assert failed.data.details.file_path == "/music/a.mp3"
        assert failed.data.details.model_extra == {"decoder": "ffmpeg"}

        # A pong as the next message proves no update was queued before it.
        for bystander in (elsewhere, idle):
            assert isinstance(await ask(bystander, {"type": "ping"}), PongMessage)
        await ports.bus.publish(_progress(other, 0.1, correlation))
        assert (await receive(elsewhere)).recording_id == other
        assert isinstance(await ask(fan, {"type": "ping"}), PongMessage)


async def test_relayed_events_move_the_analysis_job(ports: Ports) -> None:
    from .conftest import Library, client_for

    library = Library(ports.catalog)
    recording = await library.add("a.flac")
    app = create_app(ports, ApiOptions())
    async with running(app) as base, client_for(app) as client:
        job_id = uuid.UUID(
            (await client.post(f"/v1/recordings/{recording}/analyze")).json()["job_id"]
        )
        async with welcomed(f"{base}/v1/ws") as (ws, _):
            await ask(ws, {"type": "subscribe", "recording_id": str(recording)})
            await ports.bus.publish(_progress(recording, 0.5, job_id))
            await receive(ws)
            job = None
            for _ in range(100):
                job = await ports.catalog.get_job(job_id)
                if job is not None and job.status == "running":
                    break
                await asyncio.sleep(0.02)
            assert job is not None
            assert job.status == "running"
            assert job.progress == 0.5
            assert job.message == "Processing audio analysis"


async def test_disconnected_clients_are_forgotten(ports: Ports) -> None:
    app = create_app(ports, ApiOptions(relay=False))
    manager = connection_manager(app)
    recording = uuid.uuid4()
    async with running(app) as base:
        async with welcomed(f"{base}/v1/ws") as (ws, _):
            await ask(ws, {"type": "subscribe", "recording_id": str(recording)})
            assert manager.count == 1
            assert manager.subscribers(recording) == 1
        for _ in range(100):
            if manager.count == 0:
                break
            await asyncio.sleep(0.02)
        assert manager.count == 0
        assert manager.subscribers(recording) == 0


async def test_the_relay_queue_lives_while_the_app_runs(ports: Ports) -> None:
    app = create_app(ports, ApiOptions(instance_id="test"))
    before = {queue.name for queue in ports.bus.topology.queues}
    async with running(app):
        during = {queue.name for queue in ports.bus.topology.queues}
        assert during - before == {"api.relay.test"}
        queue = ports.bus.topology.queue("api.relay.test")
        assert (queue.exclusive, queue.auto_delete, queue.durable) == (True, True, False)
    assert {queue.name for queue in ports.bus.topology.queues} == before
