"""``GET /v1/recommendations``: blended, explained, filtered and diversified recommendations for one user."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, HTTPException, Response
from fastapi import Request as HttpRequest

from botify_api.catalog import Catalog
from botify_api.deps import gateway_of
from botify_api.query import parameters, parse
from botify_api.recommend import Recommendation, Request
from botify_api.schemas import MAX_ID, Problem, Recommendations, RecommendationsQuery

router = APIRouter(tags=["recommendations"])


def id_list(values: list[str], what: str, most: int) -> frozenset[str]:
    """Ids given as repeated parameters and/or comma-separated; 422 when there are too many or one is too long."""
    ids = frozenset(part.strip() for value in values for part in value.split(",") if part.strip())
    if len(ids) > most:
        raise HTTPException(422, f"{what}: at most {most} ids, got {len(ids)}")
    if any(len(i) > MAX_ID for i in ids):
        raise HTTPException(422, f"{what}: each id has at most {MAX_ID} characters")
    return ids


def answer(catalog: Catalog, result: Recommendation) -> bytes:
    """The body: a :class:`~botify_api.schemas.Recommendations` (the response model, which a test holds this to),
    written by orjson from plain dicts: building and dumping the model cost as much as blending the items."""
    items = []
    for item in result.items:
        info = catalog.get(item.track_id)
        items.append({"track_id": item.track_id, "score": item.score, "sources": list(item.sources),
                      "reason": item.reason, "title": info.title if info else "",
                      "artist": info.artist_name if info else "",
                      "genres": sorted(info.all_genres) if info else []})
    return orjson.dumps({"recommendation_id": result.recommendation_id, "user_id": result.user_id, "items": items,
                         "experiment": result.experiment, "arm": result.arm, "model_versions": result.model_versions,
                         "degraded": [{"source": d.source, "reason": d.reason} for d in result.degraded],
                         "cold_start": result.cold_start, "latency_ms": result.latency_ms})


@router.get("/v1/recommendations", response_model=Recommendations,
            openapi_extra={"parameters": parameters(RecommendationsQuery)},
            responses={422: {"model": Problem, "description": "bad parameters, with what was expected"}})
async def recommendations(http: HttpRequest) -> Response:
    """Tracks for ``user_id`` to hear next: candidates of every source (collaborative, audio, transitions,
    trending, popular) fused by weighted rank, already-heard and excluded tracks left out, at most a few per artist;
    each with its score, sources and reason. Never a 500: a source that is down is listed in ``degraded``.

    The parameters (:class:`~botify_api.schemas.RecommendationsQuery`) are read by :func:`botify_api.query.parse`:
    the busiest route skips FastAPI's per-parameter work."""
    asked = parse(RecommendationsQuery, http.query_params)
    gateway = gateway_of(http)
    settings = gateway.settings
    if asked.k is not None and asked.k > settings.max_k:
        raise HTTPException(422, f"k: at most {settings.max_k}, got {asked.k}")
    request = Request(user_id=asked.user_id, k=asked.k or settings.default_k, context_track_id=asked.context_track_id,
                      exclude=id_list(asked.exclude, "exclude", settings.max_exclude),
                      genres=id_list(asked.genres, "genres", 50))
    return Response(answer(gateway.catalog, gateway.recommend(request)), media_type="application/json")
