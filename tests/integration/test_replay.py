"""`botify replay`: the catalog goes to `tracks`, listens to `listens`, directly or through ingest."""

from __future__ import annotations

from pathlib import Path

import httpx

from botify_core.clock import parse_iso_ms
from botify_core.codecs import codec_for
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenSource
from botify_core.settings import KafkaSettings, PathSettings
from botify_core.topics import Topic
from botify_datasets.synthetic import prepare_demo
from botify_ingest.replay import HttpSink, KafkaSink, open_source, replay, run_replay
from botify_ingest.settings import IngestSettings
from tests.ingest_server import running_ingest
from tests.kafka_helpers import consume, topic_size


async def test_synthetic_replay_through_ingest_lands_catalog_and_listens(topics: KafkaSettings,
                                                                         tmp_path: Path) -> None:
    world = prepare_demo(tmp_path / "demo", n_artists=4, n_users=6, seed=3, audio_seconds=0.5)
    paths = PathSettings(var_dir=tmp_path, data_dir=tmp_path)
    source = open_source("synthetic", paths, seed=1)
    async with running_ingest(IngestSettings(kafka=topics)) as url, EventProducer(topics) as producer, \
            httpx.AsyncClient(base_url=url) as client:
        sent = await replay(source, producer, HttpSink(client), rate=0, limit=120, progress=False)
    assert sent == 120
    tracks = [codec_for(TrackUpserted).decode(r.value) for r in await consume(topics, Topic.TRACKS, len(world.tracks))]
    assert {t.track_id for t in tracks} == {t.track_id for t in world.tracks}
    assert all(t.audio_uri.startswith("file://") and t.genres for t in tracks)
    listens = [codec_for(ListenEvent).decode(r.value) for r in await consume(topics, Topic.LISTENS, 120)]
    assert len({e.event_id for e in listens}) == 120
    assert {e.user_id for e in listens} <= {u.user_id for u in world.users}
    assert all(e.source == ListenSource.LISTEN_SOURCE_SIMULATOR for e in listens)


async def test_lastfm_replay_keeps_the_real_timestamps(topics: KafkaSettings, data_dir: Path) -> None:
    paths = PathSettings(data_dir=data_dir)
    sent = await run_replay("lastfm1k", topics, paths, rate=0, limit=300, via="kafka", seed=0, hetrec_scale=0.005,
                            live=False, progress=False)
    assert sent == 300
    listens = [codec_for(ListenEvent).decode(r.value) for r in await consume(topics, Topic.LISTENS, 300)]
    assert await topic_size(topics, Topic.LISTENS) == 300
    times = [e.event_time_ms for e in listens]
    # replays of old data land in old windows: the sample starts in December 2008
    assert min(times) >= parse_iso_ms("2008-12-01T00:00:00Z") and max(times) < parse_iso_ms("2009-06-01T00:00:00Z")
    assert all(0 <= e.ms_played <= e.track_duration_ms for e in listens)
    assert {e.event_id for e in listens} == {f"lastfm-1k-{i:09d}" for i in range(300)}


async def test_hetrec_replay_is_reproducible(topics: KafkaSettings, data_dir: Path) -> None:
    paths = PathSettings(data_dir=data_dir)
    first = open_source("hetrec", paths, seed=5, hetrec_scale=0.0005)
    second = open_source("hetrec", paths, seed=5, hetrec_scale=0.0005)
    assert first.total == second.total and first.total is not None and first.total > 1000
    head = [next(first.events) for _ in range(50)]
    assert head == [next(second.events) for _ in range(50)]
    async with EventProducer(topics) as producer:
        sent = await replay(first, producer, KafkaSink(producer), rate=0, limit=200, progress=False)
    assert sent == 200
    catalog = await consume(topics, Topic.TRACKS, len(first.tracks))
    genres = {g for r in catalog for g in codec_for(TrackUpserted).decode(r.value).genres}
    assert {"rock", "pop", "electronic"} <= genres
