"""``GET /v1/tracks/{track_id}`` (metadata, genre probabilities) and ``/v1/tracks/{track_id}/similar`` (audio
neighbours)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from botify_api.catalog import TrackInfo
from botify_api.deps import GatewayDep
from botify_api.schemas import DegradedOut, Problem, SimilarItem, SimilarTracks, TrackOut
from botify_core.vectors import AUDIO, PayloadFilter

router = APIRouter(tags=["tracks"])

TrackPath = Annotated[str, Path(min_length=1, max_length=200, description="our track id, e.g. syn-t00301")]
_RESPONSES: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no such track"},
              422: {"model": Problem, "description": "bad parameters"}}


def _known(gateway: GatewayDep, track_id: str) -> TrackInfo:
    info = gateway.catalog.get(track_id)
    if info is None:
        raise HTTPException(404, f"track {track_id!r} is not in the catalog")
    return info


@router.get("/v1/tracks/{track_id}", response_model=TrackOut, responses=_RESPONSES)
async def get_track(gateway: GatewayDep, track_id: TrackPath) -> TrackOut:
    """A track's metadata and the genre probabilities the audio worker found."""
    info = _known(gateway, track_id)
    return TrackOut(track_id=info.track_id, int_id=gateway.catalog.int_id(info.track_id), title=info.title,
                    artist_id=info.artist_id, artist=info.artist_name, genres=list(info.genres),
                    duration_ms=info.duration_ms, dataset=info.dataset,
                    genre_probabilities=info.genre_probabilities, embedding_model=info.embedding_version)


@router.get("/v1/tracks/{track_id}/similar", response_model=SimilarTracks, responses=_RESPONSES)
async def similar_tracks(gateway: GatewayDep, track_id: TrackPath,
                         k: Annotated[int, Query(ge=1, le=100, description="how many")] = 10) -> SimilarTracks:
    """The tracks that sound most like this one (cosine over audio embeddings); ``degraded`` says why there are none
    when the track is not embedded yet or the vector store is gone."""
    info = _known(gateway, track_id)
    problem = gateway.store_problem()
    if problem is None and info.embedding is None:
        problem = "the track has no audio embedding yet"
    store = gateway.store
    if problem is None and store is not None:
        try:
            hits = store.search(AUDIO, info.embedding.tolist() if info.embedding is not None else [], k,
                                PayloadFilter(exclude_ids=[track_id]))
        except Exception as exc:  # the store is gone: degrade, never a 500
            problem = f"vector store failed: {type(exc).__name__}: {exc}"
        else:
            return SimilarTracks(track_id=track_id, degraded=[], items=[
                SimilarItem(track_id=str(h.id), score=h.score, title=str(h.payload.get("title", "")),
                            artist=str(h.payload.get("artist", ""))) for h in hits])
    return SimilarTracks(track_id=track_id, items=[], degraded=[DegradedOut(source="audio", reason=str(problem))])
