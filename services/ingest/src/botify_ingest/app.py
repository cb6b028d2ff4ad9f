"""The ingest HTTP service: ``POST /v1/listens``, ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from botify_core.clock import from_ms, to_ms
from botify_core.request_metrics import RequestObserver
from botify_ingest import metrics
from botify_ingest.body import BodyTooLargeError, InvalidBodyError, parse_listens, read_limited
from botify_ingest.publisher import BrokerUnavailableError, ListenPublisher
from botify_ingest.schemas import Accepted, Limits, ListenBatchIn, ListenIn, Rejected, Unavailable
from botify_ingest.settings import IngestSettings

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One event, or `{\"events\": [...]}`. Also accepts `application/x-protobuf`: a serialized "
                       "`botify.v1.ListenBatch`.",
        "content": {
            "application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/ListenIn"},
                                                      {"$ref": "#/components/schemas/ListenBatchIn"}]}},
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def get_publisher(request: Request) -> ListenPublisher:
    publisher: ListenPublisher = request.app.state.publisher
    return publisher


Publisher = Annotated[ListenPublisher, Depends(get_publisher)]
bearer = HTTPBearer(auto_error=False, description="required when BOTIFY_INGEST_TOKEN is set")


def check_token(expected: bytes | None, credentials: HTTPAuthorizationCredentials | None) -> None:
    """Raise 401 unless ``credentials`` carry the expected bearer token (compared in constant time)."""
    if expected is None:
        return
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, expected):
        raise HTTPException(401, "send 'Authorization: Bearer <token>' with the token this service was given "
                                 "(BOTIFY_INGEST_TOKEN)", headers={"WWW-Authenticate": "Bearer"})


def document_limits(listen: dict[str, Any], limits: Limits) -> None:
    """Write this service's bounds (from its settings) into the ListenIn schema, so clients can see them.

    The latest event time moves with the clock and ``ms_played <= track_duration_ms`` ties two fields: those two
    stay in the descriptions.
    """
    properties = listen["properties"]
    epoch_ms = next(branch for branch in properties["ts"]["anyOf"] if branch["type"] == "integer")
    epoch_ms["minimum"] = limits.earliest_ms
    properties["ts"]["description"] += (f"; not before {from_ms(limits.earliest_ms).isoformat()}, at most "
                                        f"{limits.max_skew_ms // 1000} s ahead of the server clock")
    properties["track_duration_ms"]["maximum"] = limits.max_duration_ms


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    publisher = ListenPublisher(settings.kafka, settings.produce_timeout_s)
    limits = Limits(earliest_ms=to_ms(settings.earliest_event_time), max_skew_ms=settings.max_clock_skew_s * 1000,
                    max_duration_ms=settings.max_track_duration_ms)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await publisher.stop()

    app = FastAPI(title="Botify ingest", version="1.0.0", lifespan=lifespan,
                  description="Accepts listen events and produces them to Kafka topic `listens`, keyed by user. "
                              "202 means Kafka acknowledged every event of the request.")
    app.state.publisher = publisher
    token = settings.token.get_secret_value().encode() if settings.token is not None else None

    def authorized(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        check_token(token, credentials)

    app.add_middleware(RequestObserver, observe=metrics.count_request)

    @app.post("/v1/listens", status_code=202, response_model=Accepted, openapi_extra=_BODY_DOC,
              dependencies=[Depends(authorized)], responses={
        401: {"model": Rejected, "description": "BOTIFY_INGEST_TOKEN is set and the bearer token is missing or wrong"},
        413: {"model": Rejected, "description": "body or batch over the limit"},
        422: {"model": Rejected, "description": "invalid events: per-field errors; nothing was produced"},
        503: {"model": Unavailable, "description": "Kafka did not acknowledge every event in time; resend the "
                                                   "same events with the returned event_ids after Retry-After"}})
    async def post_listens(request: Request, publisher: Publisher) -> JSONResponse:
        """Validate the events and produce them; answer 202 only after Kafka acknowledged all of them."""
        try:
            body = await read_limited(request, settings.max_body_bytes)
            events = parse_listens(body, request.headers.get("content-type", ""), limits, settings.max_batch_events)
        except BodyTooLargeError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=413)
        except InvalidBodyError as exc:
            return JSONResponse({"detail": exc.errors}, status_code=422)
        messages = [event.to_proto() for event in events]  # ids are assigned here, before anything is produced
        event_ids = [m.event_id for m in messages]
        started = time.perf_counter()
        try:
            await publisher.publish(messages)
        except BrokerUnavailableError as exc:
            metrics.EVENTS.labels("unavailable").inc(len(messages))
            detail = (f"{exc}. Some of these events may have been written; resend them all with these event_ids "
                      "(consumers drop duplicates by event_id)")
            return JSONResponse({"detail": detail, "event_ids": event_ids}, status_code=503,
                                headers={"Retry-After": str(settings.retry_after_s)})
        metrics.PRODUCE_SECONDS.observe(time.perf_counter() - started)
        metrics.EVENTS.labels("accepted").inc(len(messages))
        return JSONResponse({"accepted": len(messages), "event_ids": event_ids}, status_code=202)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "Kafka is not reachable"}})
    async def readyz(publisher: Publisher) -> JSONResponse:
        """Ready when Kafka answers."""
        problem = await publisher.ready()
        if problem:
            return JSONResponse({"status": "unavailable", "kafka": problem}, status_code=503)
        return JSONResponse({"status": "ready", "kafka": settings.kafka.bootstrap_servers})

    @app.get("/metrics", response_class=Response)
    async def prometheus_metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # the body is parsed by hand (size limit, protobuf); register its JSON schemas for the OpenAPI document
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original_openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (ListenIn, ListenBatchIn):
                model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(model_schema.pop("$defs", {}))
                components[model.__name__] = model_schema
            document_limits(components["ListenIn"], limits)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
