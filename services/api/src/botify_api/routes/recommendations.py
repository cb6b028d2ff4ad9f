"""``GET /v1/recommendations``: blended, explained, filtered and diversified recommendations for one user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from botify_api.deps import GatewayDep
from botify_api.recommend import Recommendation, Request
from botify_api.schemas import DegradedOut, Problem, Recommendations, RecommendedItem

router = APIRouter(tags=["recommendations"])

#: the longest id the gateway takes (user, track, genre)
MAX_ID = 200


def id_list(values: list[str] | None, what: str, most: int) -> frozenset[str]:
    """Ids given as repeated parameters and/or comma-separated; 422 when there are too many or one is too long."""
    ids = frozenset(part.strip() for value in values or [] for part in value.split(",") if part.strip())
    if len(ids) > most:
        raise HTTPException(422, f"{what}: at most {most} ids, got {len(ids)}")
    if any(len(i) > MAX_ID for i in ids):
        raise HTTPException(422, f"{what}: each id has at most {MAX_ID} characters")
    return ids


def answer(gateway: GatewayDep, result: Recommendation) -> Recommendations:
    items = []
    for item in result.items:
        info = gateway.catalog.get(item.track_id)
        items.append(RecommendedItem(track_id=item.track_id, score=item.score, sources=list(item.sources),
                                     reason=item.reason, title=info.title if info else "",
                                     artist=info.artist_name if info else "",
                                     genres=sorted(info.all_genres) if info else []))
    return Recommendations(recommendation_id=result.recommendation_id, user_id=result.user_id, items=items,
                           experiment=result.experiment, arm=result.arm, model_versions=result.model_versions,
                           degraded=[DegradedOut(source=d.source, reason=d.reason) for d in result.degraded],
                           cold_start=result.cold_start, latency_ms=result.latency_ms)


@router.get("/v1/recommendations", response_model=Recommendations,
            responses={422: {"model": Problem, "description": "bad parameters, with what was expected"}})
async def recommendations(
        gateway: GatewayDep,
        user_id: Annotated[str, Query(min_length=1, max_length=MAX_ID, description="who listens")],
        k: Annotated[int | None, Query(ge=1, le=1000, description="how many items (default and most: settings)")]
        = None,
        context_track_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID,
                                                      description="the track playing now")] = None,
        exclude: Annotated[list[str] | None, Query(description="track ids to leave out (repeat or comma-separate)")]
        = None,
        genres: Annotated[list[str] | None, Query(description="only these genres (repeat or comma-separate)")]
        = None) -> Response:
    """Tracks for ``user_id`` to hear next: candidates of every source (collaborative, audio, transitions,
    trending, popular) fused by weighted rank, already-heard and excluded tracks left out, at most a few per artist;
    each with its score, sources and reason. Never a 500: a source that is down is listed in ``degraded``."""
    settings = gateway.settings
    if k is not None and k > settings.max_k:
        raise HTTPException(422, f"k: at most {settings.max_k}, got {k}")
    request = Request(user_id=user_id, k=k or settings.default_k, context_track_id=context_track_id,
                      exclude=id_list(exclude, "exclude", settings.max_exclude), genres=id_list(genres, "genres", 50))
    # the body is built as a Recommendations here; returning a Response skips FastAPI's second validation of it
    return Response(answer(gateway, gateway.recommend(request)).model_dump_json(), media_type="application/json")
