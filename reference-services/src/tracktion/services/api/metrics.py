"""Prometheus metrics of one API instance, in its own registry (never the global one).

Counters give rates through PromQL's ``rate()``; queue depths are read from the bus
when ``/metrics`` is scraped.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from tracktion.contracts import TracktionError
from tracktion.core.bus import MessageBus

__all__ = ["CONTENT_TYPE", "ApiMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format."""

log = logging.getLogger("tracktion.api")


class ApiMetrics:
    """The metrics of one app: HTTP requests, WebSocket traffic, relayed messages, errors
    and queue depths."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "tracktion_api_requests",
            "HTTP requests served, by method, route template and status code.",
            ("method", "route", "status"),
            registry=r,
        )
        self.http_seconds = Histogram(
            "tracktion_api_request_duration_seconds",
            "Time to serve an HTTP request, in seconds.",
            ("method", "route"),
            registry=r,
        )
        self.ws_connections = Gauge(
            "tracktion_ws_connections", "WebSocket clients connected now.", registry=r
        )
        self.ws_received = Counter(
            "tracktion_ws_messages_received",
            "Messages received from WebSocket clients, by type (invalid for unparsable).",
            ("type",),
            registry=r,
        )
        self.ws_sent = Counter(
            "tracktion_ws_messages_sent", "Messages sent to WebSocket clients.", registry=r
        )
        self.ws_dropped = Counter(
            "tracktion_ws_slow_clients_dropped",
            "WebSocket clients disconnected because their send queue was full.",
            registry=r,
        )
        self.relayed = Counter(
            "tracktion_relay_messages",
            "Bus messages relayed to WebSocket subscribers, by kind.",
            ("kind",),
            registry=r,
        )
        self.errors = Counter(
            "tracktion_api_errors",
            "Errors, by kind (http_5xx, ws_protocol, rate_limited, auth, relay...).",
            ("kind",),
            registry=r,
        )
        self.queue_depth = Gauge(
            "tracktion_queue_depth",
            "Messages waiting in each work queue and its dead-letter queue.",
            ("queue",),
            registry=r,
        )

    async def refresh_queue_depths(self, bus: MessageBus) -> None:
        """Read the depth of every work queue and its DLQ from the bus.

        A queue whose depth cannot be read is left out and counted as a ``queue_depth``
        error (the scrape still succeeds).
        """
        topology = bus.topology
        names = [queue.name for queue in topology.work_queues()]
        names += [
            queue.dead_letter.routing_key + ".dlq"
            for queue in topology.work_queues()
            if queue.dead_letter
        ]
        for name in names:
            try:
                depth = await bus.depth(name)
            except TracktionError as exc:
                log.debug("depth of %s unavailable: %s", name, exc)
                self.errors.labels("queue_depth").inc()
                continue
            self.queue_depth.labels(name).set(depth)

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
