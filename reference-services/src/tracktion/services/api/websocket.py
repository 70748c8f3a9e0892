"""The ``/v1/ws`` WebSocket: connection manager and protocol (seed document 004).

Protocol, both directions modelled in :mod:`tracktion.contracts.websocket`:

1. The origin is checked (``ApiOptions.ws_allowed_origins``) and the ``client_id`` query
   parameter read (a UUID; generated when absent). With authentication on, a valid
   ``?token=`` is required, or else the first message must be ``{"type": "auth",
   "token": ...}`` within ``ws_auth_timeout_s``. Refusals before the handshake close with
   code 1008 (the HTTP upgrade gets 403); a failed ``auth`` message gets an ``error``
   message, then close code 1008.
2. The server sends ``welcome`` with the client's id.
3. The client sends ``ping`` (answered ``pong`` with the server's clock),
   ``subscribe``/``unsubscribe`` (answered ``subscribed``/``unsubscribed``) and
   ``get_status`` (answered ``status``). Invalid JSON, an unknown ``type``, an invalid
   message, a message over ``ws_max_message_bytes`` or over the client's rate limit is
   answered with a generic ``error`` message naming the problem; the connection stays.
4. Updates about a recording (progress, ``analysis_complete``, errors) go only to the
   clients subscribed to it.

Fan-out: every message to a client goes through that client's bounded send queue, which
one sender task drains; so a broadcast serializes its message once, enqueues it for each
subscriber without waiting, and the sockets are written concurrently. A client whose
queue is full (it does not read fast enough) is disconnected with code 1013 rather than
holding the others back. Disconnected clients are forgotten at once, with their
subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from uuid import UUID

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from tracktion.contracts import ContractValidationError
from tracktion.contracts.websocket import (
    CLIENT_MESSAGE_TYPES,
    AuthMessage,
    ErrorMessage,
    GetStatusMessage,
    PingMessage,
    PongMessage,
    RecordingUpdate,
    StatusMessage,
    SubscribedMessage,
    SubscribeMessage,
    UnsubscribedMessage,
    UnsubscribeMessage,
    WelcomeMessage,
    parse_client_message,
)

from .auth import TokenChecker
from .metrics import ApiMetrics
from .options import ApiOptions
from .ratelimit import TokenBucket

__all__ = ["Client", "ConnectionManager", "websocket_endpoint"]

log = logging.getLogger("tracktion.api.ws")

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
GOING_AWAY = 1001
_CLOSE_TIMEOUT_S = 1.0
_KNOWN_TYPES = ", ".join(sorted(CLIENT_MESSAGE_TYPES))


@dataclass(eq=False)
class Client:
    """One connected WebSocket client."""

    id: UUID
    websocket: WebSocket
    queue: asyncio.Queue[str]
    limiter: TokenBucket
    connected_at: float = field(default_factory=time.time)
    subscriptions: set[UUID] = field(default_factory=set)
    sender: asyncio.Task[None] | None = None
    gone: bool = False


class ConnectionManager:
    """Connected clients, their subscriptions, and delivery through bounded queues."""

    def __init__(self, options: ApiOptions, metrics: ApiMetrics) -> None:
        self._options = options
        self._metrics = metrics
        self._clients: dict[UUID, Client] = {}
        self._subscribers: dict[UUID, set[Client]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def count(self) -> int:
        """How many clients are connected."""
        return len(self._clients)

    def client(self, client_id: UUID) -> Client | None:
        """The connected client with this id."""
        return self._clients.get(client_id)

    def subscribers(self, recording_id: UUID) -> int:
        """How many clients are subscribed to a recording."""
        return len(self._subscribers.get(recording_id, ()))

    def connect(self, websocket: WebSocket, client_id: UUID) -> Client:
        """Register an accepted connection and start its sender. A client already
        connected with the same id is replaced (disconnected with code 1008)."""
        previous = self._clients.get(client_id)
        if previous is not None:
            self._drop(previous, POLICY_VIOLATION, "replaced by a new connection")
        client = Client(
            id=client_id,
            websocket=websocket,
            queue=asyncio.Queue(self._options.ws_send_queue),
            limiter=TokenBucket(
                self._options.ws_messages_per_second, self._options.ws_message_burst
            ),
        )
        client.sender = asyncio.create_task(self._pump(client), name=f"ws sender {client_id}")
        self._clients[client_id] = client
        self._metrics.ws_connections.set(len(self._clients))
        return client

    async def disconnect(self, client: Client) -> None:
        """Forget a client and its subscriptions and stop its sender (idempotent)."""
        self._forget(client)
        if client.sender is not None and not client.sender.done():
            client.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await client.sender

    def subscribe(self, client: Client, recording_id: UUID) -> None:
        """Deliver updates about ``recording_id`` to ``client``."""
        client.subscriptions.add(recording_id)
        self._subscribers.setdefault(recording_id, set()).add(client)

    def unsubscribe(self, client: Client, recording_id: UUID) -> None:
        """Stop delivering updates about ``recording_id`` to ``client``."""
        client.subscriptions.discard(recording_id)
        members = self._subscribers.get(recording_id)
        if members is not None:
            members.discard(client)
            if not members:
                del self._subscribers[recording_id]

    def send(self, client: Client, text: str) -> bool:
        """Queue ``text`` for ``client``; a client whose queue is full is dropped.
        Returns whether it was queued."""
        if client.gone:
            return False
        try:
            client.queue.put_nowait(text)
        except asyncio.QueueFull:
            self._metrics.ws_dropped.inc()
            self._drop(client, TRY_AGAIN_LATER, "too slow: send queue full")
            return False
        return True

    def broadcast(self, recording_id: UUID, text: str) -> int:
        """Queue ``text`` for every subscriber of ``recording_id``; returns how many."""
        members = self._subscribers.get(recording_id)
        if not members:
            return 0
        return sum(self.send(client, text) for client in tuple(members))

    def publish(self, update: RecordingUpdate) -> int:
        """Send an update to the recording's subscribers, serialized once."""
        return self.broadcast(update.recording_id, update.model_dump_json())

    def status(self, client: Client) -> StatusMessage:
        """The ``status`` answer for ``client``."""
        return StatusMessage(
            client_id=client.id,
            subscriptions=sorted(client.subscriptions, key=str),
            connected_at=client.connected_at,
            total_connections=max(1, len(self._clients)),
        )

    async def close_all(self, code: int = GOING_AWAY, reason: str = "server shutting down") -> None:
        """Disconnect every client (at shutdown)."""
        for client in list(self._clients.values()):
            self._drop(client, code, reason)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # -- internals -------------------------------------------------------------------------

    def _forget(self, client: Client) -> None:
        client.gone = True
        for recording_id in list(client.subscriptions):
            self.unsubscribe(client, recording_id)
        if self._clients.get(client.id) is client:
            del self._clients[client.id]
            self._metrics.ws_connections.set(len(self._clients))

    def _drop(self, client: Client, code: int, reason: str) -> None:
        if client.gone:
            return
        self._forget(client)
        task = asyncio.create_task(self._close(client, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, client: Client, code: int, reason: str) -> None:
        if client.sender is not None and not client.sender.done():
            client.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await client.sender
        if client.websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):  # the peer may be gone already
                async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                    await client.websocket.close(code, reason)

    async def _pump(self, client: Client) -> None:
        websocket = client.websocket
        sent = self._metrics.ws_sent
        try:
            while True:
                text = await client.queue.get()
                await websocket.send_text(text)
                sent.inc()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the connection broke: the receive loop cleans up
            log.debug("sending to %s failed: %s", client.id, exc)
            self._forget(client)


# -- the endpoint --------------------------------------------------------------------------


def _error(message: str) -> str:
    return ErrorMessage(message=message).model_dump_json()


def _field_errors(exc: ContractValidationError) -> str:
    return "; ".join(str(error) for error in exc.errors)


class _Session:
    """The protocol on one accepted connection."""

    def __init__(
        self,
        websocket: WebSocket,
        manager: ConnectionManager,
        options: ApiOptions,
        metrics: ApiMetrics,
    ) -> None:
        self.websocket = websocket
        self.manager = manager
        self.options = options
        self.metrics = metrics

    async def run(self, client: Client) -> None:
        self.manager.send(client, WelcomeMessage(client_id=client.id).model_dump_json())
        while not client.gone:
            raw = await self._receive()
            if raw is None:
                return
            reply = self._handle(client, raw)
            if reply is not None:
                self.manager.send(client, reply)

    async def _receive(self) -> str | bytes | None:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        text: str | None = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    def _handle(self, client: Client, raw: str | bytes) -> str | None:
        if not client.limiter.take():
            self.metrics.errors.labels("ws_rate_limited").inc()
            return _error(
                f"rate limit exceeded: at most {self.options.ws_messages_per_second:g} "
                f"messages per second (bursts of {self.options.ws_message_burst}); "
                "this message was ignored"
            )
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        if size > self.options.ws_max_message_bytes:
            self.metrics.errors.labels("ws_protocol").inc()
            return _error(
                f"message too large: {size} bytes; the limit is "
                f"{self.options.ws_max_message_bytes} bytes"
            )
        parsed = self._parse(raw)
        if isinstance(parsed, str):
            self.metrics.errors.labels("ws_protocol").inc()
            return parsed
        self.metrics.ws_received.labels(parsed.type).inc()
        match parsed:
            case PingMessage():
                return PongMessage(timestamp=time.time()).model_dump_json()
            case SubscribeMessage(recording_id=recording_id):
                self.manager.subscribe(client, recording_id)
                return SubscribedMessage(
                    recording_id=recording_id,
                    message=f"Subscribed to updates for recording {recording_id}",
                ).model_dump_json()
            case UnsubscribeMessage(recording_id=recording_id):
                self.manager.unsubscribe(client, recording_id)
                return UnsubscribedMessage(
                    recording_id=recording_id,
                    message=f"Unsubscribed from updates for recording {recording_id}",
                ).model_dump_json()
            case GetStatusMessage():
                return self.manager.status(client).model_dump_json()
            case AuthMessage():
                return _error("already authenticated: send 'auth' only as the first message")
        return _error(f"unhandled message type {parsed.type!r}")  # pragma: no cover

    def _parse(
        self, raw: str | bytes
    ) -> PingMessage | SubscribeMessage | UnsubscribeMessage | GetStatusMessage | AuthMessage | str:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            self.metrics.ws_received.labels("invalid").inc()
            return _error(f"invalid JSON: {exc}")
        if not isinstance(data, dict):
            self.metrics.ws_received.labels("invalid").inc()
            return _error(
                f"a message must be a JSON object with a 'type', not {type(data).__name__}"
            )
        kind = data.get("type")
        if kind not in CLIENT_MESSAGE_TYPES:
            self.metrics.ws_received.labels("invalid").inc()
            shown = "missing" if kind is None else repr(kind)
            return _error(f"unknown message type {shown}; expected one of: {_KNOWN_TYPES}")
        try:
            return parse_client_message(data)
        except ContractValidationError as exc:
            self.metrics.ws_received.labels("invalid").inc()
            return _error(f"invalid {kind} message: {_field_errors(exc)}")


async def _authenticate_first_message(
    websocket: WebSocket, options: ApiOptions, checker: TokenChecker
) -> bool:
    """Wait for the ``auth`` message; on failure send an error and close (1008)."""
    problem = "authentication required: send {'type': 'auth', 'token': ...} first"
    try:
        async with asyncio.timeout(options.ws_auth_timeout_s):
            message = await websocket.receive()
    except TimeoutError:
        problem = f"authentication timed out after {options.ws_auth_timeout_s:g} s"
    else:
        if message["type"] == "websocket.disconnect":
            return False
        raw = message.get("text") or message.get("bytes") or b""
        if len(raw) <= options.ws_max_message_bytes:
            with contextlib.suppress(ValueError, ContractValidationError):
                parsed = parse_client_message(raw)
                if isinstance(parsed, AuthMessage):
                    if checker.valid(parsed.token):
                        return True
                    problem = "authentication failed: invalid token"
    with contextlib.suppress(Exception):
        await websocket.send_text(_error(problem))
        await websocket.close(POLICY_VIOLATION, problem[:120])
    return False


async def websocket_endpoint(websocket: WebSocket) -> None:
    """Serve one WebSocket connection (mounted at ``/v1/ws``)."""
    from .context import context_of  # the context module imports this one

    ctx = context_of(websocket.app)
    options, metrics = ctx.options, ctx.metrics
    origin = websocket.headers.get("origin")
    if (
        options.ws_allowed_origins is not None
        and origin
        and origin not in options.ws_allowed_origins
    ):
        metrics.errors.labels("ws_origin").inc()
        await websocket.close(POLICY_VIOLATION, f"origin {origin} is not allowed")
        return
    given = websocket.query_params.get("client_id")
    try:
        client_id = uuid.uuid4() if given is None else UUID(given)
    except ValueError:
        metrics.errors.labels("ws_protocol").inc()
        await websocket.close(POLICY_VIOLATION, "client_id must be a UUID")
        return
    authenticated = not ctx.tokens.required
    token = websocket.query_params.get("token")
    if not authenticated and token is not None:
        if not ctx.tokens.valid(token):
            metrics.errors.labels("auth").inc()
            await websocket.close(POLICY_VIOLATION, "invalid token")
            return
        authenticated = True
    await websocket.accept()
    if not authenticated and not await _authenticate_first_message(websocket, options, ctx.tokens):
        metrics.errors.labels("auth").inc()
        return
    manager = ctx.manager
    client = manager.connect(websocket, client_id)
    try:
        await _Session(websocket, manager, options, metrics).run(client)
    except WebSocketDisconnect:
        pass
    finally:
        await manager.disconnect(client)
