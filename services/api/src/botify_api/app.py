"""The gateway's FastAPI app: ``create_app(settings)``.

Its lifespan opens the vector store and runs the read model (the compacted topics into local state and into the
store) and the outbox (``recs-served``, ``listens``, ``dead-letters``) in the background; requests read only that
local state. Routes live under :mod:`botify_api.routes`, one module per resource.

Extension points (one line each, here in :func:`create_app`):

* a router: ``app.include_router(<module>.router)`` below, beside the others (trends, dashboard);
* state from a topic: ``gateway.read_model.register(Topic.GENRE_TRENDS, <state>.on_snapshot)`` before the app
  starts: every record of that topic, from the beginning, reaches the handler as ``(key, value)`` (``value`` None:
  a tombstone). Routes reach the gateway (and through it the read model, catalog, trends, vector store) with the
  ``GatewayDep`` dependency of :mod:`botify_api.deps`, or at ``app.state.gateway``;
* a candidate source: one module in :mod:`botify_api.sources` and one line in its ``SOURCES``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from botify_api import metrics
from botify_api.gateway import Gateway
from botify_api.routes import dashboard, health, recommendations, session, tracks, trends, users
from botify_api.settings import ApiSettings
from botify_api.workers import Pool
from botify_core.request_metrics import RequestObserver
from botify_core.vectors import VectorStore


def create_app(settings: ApiSettings | None = None, store: VectorStore | None = None,
               pool: Pool | None = None) -> FastAPI:
    """The gateway; ``store`` replaces the configured vector store (tests); ``pool``: one of several processes."""
    gateway = Gateway(settings or ApiSettings(), store, pool)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with gateway.running():
            yield

    app = FastAPI(title="Botify gateway", version="1.0.0", lifespan=lifespan,
                  description="Real-time recommendations blended from collaborative, audio, transition, trending "
                              "and popular candidates; the original Botify session API; tracks and users. Reads "
                              "only its local read model of the compacted topics.")
    app.state.gateway = gateway
    app.add_middleware(RequestObserver, observe=metrics.time_request)
    app.add_exception_handler(RequestValidationError, _unprocessable)
    app.include_router(recommendations.router)
    app.include_router(session.router)
    app.include_router(tracks.router)
    app.include_router(users.router)
    app.include_router(health.router)
    app.include_router(trends.router)
    app.include_router(dashboard.router)
    dashboard.mount_static(app)
    return app


async def _unprocessable(request: Request, exc: Exception) -> JSONResponse:
    """422 with one readable line, and each field's problem."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    found = [{"where": ".".join(str(p) for p in error.get("loc", ())), "problem": str(error.get("msg", ""))}
             for error in errors]
    detail = "; ".join(f"{e['where']}: {e['problem']}" for e in found) or "invalid request"
    return JSONResponse({"detail": detail, "errors": found}, status_code=422)
