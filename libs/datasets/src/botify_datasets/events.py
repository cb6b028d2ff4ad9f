"""Turn listening logs and catalogs into Botify's Kafka messages (``ListenEvent``, ``TrackUpserted``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from botify_core.clock import now_ms
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind, ListenSource
from botify_datasets.listening_log import ListeningLog
from botify_datasets.synthetic import SynthListen, World

SKIP_FRACTION = 0.3  # a listen that ends before this share of the track counts as a skip in replays


def listen_kind(ms_played: int, duration_ms: int) -> ListenKind:
    return ListenKind.LISTEN_KIND_SKIP if ms_played < SKIP_FRACTION * duration_ms else ListenKind.LISTEN_KIND_PLAY


def log_events(log: ListeningLog, source: ListenSource = ListenSource.LISTEN_SOURCE_DATASET,
               ) -> Iterator[ListenEvent]:
    """One ``ListenEvent`` per row, in time order, with ids that are the same on every replay of the log."""
    columns = ("user_id", "track_id", "ts_ms", "ms_played", "duration_ms")
    for i, (user, track, ts, played, duration) in enumerate(zip(*(log.frame[c] for c in columns), strict=True)):
        yield ListenEvent(event_id=f"{log.source}-{i:09d}", user_id=user, track_id=track, event_time_ms=int(ts),
                          ms_played=int(played), track_duration_ms=int(duration),
                          kind=listen_kind(int(played), int(duration)), source=source)


def log_catalog(log: ListeningLog) -> list[TrackUpserted]:
    """The tracks a log mentions, with the metadata it carries."""
    tracks = log.frame.drop_duplicates("track_id", keep="last")
    durations = log.frame.groupby("track_id")["duration_ms"].median()
    updated = now_ms()
    columns = ("track_id", "title", "artist_id", "artist_name", "genre")
    return [TrackUpserted(track_id=str(track), title=str(title), artist_id=str(artist), artist_name=str(name),
                          genres=[str(genre)], duration_ms=int(durations[track]), dataset=log.source,
                          updated_at_ms=updated)
            for track, title, artist, name, genre in zip(*(tracks[c] for c in columns), strict=True)]


def synth_event(listen: SynthListen, index: int, run_id: str) -> ListenEvent:
    return ListenEvent(event_id=f"{run_id}-{index:09d}", user_id=listen.user_id, track_id=listen.track_id,
                       event_time_ms=listen.ts_ms, ms_played=listen.ms_played, track_duration_ms=listen.duration_ms,
                       kind=listen_kind(listen.ms_played, listen.duration_ms),
                       source=ListenSource.LISTEN_SOURCE_SIMULATOR, session_id=listen.session_id)


def world_catalog(world: World, audio_dir: Path | None = None) -> list[TrackUpserted]:
    updated = now_ms()
    result = []
    for t in world.tracks:
        audio = audio_dir / f"{t.track_id}.flac" if audio_dir else None
        uri = audio.resolve().as_uri() if audio is not None and audio.exists() else ""
        result.append(TrackUpserted(track_id=t.track_id, title=t.title, artist_id=t.artist_id,
                                    artist_name=t.artist_name, genres=[t.genre], duration_ms=t.duration_ms,
                                    audio_uri=uri, dataset="synthetic", updated_at_ms=updated))
    return result

