"""Live genre trends: ``GET /v1/trends/genres``, ``GET /v1/trends/genres/{genre}/tracks`` and the server-sent-event
stream ``GET /v1/trends/stream`` that the dashboard draws from.

Every answer is about the current window of the chosen length by event time (see :mod:`botify_api.trends`). The
handlers are coroutines on purpose: they read the board on the event loop that the read model writes it from.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import StreamingResponse

from botify_api.deps import GatewayDep
from botify_api.schemas import Problem
from botify_api.trends import Metric, UnknownGenreError, UnknownWindowError
from botify_api.trends_feed import TrendFeed
from botify_api.trends_schemas import (
    GenrePopularity,
    GenreTopTracks,
    Lookup,
    popularity_out,
    stream_event,
    top_tracks_out,
)

router = APIRouter(tags=["trends"])

Window = Annotated[str, Query(min_length=1, max_length=16, description="window length: 1m, 1h, 1d, or another "
                                                                       "the stream processor publishes")]
_BAD_WINDOW: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "unknown window or metric; the message lists the valid ones"}}
#: one event of the stream (OpenAPI 3.1: the schema of a text/event-stream describes each event)
_EVENT: dict[str, Any] = {
    "type": "object", "required": ["event", "data"],
    "properties": {"event": {"type": "string", "enum": ["trends", "bye"]},
                   "data": {"type": "string", "description": "trends: a TrendStreamEvent as JSON; bye: {}"},
                   "id": {"type": "string", "description": "the board's version"}}}
_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {"description": "`text/event-stream`: an event `trends` (data: a TrendStreamEvent as JSON, id: the "
                         "board's version) at once and whenever the trends change; a `: keep-alive` comment "
                         "after a quiet while. The stream ends after a while (BOTIFY_API_TRENDS_STREAM_MAX_S) with "
                         "an event `bye`; EventSource clients reconnect by themselves.",
          "content": {"text/event-stream": {"schema": _EVENT}}},
    **_BAD_WINDOW}


def _checked(feed: TrendFeed, window: str) -> None:
    if window not in feed.board.windows():
        raise HTTPException(422, str(UnknownWindowError(window, feed.board.windows())))


@router.get("/v1/trends/genres", response_model=GenrePopularity, responses=_BAD_WINDOW)
async def genre_popularity(
        gateway: GatewayDep, window: Window = "1h",
        metric: Annotated[Metric, Query(description="rank genres by plays or by minutes listened")] = Metric.PLAYS,
) -> GenrePopularity:
    """Genre popularity in the current window: plays, minutes and share of each genre, most popular first."""
    feed = gateway.trends
    _checked(feed, window)
    return popularity_out(feed.board.popularity(window, metric), feed.board.windows())


@router.get("/v1/trends/genres/{genre}/tracks", response_model=GenreTopTracks,
            responses={**_BAD_WINDOW, 404: {"model": Problem, "description": "no trends name this genre"}})
async def genre_top_tracks(
        gateway: GatewayDep,
        genre: Annotated[str, Path(min_length=1, max_length=64, description="a genre, e.g. rock")],
        window: Window = "1h",
        n: Annotated[int, Query(ge=1, le=100, description="how many tracks (at most what the stream processor "
                                                          "keeps per genre, 10 by default)")] = 10,
) -> GenreTopTracks:
    """The most played tracks of one genre in the current window, with their titles and artists."""
    feed = gateway.trends
    _checked(feed, window)
    try:
        view = feed.board.top_tracks(window, genre, n)
    except UnknownGenreError as exc:
        raise HTTPException(404, str(exc)) from None
    return top_tracks_out(view, gateway.catalog.get)


async def trend_events(feed: TrendFeed, window: str, n: int, lookup: Lookup) -> AsyncIterator[str]:
    """The stream's text: the board now, then again whenever it changes; keep-alive comments in between."""
    settings = feed.settings
    deadline = time.monotonic() + settings.stream_max_s
    async with feed.subscribe() as subscription:
        yield f"retry: {settings.retry_ms}\n\n"
        shown = -1
        while not subscription.closed:
            if feed.board.version != shown:
                shown = feed.board.version
                event = stream_event(feed.board.popularity(window, Metric.PLAYS, top_n=n), feed.board.windows(),
                                     lookup)
                yield f"event: trends\nid: {shown}\ndata: {event.model_dump_json()}\n\n"
            left = deadline - time.monotonic()
            if left <= 0:
                yield "event: bye\ndata: {}\n\n"     # a planned end: the page reconnects at once
                return
            if not await subscription.wait(min(settings.keepalive_s, left)) and time.monotonic() < deadline:
                yield ": keep-alive\n\n"


@router.get("/v1/trends/stream", response_class=StreamingResponse, responses=_STREAM_DOC)
async def trend_stream(
        gateway: GatewayDep, window: Window = "1h",
        n: Annotated[int, Query(ge=0, le=20, description="top tracks per genre in each event")] = 5,
) -> StreamingResponse:
    """Server-sent events of the current window's genre trends (both metrics, top tracks), pushed as they change."""
    feed = gateway.trends
    _checked(feed, window)
    return StreamingResponse(trend_events(feed, window, n, gateway.catalog.get), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

