"""Health, readiness, metrics, authentication, rate limits, CORS and slow-client dropping."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tracktion.contracts import AnalysisRequest
from tracktion.core.bus import InMemoryBus
from tracktion.core.errors import ConfigurationError
from tracktion.services.api import ApiOptions, ConnectionManager, create_app, generate_token
from tracktion.services.api.metrics import ApiMetrics

from .conftest import Ports, client_for

pytestmark = pytest.mark.anyio


async def test_health_and_ready_need_no_token(ports: Ports) -> None:
    app = create_app(ports, ApiOptions(tokens=("t",), relay=False))
    async with client_for(app) as client:
        health = await client.get("/health")
        ready = await client.get("/ready")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"catalog": "ok", "bus": "ok", "cache": "ok", "graph": "ok"},
    }


@pytest.mark.parametrize("backend", ["catalog", "bus", "cache"])
async def test_ready_fails_naming_the_backend_that_is_down(ports: Ports, backend: str) -> None:
    if backend == "catalog":
        await ports.catalog.close()
    elif backend == "cache":
        await ports.cache.close()
    else:  # a bus that never declared its queues cannot report a depth
        ports = Ports(InMemoryBus(), ports.catalog, ports.cache, ports.graph)
    async with client_for(create_app(ports, ApiOptions(relay=False))) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"][backend] != "ok"
    assert [name for name, result in body["checks"].items() if result != "ok"] == [backend]


async def test_bearer_tokens_guard_every_other_route(ports: Ports) -> None:
    token = generate_token()
    app = create_app(ports, ApiOptions(tokens=("other", token), relay=False))
    async with client_for(app) as client:
        missing = await client.get("/v1/recordings")
        wrong = await client.get("/v1/recordings", headers={"Authorization": "Bearer nope"})
        basic = await client.get("/v1/jobs", headers={"Authorization": "Basic abc"})
        good = await client.get("/v1/recordings", headers={"Authorization": f"Bearer {token}"})
        metrics = await client.get("/metrics")
        metrics_ok = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "missing bearer token" in missing.json()["message"]
    assert wrong.status_code == 401
    assert "invalid bearer token" in wrong.json()["message"]
    assert basic.status_code == 401
    assert good.status_code == 200
    assert metrics.status_code == 401
    assert metrics_ok.status_code == 200


async def test_rate_limit_answers_429_with_retry_after(ports: Ports) -> None:
    app = create_app(ports, ApiOptions(rate_limit_per_minute=2, relay=False))
    async with client_for(app) as client:
        statuses = [(await client.get("/v1/jobs")).status_code for _ in range(3)]
        limited = await client.get("/v1/jobs")
        health = await client.get("/health")
    assert statuses == [200, 200, 429]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "2 requests per minute" in limited.json()["message"]
    assert health.status_code == 200


async def test_cors_allows_configured_origins_only(ports: Ports) -> None:
    app = create_app(ports, ApiOptions(cors_origins=("https://dj.example",), relay=False))
    preflight = {"Access-Control-Request-Method": "GET"}
    async with client_for(app) as client:
        allowed = await client.options(
            "/v1/recordings", headers={"Origin": "https://dj.example", **preflight}
        )
        refused = await client.options(
            "/v1/recordings", headers={"Origin": "https://evil.example", **preflight}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://dj.example"
    assert "access-control-allow-origin" not in refused.headers


async def test_metrics_show_requests_queues_and_connections(ports: Ports) -> None:
    app = create_app(ports, ApiOptions(relay=False, metrics_public=True))
    request = AnalysisRequest(
        recording_id=uuid.uuid4(), file_path="/music/a.mp3", correlation_id=uuid.uuid4()
    )
    await ports.bus.publish(request)
    async with client_for(app) as client:
        await client.get("/v1/jobs")
        await client.get(f"/v1/jobs/{uuid.uuid4()}")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'tracktion_api_requests_total{method="GET",route="/v1/jobs",status="200"} 1.0' in text
    assert 'route="/v1/jobs/{job_id}",status="404"} 1.0' in text
    assert 'tracktion_queue_depth{queue="analysis_queue"} 1.0' in text
    assert 'tracktion_queue_depth{queue="analysis_queue.dlq"} 0.0' in text
    assert "tracktion_ws_connections 0.0" in text
    assert "tracktion_api_request_duration_seconds_bucket" in text
    # Each app has its own registry: a second app starts from zero.
    async with client_for(create_app(ports, ApiOptions(relay=False))) as other:
        assert "tracktion_api_requests_total{" not in (await other.get("/metrics")).text


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"tokens": (" ",)}, "tokens"),
        ({"rate_limit_per_minute": 0}, "rate_limit_per_minute"),
        ({"ws_messages_per_second": 0}, "ws_messages_per_second"),
        ({"ws_send_queue": 0}, "ws_send_queue"),
        ({"ready_timeout_s": float("inf")}, "ready_timeout_s"),
    ],
)
def test_bad_options_name_the_option(options: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        ApiOptions(**options)


class _Socket:
    """A connection whose peer reads only when told to (a slow client)."""

    application_state: Any = None

    def __init__(self, *, reads: bool) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self._reads = asyncio.Event()
        if reads:
            self._reads.set()

    async def send_text(self, text: str) -> None:
        await self._reads.wait()
        self.sent.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def test_a_slow_client_is_dropped_without_holding_others_back() -> None:
    from starlette.websockets import WebSocketState

    metrics = ApiMetrics()
    manager = ConnectionManager(ApiOptions(ws_send_queue=3), metrics)
    recording = uuid.uuid4()
    slow, fast = _Socket(reads=False), _Socket(reads=True)
    slow.application_state = fast.application_state = WebSocketState.CONNECTED
    slow_client = manager.connect(slow, uuid.uuid4())  # type: ignore[arg-type]
    fast_client = manager.connect(fast, uuid.uuid4())  # type: ignore[arg-type]
    manager.subscribe(slow_client, recording)
    manager.subscribe(fast_client, recording)

    # The slow sender holds one message; three more fill its queue; the next drops it.
    delivered = []
    for n in range(6):
        delivered.append(manager.broadcast(recording, f"m{n}"))
        await asyncio.sleep(0)  # the senders run between two bus messages
    await asyncio.sleep(0.05)
    assert delivered[:4] == [2, 2, 2, 2]
    assert delivered[4] == 1
    assert delivered[5] == 1
    assert fast.sent == [f"m{n}" for n in range(6)]
    assert slow.closed is not None
    assert slow.closed[0] == 1013
    assert manager.count == 1
    assert manager.subscribers(recording) == 1
    assert metrics.ws_dropped._value.get() == 1
    await manager.close_all()
    assert fast.closed == (1001, "server shutting down")


async def test_the_service_serves_until_cancelled(ports: Ports) -> None:
    import socket

    import httpx

    from tracktion.services.api import build

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = build(ports, ApiOptions(relay=False), port=port)
    task = asyncio.create_task(service.run())
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                response = await client.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.02)
        assert response.status_code == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with socket.socket() as again:  # the port is free again
        again.bind(("127.0.0.1", port))
