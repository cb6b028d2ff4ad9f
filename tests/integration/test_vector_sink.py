"""The vector sink on the real broker into a real Qdrant Edge store: embeddings and factors land with their
payloads, a tombstone deletes, an undecodable record goes to dead-letters with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from botify_core.codecs import codec_for
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated
from botify_core.settings import KafkaSettings, PathSettings, VectorSettings
from botify_core.topics import Topic
from botify_core.vectors import AUDIO, CF, PayloadFilter, VectorStore, open_vector_store
from botify_core.vectors.sink import VectorSink
from tests.kafka_helpers import consume

pytestmark = pytest.mark.kafka

SETTINGS = VectorSettings(qdrant_url=None, audio_dim=8, cf_dim=4, sink_batch_size=50)


def unit(i: int, dim: int) -> list[float]:
    return [1.0 if j == i % dim else 0.1 for j in range(dim)]


@pytest.fixture
async def producer(topics: KafkaSettings) -> AsyncIterator[EventProducer]:
    async with EventProducer(topics) as producer:
        yield producer


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VectorStore]:
    store = open_vector_store(SETTINGS, PathSettings(var_dir=tmp_path))
    yield store
    store.close()


async def test_sink_loads_embeddings_and_factors_deletes_on_tombstones_and_dead_letters_bad_records(
        topics: KafkaSettings, producer: EventProducer, store: VectorStore) -> None:
    genres = ["rock", "jazz", "pop"]
    await producer.send_many(Topic.TRACKS, [
        (f"t{i}", TrackUpserted(track_id=f"t{i}", artist_id=f"a{i % 2}", artist_name=f"Artist {i % 2}",
                                title=f"Song {i}", duration_ms=180_000 + i)) for i in range(6)])
    await producer.send_many(Topic.TRACK_EMBEDDINGS, [
        (f"t{i}", TrackEmbedded(track_id=f"t{i}", embedding=unit(i, 8), model_version="cnn-test",
                                genre_probabilities={genres[i % 3]: 0.8, "folk": 0.2})) for i in range(6)])
    await producer.send_many(Topic.ITEM_FACTORS, [
        (f"t{i}", FactorsUpdated(track_id=f"t{i}", factors=unit(i, 4), bias=0.1 * i, model_version="smf-test"))
        for i in range(3)])
    await producer.client.send_and_wait(topics.topic(Topic.TRACK_EMBEDDINGS), b"\x00garbage", key=b"broken")

    sink = VectorSink(store, topics, SETTINGS, poll_ms=100)
    task = asyncio.create_task(sink.run())
    ready = asyncio.create_task(sink.ready.wait())
    try:
        await asyncio.wait([ready, task], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the sink failed: raise its error
        assert ready.done(), "the sink did not catch up within 60 s"
        assert store.count(AUDIO) == 6
        assert store.count(CF) == 3
        (hit,) = store.search(AUDIO, unit(4, 8), k=1)
        assert hit.id == "t4"
        assert hit.payload | {"embedded_at_ms": 0} == {
            "track_id": "t4", "genres": ["jazz", "folk"], "model_version": "cnn-test", "embedded_at_ms": 0,
            "artist_id": "a0", "artist": "Artist 0", "title": "Song 4", "duration_ms": 180_004}
        rock = store.search(AUDIO, unit(0, 8), k=10, filter=PayloadFilter(any_of={"genres": ["rock"]},
                                                                          exclude_ids=["t0"]))
        assert [h.id for h in rock] == ["t3"]
        assert store.search(CF, unit(2, 4), k=1)[0].payload["bias"] == pytest.approx(0.2)

        (letter_record,) = await consume(topics, Topic.DEAD_LETTERS, 1)
        letter = codec_for(DeadLetter).decode(letter_record.value)
        assert letter_record.key == b"broken"
        assert letter.topic == topics.topic(Topic.TRACK_EMBEDDINGS)
        assert letter.consumer == "vector-sink"
        assert letter.raw_value == b"\x00garbage"
        assert "cannot decode botify.v1.TrackEmbedded" in letter.error

        await producer.client.send_and_wait(topics.topic(Topic.TRACK_EMBEDDINGS), None, key=b"t4")
        await producer.client.send_and_wait(topics.topic(Topic.ITEM_FACTORS), None, key=b"t1")
        await sink.wait_until(lambda stats: stats.deleted >= 2, timeout_s=30)
        assert store.count(AUDIO) == 5
        assert store.count(CF) == 2
        assert "t4" not in {h.id for h in store.search(AUDIO, unit(4, 8), k=10)}
    finally:
        ready.cancel()
        sink.stop()
        await asyncio.wait_for(task, 30)
