"""``/healthz`` (alive), ``/readyz`` (the read model caught up once; per-topic lag) and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from botify_api.deps import GatewayDep
from botify_api.schemas import Readiness, TopicLagOut

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "the read model has not caught up with the topics "
                                                                "yet, or the candidates of the most recently "
                                                                "active users are being computed"}})
async def readyz(gateway: GatewayDep) -> JSONResponse:
    """Ready once the read model has read every topic up to where it ended at start and the most recently active
    users' candidates are computed; says per topic how many records it is behind, and how long each step took."""
    model = gateway.read_model
    workers, workers_ready = gateway.workers()
    ready = gateway.ready.is_set() and workers_ready >= workers
    status = "ready" if ready else "catching up" if not model.ready.is_set() else \
        "computing candidates" if not gateway.ready.is_set() else "waiting for the other workers"
    body = Readiness(status=status, rebuild_s=model.rebuild_s, warm_s=gateway.warm_s,
                     warmed_users=gateway.warmed_users, records=model.records,
                     topics={name: TopicLagOut(behind=lag.behind, caught_up=lag.caught_up)
                             for name, lag in model.lag().items()},
                     vector_store=gateway.world.store_problem() or "ok",
                     workers=workers, workers_ready=workers_ready)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def prometheus_metrics(gateway: GatewayDep) -> Response:
    """Prometheus metrics: request latency by route, source latency, degraded answers, read-model lag."""
    gateway.update_gauges()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
