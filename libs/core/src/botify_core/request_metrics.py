"""ASGI middleware that reports every HTTP request, by route template and status, to a callback of the service's.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which costs a task and a stream copy per request (it
showed in ingest's p99). Each service keeps its own Prometheus metrics and says what to record:

    app.add_middleware(RequestObserver, observe=lambda route, status, seconds: REQUESTS.labels(route, status).inc())
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: (route template or "unmatched", status code as text, seconds the request took)
Observe = Callable[[str, str, float], None]


class RequestObserver:
    """Calls ``observe(route, status, seconds)`` after every HTTP request; status 500 when the app raised."""

    def __init__(self, app: ASGIApp, observe: Observe) -> None:
        self.app = app
        self.observe = observe

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
            route = scope.get("route")  # set by the router; unknown paths must not grow the label set
            self.observe(str(getattr(route, "path", "unmatched")), status, time.perf_counter() - started)
