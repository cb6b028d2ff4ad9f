"""The gateway on the real broker with a real Qdrant Edge store: the compacted topics fed with the stream
processor's and audio worker's messages become recommendations that reflect them; the original session API
round-trips integer ids and produces listens that name the recommendation they follow; every answer is logged to
recs-served; a missing store or missing stream-processor output degrades answers instead of failing them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from botify_api.app import create_app
from botify_api.gateway import Gateway
from botify_api.settings import ApiSettings
from botify_core.admin import ensure_topics
from botify_core.clock import now_ms
from botify_core.codecs import codec_for
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenSource
from botify_core.proto.botify.v1.models_pb2 import (
    FactorsUpdated,
    RecentListen,
    Successor,
    Transitions,
    UserState,
)
from botify_core.proto.botify.v1.serving_pb2 import RecommendationServed
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot
from botify_core.settings import KafkaSettings, PathSettings, VectorSettings
from botify_core.topics import Topic
from tests.kafka_helpers import consume
from tests.unit.test_sources_contract import GENRES, audio, factors, tid

pytestmark = pytest.mark.kafka

EXPERIMENTS = """
[[experiment]]
name = "gateway-test"
active = true

[[experiment.arm]]
name = "quiet-audio"
weights = { audio = 0.5 }
"""
VECTORS = VectorSettings(qdrant_url=None, audio_dim=8, cf_dim=4, sink_batch_size=100)


async def feed_catalog(producer: EventProducer) -> None:
    tracks = [(a, n) for a in GENRES for n in range(1, 5)]
    await producer.send_many(Topic.TRACKS, [
        (tid(a, n), TrackUpserted(track_id=tid(a, n), title=f"Song {a}.{n}", artist_id=f"syn-a{a:03d}",
                                       artist_name=f"Artist {a}", genres=[GENRES[a]], duration_ms=200_000,
                                       dataset="synthetic")) for a, n in tracks])
    await producer.send_many(Topic.TRACK_EMBEDDINGS, [
        (tid(a, n), TrackEmbedded(track_id=tid(a, n), embedding=audio(a, n), model_version="cnn-t",
                                       genre_probabilities={GENRES[a]: 0.9})) for a, n in tracks])


async def feed_stream_output(producer: EventProducer) -> None:
    """What the stream processor publishes: item factors, a user who likes rock, transitions, trends."""
    await producer.send_many(Topic.ITEM_FACTORS, [
        (tid(a, n), FactorsUpdated(track_id=tid(a, n), factors=factors(a), model_version="smf-t"))
        for a in GENRES for n in range(1, 5)])
    await producer.send(Topic.USER_STATE, "syn-u0001", user_state([(tid(1, 1), 1.0)]))
    await producer.send(Topic.TRANSITIONS, tid(1, 1), Transitions(
        track_id=tid(1, 1), successors=[Successor(track_id=tid(2, 1), weight=5.0),
                                             Successor(track_id=tid(1, 2), weight=3.0)]))
    await producer.send_many(Topic.GENRE_TRENDS, [
        (f"1h/{genre}", TrendSnapshot(window="1h", window_start_ms=0, window_end_ms=3_600_000, genre=genre,
                                      plays=10 * a, top_tracks=[TrackPlays(track_id=tid(a, 4), plays=5 * a),
                                                                TrackPlays(track_id=tid(a, 3), plays=a)]))
        for a, genre in list(GENRES.items())[:3]])


def user_state(recent: list[tuple[str, float]], updated_at_ms: int = 0) -> UserState:
    return UserState(user_id="syn-u0001", factors=factors(1), genre_affinity={"rock": 0.8, "pop": 0.1},
                     recent=[RecentListen(track_id=t, fraction=f, event_time_ms=1000) for t, f in recent],
                     cluster_id=2, listens=len(recent), model_version="smf-t", updated_at_ms=updated_at_ms)


@dataclass
class Served:
    url: str
    gateway: Gateway


@asynccontextmanager
async def serving(kafka: KafkaSettings, var_dir: Path, caught_up: bool = True,
                  **overrides: Any) -> AsyncIterator[Served]:
    """The gateway app under uvicorn on a socket bound up front; yields once the read model has caught up (at once
    without ``caught_up``)."""
    experiments = var_dir / "experiments.toml"
    experiments.write_text(EXPERIMENTS)
    settings = ApiSettings(kafka=kafka, vectors=VECTORS.model_copy(update={"path": var_dir / "vectors"}),
                           paths=PathSettings(var_dir=var_dir), experiments_path=experiments, **overrides)
    app = create_app(settings)
    gateway: Gateway = app.state.gateway
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        if caught_up:  # else requests wait in the socket's backlog until uvicorn serves
            async with asyncio.timeout(60):
                ready = asyncio.create_task(gateway.read_model.ready.wait())
                await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)
                if task.done():
                    task.result()
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", gateway)
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def producer(topics: KafkaSettings) -> AsyncIterator[EventProducer]:
    async with EventProducer(topics) as producer:
        yield producer


async def test_recommendations_follow_the_topics_and_the_session_api_round_trips(
        topics: KafkaSettings, producer: EventProducer, tmp_path: Path) -> None:
    await feed_catalog(producer)
    await feed_stream_output(producer)
    async with serving(topics, tmp_path) as served, httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        ready = (await http.get("/readyz")).json()
        assert ready["status"] == "ready" and ready["rebuild_s"] > 0 and ready["vector_store"] == "ok"
        assert {name: lag["behind"] for name, lag in ready["topics"].items()} == dict.fromkeys(
            ["tracks", "track-embeddings", "item-factors", "user-state", "genre-trends", "transitions"], 0)
        assert served.gateway.store is not None
        await asyncio.to_thread(served.gateway.store.optimize)

        answer = (await http.get("/v1/recommendations", params={"user_id": "syn-u0001", "k": 4})).json()
        ids = [item["track_id"] for item in answer["items"]]
        assert len(ids) == 4 and tid(1, 1) not in ids  # heard
        assert answer["degraded"] == [] and answer["cold_start"] is False
        assert (answer["experiment"], answer["arm"]) == ("gateway-test", "quiet-audio")
        assert answer["model_versions"] == {"cf": "smf-t", "audio": "cnn-t"}
        by_id = {item["track_id"]: item for item in answer["items"]}
        assert by_id[tid(2, 1)]["reason"] == "because you played Song 1.1"
        assert "transitions" in by_id[tid(2, 1)]["sources"]
        assert {s for item in answer["items"] for s in item["sources"]} >= {"cf", "audio", "transitions",
                                                                            "trending"}
        artists = [item["artist"] for item in answer["items"]]
        assert max(artists.count(a) for a in set(artists)) <= 2

        # the user's next listen arrives through the stream processor: the answer changes
        stamp = now_ms()
        await producer.send(Topic.USER_STATE, "syn-u0001",
                            user_state([(tid(2, 1), 1.0), (tid(1, 1), 1.0)], updated_at_ms=stamp))
        users = served.gateway.read_model.users
        await served.gateway.read_model.wait_until(
            lambda: (state := users.get("syn-u0001")) is not None and state.updated_at_ms == stamp, timeout_s=10)
        again = (await http.get("/v1/recommendations", params={"user_id": "syn-u0001", "k": 4,
                                                               "exclude": f"{tid(1, 2)},{tid(1, 3)}"})).json()
        again_ids = {item["track_id"] for item in again["items"]}
        assert not again_ids & {tid(2, 1), tid(1, 1), tid(1, 2), tid(1, 3)}
        jazz = (await http.get("/v1/recommendations", params={"user_id": "syn-u0001", "genres": "jazz"})).json()
        assert jazz["items"] and all("jazz" in item["genres"] for item in jazz["items"])

        # the original Botify session API: integer ids, listens produced with the recommendation they follow
        first = await http.post("/next/1", json={"track": 101, "time": 0.9})
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["user"] == 1 and isinstance(body["track"], int) and body["track"] != 101
        assert (await http.get(f"/track/{body['track']}")).json()["track_id"] == f"syn-t{body['track']:05d}"
        second = await http.post("/next/1", json={"track": body["track"], "time": 0.1})
        assert second.json()["track"] not in {101, body["track"]}
        assert (await http.post("/last/1", json={"track": second.json()["track"], "time": 1.0})).json() == {"user": 1}
        await asyncio.wait_for(served.gateway.outbox.drained(), 10)
        listens = [codec_for(ListenEvent).decode(r.value) for r in await consume(topics, Topic.LISTENS, 3)]
        assert [(e.user_id, e.track_id) for e in listens] == [
            ("syn-u0001", "syn-t00101"), ("syn-u0001", f"syn-t{body['track']:05d}"),
            ("syn-u0001", f"syn-t{second.json()['track']:05d}")]
        assert listens[0].source == ListenSource.LISTEN_SOURCE_USER and listens[0].recommendation_id == ""
        assert listens[1].recommendation_id == first.headers["X-Recommendation-Id"]
        assert listens[1].source == ListenSource.LISTEN_SOURCE_RECOMMENDATION
        assert listens[2].recommendation_id == second.headers["X-Recommendation-Id"]
        assert listens[1].ms_played == 20_000 and listens[1].kind == 2  # a skip

        served_recs = [codec_for(RecommendationServed).decode(r.value)
                       for r in await consume(topics, Topic.RECS_SERVED, 5)]
        assert {r.recommendation_id for r in served_recs} >= {answer["recommendation_id"],
                                                              first.headers["X-Recommendation-Id"]}
        logged = next(r for r in served_recs if r.recommendation_id == answer["recommendation_id"])
        assert [i.track_id for i in logged.items] == ids and logged.arm == answer["arm"] and logged.latency_ms > 0

        track = (await http.get(f"/v1/tracks/{tid(2, 3)}")).json()
        assert track["genre_probabilities"] == {"jazz": pytest.approx(0.9)} and track["int_id"] == 203
        similar = (await http.get(f"/v1/tracks/{tid(2, 3)}/similar", params={"k": 3})).json()
        assert [i["track_id"] for i in similar["items"]][:3] and all(
            i["track_id"].startswith("syn-t002") for i in similar["items"])
        user = (await http.get("/v1/users/syn-u0001")).json()
        assert user["top_genres"][0] == ["rock", pytest.approx(0.8)] and user["cluster_id"] == 2
        assert user["history"][0]["track_id"] == f"syn-t{second.json()['track']:05d}"

        # bad parameters: 422 with a clear message
        bad_params: list[dict[str, str | int]] = [{"user_id": "u", "k": 0}, {"user_id": "u", "k": 101}, {},
                                                  {"user_id": ""}]
        for params in bad_params:
            bad = await http.get("/v1/recommendations", params=params)
            assert bad.status_code == 422 and bad.json()["detail"], params
        assert "at most 100" in (await http.get("/v1/recommendations", params={"user_id": "u", "k": 101})).text
        assert (await http.post("/next/1", json={"track": 101, "time": 2})).status_code == 422
        assert (await http.post("/next/1", json={"track": 99999, "time": 0.5})).status_code == 404

        # the vector store goes away: 200 without the vector sources, never a 500. The first search that fails
        # (audio: new seeds) degrades its answer; from then on the vector sources stand down, kept answers too
        served.gateway.store.close()
        first_gone = await http.get("/v1/recommendations", params={"user_id": "syn-u0001", "k": 5,
                                                                   "context_track_id": tid(4, 3)})
        assert first_gone.status_code == 200
        assert "audio" in {d["source"] for d in first_gone.json()["degraded"]}
        gone = await http.get("/v1/recommendations", params={"user_id": "syn-u0001", "k": 5})
        assert gone.status_code == 200
        assert {d["source"] for d in gone.json()["degraded"]} == {"cf", "audio"}
        assert gone.json()["items"] and all(set(i["sources"]) <= {"transitions", "trending", "popular"}
                                            for i in gone.json()["items"])
        similar_gone = await http.get(f"/v1/tracks/{tid(2, 3)}/similar")
        assert similar_gone.status_code == 200 and similar_gone.json()["degraded"][0]["source"] == "audio"
        metrics = (await http.get("/metrics")).text
        assert 'botify_api_degraded_total{source="cf"}' in metrics
        assert 'botify_api_request_seconds_count{route="/v1/recommendations",status="200"}' in metrics


async def test_without_stream_output_a_new_user_gets_audio_neighbours_degraded_and_bad_records_are_dead_letters(
        topics: KafkaSettings, producer: EventProducer, tmp_path: Path) -> None:
    await feed_catalog(producer)  # tracks and embeddings only: nothing from the stream processor
    await producer.client.send_and_wait(topics.topic(Topic.TRANSITIONS), b"\x00garbage", key=b"broken")
    async with serving(topics, tmp_path) as served, httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        (letter_record,) = await consume(topics, Topic.DEAD_LETTERS, 1)
        letter = codec_for(DeadLetter).decode(letter_record.value)
        assert (letter.topic, letter.consumer, letter.raw_value) == (topics.topic(Topic.TRANSITIONS), "gateway",
                                                                      b"\x00garbage")
        assert "Transitions" in letter.error and served.gateway.read_model.bad_records == 1
        answer = await http.get("/v1/recommendations", params={"user_id": "someone-new", "k": 4,
                                                               "context_track_id": tid(3, 1)})
        assert answer.status_code == 200
        body = answer.json()
        assert body["cold_start"] is True
        assert {d["source"] for d in body["degraded"]} == {"cf", "transitions", "trending"}
        ids = [item["track_id"] for item in body["items"]]
        assert tid(3, 1) not in ids
        assert ids[0].startswith("syn-t003") and body["items"][0]["reason"] == "sounds like Song 3.1, which you played"
        # /next works for a user nobody has seen, with integer ids
        nxt = await http.post("/next/42", json={"track": 301, "time": 1.0})
        assert nxt.status_code == 200 and nxt.json()["user"] == 42 and nxt.json()["track"] != 301


async def test_readyz_is_503_until_every_topic_exists_and_was_read_and_answers_degrade_meanwhile(
        kafka_settings: KafkaSettings, tmp_path: Path) -> None:
    async with serving(kafka_settings, tmp_path, caught_up=False) as served, \
            httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        waiting = await http.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json()["status"] == "catching up" and waiting.json()["rebuild_s"] is None
        assert {lag["behind"] for lag in waiting.json()["topics"].values()} == {None}  # no topic found yet
        answer = await http.get("/v1/recommendations", params={"user_id": "early", "k": 3})
        assert answer.status_code == 200 and answer.json()["items"] == []
        assert {d["source"] for d in answer.json()["degraded"]} == {"cf", "transitions", "trending", "popular"}

        await ensure_topics(kafka_settings)
        await asyncio.wait_for(served.gateway.read_model.ready.wait(), 30)
        ready = (await http.get("/readyz")).json()
        assert ready["status"] == "ready" and ready["rebuild_s"] > 0
        assert {lag["behind"] for lag in ready["topics"].values()} == {0}
