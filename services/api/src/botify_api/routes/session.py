"""The original Botify session API, for its clients and simulator: integer ids, one next track at a time.

``POST /next/{user}`` reports that ``user`` played ``track`` for ``time`` (a fraction) and answers the next track;
``POST /last/{user}`` reports the session's last listen; ``GET /track/{track}`` describes a track. Integer ids map to
ours by ``BOTIFY_API_INT_USER_FORMAT`` / ``BOTIFY_API_INT_TRACK_FORMAT`` (demo catalog: user 7 is ``syn-u0007``,
track 301 is ``syn-t00301``). Every reported listen is produced to ``listens`` with the recommendation it follows.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response

from botify_api.catalog import TrackInfo
from botify_api.deps import GatewayDep
from botify_api.recommend import Request
from botify_api.schemas import LegacyTrack, NextTrack, Played, Problem, SessionEnded

router = APIRouter(tags=["botify session"])

UserPath = Annotated[int, Path(ge=0, le=2**53, description="integer user id")]
_UNKNOWN_TRACK: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such track in the catalog"},
    400: {"model": Problem, "description": "the body could not be parsed"},
    422: {"model": Problem, "description": "bad parameters"}}
#: how many items /next considers to find one with an integer id
_NEXT_POOL = 20


def _track(gateway: GatewayDep, number: int) -> TrackInfo:
    info = gateway.catalog.by_int(number)
    if info is None:
        raise HTTPException(404, f"track {number} ({gateway.settings.int_track_format.format(number)}) is not in "
                                 "the catalog")
    return info


@router.post("/next/{user}", response_model=NextTrack,
             responses=_UNKNOWN_TRACK | {503: {"model": Problem, "description": "no track to offer yet"}})
async def next_track(gateway: GatewayDep, user: UserPath, played: Played, response: Response) -> NextTrack:
    """``user`` played ``track`` for the fraction ``time`` of it; answer the track to play next."""
    user_id = gateway.settings.int_user_format.format(user)
    current = _track(gateway, played.track)
    gateway.report_listen(user_id, current, played.time)
    result = gateway.recommend(Request(user_id=user_id, k=_NEXT_POOL, context_track_id=current.track_id))
    response.headers["X-Recommendation-Id"] = result.recommendation_id
    response.headers["X-Experiment-Arm"] = f"{result.experiment}/{result.arm}"
    for item in result.items:
        number = gateway.catalog.int_id(item.track_id)
        if number is not None:
            return NextTrack(user=user, track=number)
    raise HTTPException(503, "no track with an integer id to offer yet: the catalog is still loading")


@router.post("/last/{user}", response_model=SessionEnded, responses=_UNKNOWN_TRACK)
async def last_track(gateway: GatewayDep, user: UserPath, played: Played) -> SessionEnded:
    """``user`` played ``track`` for the fraction ``time`` of it and ended the session."""
    user_id = gateway.settings.int_user_format.format(user)
    gateway.report_listen(user_id, _track(gateway, played.track), played.time)
    gateway.sessions.end(user_id)
    return SessionEnded(user=user)


@router.get("/track/{track}", response_model=LegacyTrack, responses=_UNKNOWN_TRACK)
async def track(gateway: GatewayDep, track: Annotated[int, Path(ge=0, le=2**53)]) -> LegacyTrack:
    """A track by its integer id."""
    info = _track(gateway, track)
    return LegacyTrack(track=track, track_id=info.track_id, artist=info.artist_name, title=info.title,
                       genres=sorted(info.all_genres), duration_ms=info.duration_ms)
