"""The sink's pure core on a real Edge store: records in, points, payloads, deletes and dead letters out; and the
HNSW build after a batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated
from botify_core.settings import KafkaSettings, PathSettings, VectorSettings
from botify_core.topics import Topic
from botify_core.vectors import (
    AUDIO,
    CF,
    Distance,
    EdgeVectorStore,
    HnswParams,
    PayloadFilter,
    VectorStore,
    open_vector_store,
)
from botify_core.vectors.indexing import VectorIndexer
from botify_core.vectors.sink import VectorSink

KAFKA = KafkaSettings(topic_prefix="x.")
SETTINGS = VectorSettings(qdrant_url=None, audio_dim=4, cf_dim=3)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VectorStore]:
    store = open_vector_store(SETTINGS, PathSettings(var_dir=tmp_path))
    yield store
    store.close()


def record(topic: Topic, key: str | None, value: bytes | None, offset: int = 0) -> Record:
    return Record(KAFKA.topic(topic), 0, offset, key.encode() if key is not None else None, value)


def embedded(track_id: str, vector: list[float], **genres: float) -> Record:
    message = TrackEmbedded(track_id=track_id, embedding=vector, genre_probabilities=genres, model_version="cnn-1")
    return record(Topic.TRACK_EMBEDDINGS, track_id, codec_for(TrackEmbedded).encode(message))


def track(track_id: str, artist: str, duration_ms: int) -> Record:
    message = TrackUpserted(track_id=track_id, artist_id=f"id-{artist}", artist_name=artist, title=f"{track_id} song",
                            duration_ms=duration_ms)
    return record(Topic.TRACKS, track_id, codec_for(TrackUpserted).encode(message))


def test_embeddings_become_audio_points_with_top_genres_and_joined_metadata(store: VectorStore) -> None:
    indexer = VectorIndexer(store, KAFKA, SETTINGS)
    dead = indexer.apply([embedded("t1", [1, 0, 0, 0], rock=0.7, pop=0.25, jazz=0.05),
                          track("t1", "The Band", 201_000),  # later in the batch, still joined: tracks apply first
                          embedded("t2", [0, 1, 0, 0], jazz=0.9)])
    assert dead == []
    assert store.count(AUDIO) == 2
    (hit,) = store.search(AUDIO, [1, 0, 0, 0], k=1)
    assert hit.id == "t1"
    assert hit.payload == {"track_id": "t1", "genres": ["rock", "pop"], "model_version": "cnn-1", "embedded_at_ms": 0,
                           "artist_id": "id-The Band", "artist": "The Band", "title": "t1 song", "duration_ms": 201_000}
    jazz = store.search(AUDIO, [1, 0, 0, 0], k=5, filter=PayloadFilter(any_of={"genres": ["jazz"]}))
    assert [h.id for h in jazz] == ["t2"]


def test_metadata_arriving_after_the_embedding_is_merged_into_the_payload(store: VectorStore) -> None:
    indexer = VectorIndexer(store, KAFKA, SETTINGS)
    indexer.apply([embedded("t2", [0, 1, 0, 0], jazz=0.9)])
    indexer.apply([track("t2", "Trio", 300_000), track("t9", "Nobody embedded", 1)])
    (hit,) = store.search(AUDIO, [0, 1, 0, 0], k=5)
    assert (hit.payload["artist"], hit.payload["duration_ms"], hit.payload["genres"]) == ("Trio", 300_000, ["jazz"])
    assert indexer.stats.payload_updates == 1
    assert store.count(AUDIO) == 1


def test_last_record_of_a_key_wins_and_tombstones_delete(store: VectorStore) -> None:
    indexer = VectorIndexer(store, KAFKA, SETTINGS)
    indexer.apply([embedded("t1", [1, 0, 0, 0], rock=1.0), embedded("t2", [0, 1, 0, 0], pop=1.0),
                   embedded("t1", [0, 0, 1, 0], jazz=1.0)])
    assert store.count(AUDIO) == 2
    assert store.search(AUDIO, [0, 0, 1, 0], k=1)[0].payload["genres"] == ["jazz"]
    indexer.apply([record(Topic.TRACK_EMBEDDINGS, "t1", None), embedded("t3", [0, 0, 0, 1], rock=1.0),
                   record(Topic.TRACK_EMBEDDINGS, "t3", None)])
    assert {h.id for h in store.search(AUDIO, [1, 1, 1, 1], k=10)} == {"t2"}
    assert (indexer.stats.upserted, indexer.stats.deleted) == (2, 2)


def test_item_factors_become_cf_points_searched_by_dot_product(store: VectorStore) -> None:
    indexer = VectorIndexer(store, KAFKA, SETTINGS)
    codec = codec_for(FactorsUpdated)
    indexer.apply([record(Topic.ITEM_FACTORS, tid, codec.encode(FactorsUpdated(track_id=tid, factors=f, bias=0.5,
                                                                              model_version="smf-1")))
                   for tid, f in (("t1", [1.0, 0, 0]), ("t2", [3.0, 1.0, 0]))])
    hits = store.search(CF, [1, 0, 0], k=2)
    assert [h.id for h in hits] == ["t2", "t1"]
    assert hits[0].score == pytest.approx(3.0)
    assert hits[0].payload["bias"] == 0.5
    indexer.apply([record(Topic.ITEM_FACTORS, "t2", None)])
    assert store.count(CF) == 1


def test_unusable_records_become_dead_letters_with_the_reason_and_the_batch_goes_on(store: VectorStore) -> None:
    indexer = VectorIndexer(store, KAFKA, SETTINGS)
    dead = indexer.apply([record(Topic.TRACK_EMBEDDINGS, "t1", b"\xff\xff", offset=7),
                          embedded("t2", [1, 0, 0], rock=1.0),                       # wrong size
                          embedded("t3", [1, float("nan"), 0, 0], rock=1.0),
                          record(Topic.TRACK_EMBEDDINGS, None, None),
                          record(Topic.TRACK_EMBEDDINGS, "t4", codec_for(TrackEmbedded).encode(
                              TrackEmbedded(track_id="other", embedding=[1, 0, 0, 0]))),
                          embedded("t5", [0, 0, 0, 1], pop=1.0)])
    errors = {letter.raw_key.decode(): letter.error for _, letter in dead}
    assert set(errors) == {"t1", "t2", "t3", "", "t4"}
    assert "cannot decode botify.v1.TrackEmbedded from 2 bytes" in errors["t1"]
    assert "takes vectors of size 4; got 3" in errors["t2"]
    assert "NaN" in errors["t3"]
    assert "tombstone without a key" in errors[""]
    assert "differ" in errors["t4"]
    first = dead[0][1]
    assert (first.topic, first.offset, first.consumer, first.raw_value) == ("x.track-embeddings", 7, "vector-sink",
                                                                            b"\xff\xff")
    assert [h.id for h in store.search(AUDIO, [0, 0, 0, 1], k=10)] == ["t5"]
    assert indexer.stats.dead_letters == 5


@pytest.mark.parametrize("build_index", [True, False])
def test_the_sink_builds_due_hnsw_indexes_only_when_told(tmp_path: Path, build_index: bool) -> None:
    # a 10 KB indexing threshold, so 300 vectors of 16 floats (19 KB) are due for an index
    store = EdgeVectorStore(tmp_path, HnswParams(m=16, ef_construct=100, ef=128), indexing_threshold_kb=10)
    settings = VectorSettings(qdrant_url=None, audio_dim=16, cf_dim=3, sink_build_index=build_index)
    store.ensure_collection(AUDIO, 16, Distance.COSINE)
    store.ensure_collection(CF, 3, Distance.DOT)
    try:
        sink = VectorSink(store, KAFKA, settings)
        vectors = np.random.default_rng(0).normal(size=(300, 16))
        assert sink.apply([embedded(f"t{i}", v.tolist(), rock=1.0) for i, v in enumerate(vectors)]) == []
        assert store.count(AUDIO) == 300
        assert store.indexed(AUDIO) == (300 if build_index else 0)
        (hit,) = store.search(AUDIO, vectors[7].tolist(), k=1)
        assert hit.id == "t7"
    finally:
        store.close()
