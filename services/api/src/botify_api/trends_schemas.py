"""HTTP bodies of the trend endpoints, built from the board's views and the catalog's titles."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, Field

from botify_api.catalog import TrackInfo
from botify_api.trends import GenreTracks, Metric, Popularity, TrackCount

#: the catalog's entry of a track id, or None when the catalog does not know it (yet)
Lookup = Callable[[str], TrackInfo | None]


class TrendTrack(BaseModel):
    track_id: str
    title: str = Field(description="empty when the catalog does not know the track")
    artist: str
    plays: int
    minutes: float


class GenreOut(BaseModel):
    genre: str
    plays: int
    minutes: float
    share: float = Field(description="of the window's total by the chosen metric, in [0, 1]")


class GenreWithTracks(BaseModel):
    genre: str
    plays: int
    minutes: float
    top_tracks: list[TrendTrack] = Field(description="most played first")


class WindowOut(BaseModel):
    window: str = Field(description="window length: 1m, 1h, 1d, or another the stream processor publishes")
    window_start_ms: int | None = Field(description="event time, UTC epoch ms; null before the first snapshot")
    window_end_ms: int | None
    now_ms: int | None = Field(description="the newest event time the trends show (not the wall clock)")
    windows: list[str] = Field(description="every valid window, shortest first")


class GenrePopularity(WindowOut):
    metric: Metric
    total_plays: int
    total_minutes: float
    genres: list[GenreOut] = Field(description="most popular first by the metric")


class GenreTopTracks(BaseModel):
    window: str
    genre: str
    window_start_ms: int | None
    window_end_ms: int | None
    plays: int
    minutes: float
    tracks: list[TrendTrack] = Field(description="most played first")


class TrendStreamEvent(WindowOut):
    """The data of each ``trends`` event of ``/v1/trends/stream``: the whole window, both metrics."""

    total_plays: int
    total_minutes: float
    genres: list[GenreWithTracks] = Field(description="most played first")


def tracks_out(tracks: Iterable[TrackCount], lookup: Lookup) -> list[TrendTrack]:
    out = []
    for track in tracks:
        info = lookup(track.track_id)
        out.append(TrendTrack(track_id=track.track_id, title=info.title if info else "",
                              artist=info.artist_name if info else "", plays=track.plays, minutes=track.minutes))
    return out


def popularity_out(view: Popularity, windows: list[str]) -> GenrePopularity:
    return GenrePopularity(window=view.window, window_start_ms=view.window_start_ms,
                           window_end_ms=view.window_end_ms, now_ms=view.now_ms, windows=windows, metric=view.metric,
                           total_plays=view.total_plays, total_minutes=view.total_minutes,
                           genres=[GenreOut(genre=g.genre, plays=g.plays, minutes=g.minutes, share=g.share)
                                   for g in view.genres])


def stream_event(view: Popularity, windows: list[str], lookup: Lookup) -> TrendStreamEvent:
    return TrendStreamEvent(window=view.window, window_start_ms=view.window_start_ms,
                            window_end_ms=view.window_end_ms, now_ms=view.now_ms, windows=windows,
                            total_plays=view.total_plays, total_minutes=view.total_minutes,
                            genres=[GenreWithTracks(genre=g.genre, plays=g.plays, minutes=g.minutes,
                                                    top_tracks=tracks_out(g.top_tracks, lookup))
                                    for g in view.genres])


def top_tracks_out(view: GenreTracks, lookup: Lookup) -> GenreTopTracks:
    return GenreTopTracks(window=view.window, genre=view.genre, window_start_ms=view.window_start_ms,
                          window_end_ms=view.window_end_ms, plays=view.plays, minutes=view.minutes,
                          tracks=tracks_out(view.tracks, lookup))
