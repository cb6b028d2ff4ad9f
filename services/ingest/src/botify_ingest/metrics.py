"""Prometheus metrics of the ingest service, served at ``/metrics``."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENTS = Counter("botify_ingest_events_total",
                 "Valid listen events by outcome: accepted (Kafka acknowledged) or unavailable (answered 503)",
                 ["outcome"])
REQUESTS = Counter("botify_ingest_requests_total", "HTTP requests by path and status code", ["path", "status"])
PRODUCE_SECONDS = Histogram("botify_ingest_produce_seconds", "Time until Kafka acknowledged a request's events",
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class RequestCounter:
    """ASGI middleware counting every HTTP request by route template and status (500 when the app raised).

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs a task and a stream copy per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = "500"

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route: Any = scope.get("route")  # set by the router; unknown paths must not grow the label set
            REQUESTS.labels(str(getattr(route, "path", "unmatched")), status).inc()
