"""The trend endpoints on the real broker: TrendSnapshots and tracks produced to this test's topics, the gateway
app consuming them under uvicorn, answers checked exactly; the server-sent-event stream pushes changes, keeps quiet
connections alive, ends planned streams with ``bye`` and forgets clients that leave."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from botify_api.app import create_app
from botify_api.gateway import Gateway
from botify_api.settings import ApiSettings
from botify_api.trends_feed import TrendStreamSettings
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot
from botify_core.settings import KafkaSettings, PathSettings
from botify_core.topics import Topic

pytestmark = pytest.mark.kafka

MINUTE = 60_000
HOUR = 60 * MINUTE
T2008 = 1_228_716_000_000            # 2008-12-08 06:00 UTC: replayed data, far from the wall clock

TRACKS = [TrackUpserted(track_id=f"syn-t0000{i}", title=title, artist_id=f"syn-a00{i}", artist_name=artist,
                        genres=[genre], duration_ms=200_000, dataset="synthetic")
          for i, (title, artist, genre) in enumerate([("Neon Harbor", "The Velvet Echos", "rock"),
                                                      ("Blue Rooms", "Ada Quartet", "jazz"),
                                                      ("Slow Tide", "Ada Quartet", "jazz"),
                                                      ("Paper Kites", "Lumen", "pop")])]


def snapshot(window: str, start: int, size: int, genre: str, plays: int, minutes: float,
             tracks: list[tuple[str, int, float]]) -> TrendSnapshot:
    return TrendSnapshot(window=window, window_start_ms=start, window_end_ms=start + size, genre=genre, plays=plays,
                         minutes=minutes, updated_at_ms=T2008 + HOUR,
                         top_tracks=[TrackPlays(track_id=t, plays=p, minutes=m) for t, p, m in tracks])


#: the 06:xx hour (1h windows every 10 minutes): rock leads by plays, jazz by minutes; plus the 06:35 minute
SNAPSHOTS = [
    snapshot("1h", T2008 - 20 * MINUTE, HOUR, "rock", 30, 45.0, [("syn-t00000", 30, 45.0)]),
    snapshot("1h", T2008 - 20 * MINUTE, HOUR, "jazz", 12, 80.0, [("syn-t00002", 7, 50.0), ("syn-t00001", 5, 30.0)]),
    snapshot("1h", T2008 - 20 * MINUTE, HOUR, "pop", 20, 20.0, [("syn-t00003", 20, 20.0)]),
    snapshot("1h", T2008 + 30 * MINUTE, HOUR, "rock", 2, 3.0, [("syn-t00000", 2, 3.0)]),   # newer, less complete
    snapshot("1m", T2008 + 35 * MINUTE, MINUTE, "rock", 2, 3.0, [("syn-t00000", 2, 3.0)]),
]


async def produce_world(kafka: KafkaSettings, tracks: list[TrackUpserted],
                        snapshots: list[TrendSnapshot]) -> None:
    async with EventProducer(kafka) as producer:
        await producer.send_many(Topic.TRACKS, [(t.track_id, t) for t in tracks])
        await producer.send_many(Topic.GENRE_TRENDS, [(f"{s.window}/{s.genre}", s) for s in snapshots])


@dataclass
class Served:
    url: str
    gateway: Gateway


@asynccontextmanager
async def served_gateway(kafka: KafkaSettings, var_dir: Path) -> AsyncIterator[Served]:
    """The gateway app under uvicorn on a socket bound up front; yields once its read model caught up."""
    settings = ApiSettings(kafka=kafka, paths=PathSettings(var_dir=var_dir))
    app = create_app(settings)
    gateway: Gateway = app.state.gateway
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(60):
            await gateway.read_model.ready.wait()
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", gateway)
    finally:
        server.should_exit = True
        await task
        sock.close()


async def applied(gateway: Gateway, condition: Callable[[], bool]) -> None:
    await gateway.read_model.wait_until(condition, timeout_s=30)


async def test_trend_endpoints_answer_from_the_topic(topics: KafkaSettings, tmp_path: Path) -> None:
    await produce_world(topics, TRACKS, SNAPSHOTS)
    async with served_gateway(topics, tmp_path) as served, httpx.AsyncClient(base_url=served.url) as client:
        await applied(served.gateway, lambda: served.gateway.trends.board.version >= len(SNAPSHOTS))

        by_plays = (await client.get("/v1/trends/genres", params={"window": "1h", "metric": "plays"})).json()
        assert [(g["genre"], g["plays"], g["minutes"]) for g in by_plays["genres"]] == [
            ("rock", 30, 45.0), ("pop", 20, 20.0), ("jazz", 12, 80.0)]
        assert (by_plays["window_start_ms"], by_plays["window_end_ms"], by_plays["now_ms"]) == (
            T2008 - 20 * MINUTE, T2008 + 40 * MINUTE, T2008 + 35 * MINUTE)
        assert by_plays["windows"] == ["1m", "1h", "1d"] and by_plays["total_plays"] == 62
        by_minutes = (await client.get("/v1/trends/genres", params={"window": "1h", "metric": "minutes"})).json()
        assert [(g["genre"], round(g["share"], 4)) for g in by_minutes["genres"]] == [
            ("jazz", round(80 / 145, 4)), ("rock", round(45 / 145, 4)), ("pop", round(20 / 145, 4))]

        jazz = (await client.get("/v1/trends/genres/jazz/tracks", params={"window": "1h", "n": 5})).json()
        assert [(t["track_id"], t["title"], t["artist"], t["plays"]) for t in jazz["tracks"]] == [
            ("syn-t00002", "Slow Tide", "Ada Quartet", 7), ("syn-t00001", "Blue Rooms", "Ada Quartet", 5)]
        one = (await client.get("/v1/trends/genres/jazz/tracks", params={"window": "1h", "n": 1})).json()
        assert [t["track_id"] for t in one["tracks"]] == ["syn-t00002"]
        minute = (await client.get("/v1/trends/genres", params={"window": "1m"})).json()
        assert [(g["genre"], g["plays"]) for g in minute["genres"]] == [("rock", 2)]

        bad_window = await client.get("/v1/trends/genres", params={"window": "2h"})
        assert bad_window.status_code == 422
        assert bad_window.json()["detail"] == "unknown window '2h'; valid windows: 1m, 1h, 1d"
        bad_metric = await client.get("/v1/trends/genres", params={"metric": "likes"})
        assert bad_metric.status_code == 422 and "'plays' or 'minutes'" in bad_metric.json()["detail"]
        assert (await client.get("/v1/trends/stream", params={"window": "1w"})).status_code == 422
        assert (await client.get("/v1/trends/genres/jazz/tracks", params={"n": 0})).status_code == 422
        unknown = await client.get("/v1/trends/genres/blues/tracks", params={"window": "1h"})
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == ("no trends for genre 'blues' in window '1h'; genres with trends: jazz, "
                                            "pop, rock")


@dataclass
class Event:
    name: str = ""
    data: str = ""
    comment: str = ""


async def events(response: httpx.Response) -> AsyncIterator[Event]:
    """Server-sent events (and comment lines, as events with only ``comment``) of a streamed response."""
    event = Event()
    async for line in response.aiter_lines():
        if line == "":
            if event.name or event.data:
                yield event
            event = Event()
        elif line.startswith(":"):
            yield Event(comment=line[1:].strip())
        elif line.startswith("event:"):
            event.name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            event.data += line.removeprefix("data:").strip()


async def next_trends(stream: AsyncIterator[Event]) -> dict[str, object]:
    async for event in stream:
        if event.name == "trends":
            data: dict[str, object] = json.loads(event.data)
            return data
    raise AssertionError("the stream ended before a trends event")


async def test_stream_pushes_changes_and_forgets_clients_that_leave(topics: KafkaSettings, tmp_path: Path) -> None:
    await produce_world(topics, TRACKS, SNAPSHOTS)
    async with served_gateway(topics, tmp_path) as served, httpx.AsyncClient(base_url=served.url,
                                                                             timeout=30) as client:
        feed = served.gateway.trends
        await applied(served.gateway, lambda: feed.board.version >= len(SNAPSHOTS))
        async with client.stream("GET", "/v1/trends/stream", params={"window": "1h", "n": 2}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = events(response)
            first = await next_trends(stream)
            assert [(g["genre"], g["plays"]) for g in first["genres"]] == [  # type: ignore[attr-defined]
                ("rock", 30), ("pop", 20), ("jazz", 12)]
            jazz = first["genres"][2]                                       # type: ignore[index]
            assert [t["title"] for t in jazz["top_tracks"]] == ["Slow Tide", "Blue Rooms"]
            assert feed.subscribers == 1

            # a listen burst in jazz arrives through Kafka: the open stream shows it
            await produce_world(topics, [], [snapshot("1h", T2008 - 20 * MINUTE, HOUR, "jazz", 41, 120.0,
                                                      [("syn-t00001", 40, 100.0)])])
            pushed = await next_trends(stream)
            assert [(g["genre"], g["plays"]) for g in pushed["genres"]] == [  # type: ignore[attr-defined]
                ("jazz", 41), ("rock", 30), ("pop", 20)]
        await feed.until_subscribers(0, timeout_s=10)       # the client left: its subscription is gone

        feed.settings = TrendStreamSettings(keepalive_s=0.1, stream_max_s=1.0, retry_ms=500)
        async with client.stream("GET", "/v1/trends/stream", params={"window": "1m"}) as response:
            seen = [e async for e in events(response)]      # ends by itself after stream_max_s
        assert [e.name for e in seen if e.name] == ["trends", "bye"]
        assert "keep-alive" in [e.comment for e in seen]
        assert feed.subscribers == 0
