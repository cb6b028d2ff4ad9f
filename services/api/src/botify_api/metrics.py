"""Prometheus metrics of the gateway, served at ``/metrics``."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUEST_SECONDS = Histogram("botify_api_request_seconds", "HTTP request latency by route template and status",
                            ["route", "status"], buckets=_LATENCY_BUCKETS)
SOURCE_SECONDS = Histogram("botify_api_source_seconds", "Time a candidate source took for one request",
                           ["source"], buckets=_LATENCY_BUCKETS)
DEGRADED = Counter("botify_api_degraded_total", "Answers given without a source, by the source left out",
                   ["source"])
SERVED = Counter("botify_api_recommendations_total", "Recommendations served, by experiment arm", ["arm"])
DROPPED = Counter("botify_api_produce_dropped_total",
                  "Records to Kafka dropped (queue full or producer failed), by topic", ["topic"])
READ_MODEL_RECORDS = Gauge("botify_api_read_model_records", "Records the read model has applied")
REBUILD_SECONDS = Gauge("botify_api_read_model_rebuild_seconds", "Time the read model took to catch up at start")
LAG = Gauge("botify_api_read_model_lag_records", "Records not yet applied, per topic", ["topic"])


class RequestTimer:
    """ASGI middleware timing every HTTP request by route template and status (500 when the app raised).

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs a task and a stream copy per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = "500"
        started = time.perf_counter()

        async def send_noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting)
        finally:
            route: Any = scope.get("route")  # set by the router; unknown paths must not grow the label set
            REQUEST_SECONDS.labels(str(getattr(route, "path", "unmatched")), status).observe(
                time.perf_counter() - started)
