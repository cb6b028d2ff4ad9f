"""The pure core of the vector sink: turn a batch of Kafka records from ``tracks``, ``track-embeddings`` and
``item-factors`` into writes on a vector store.

Per batch, the last record of each key wins; an embedding becomes a point of ``audio`` whose payload carries its
top genres (from the genre probabilities) and, joined from ``tracks``, its artist, title and duration; factors
become points of ``cf`` (payload: bias, model version). A tombstone (no value) deletes the point. A record that does
not decode or does not fit the collection becomes a ``DeadLetter`` with the reason; the rest of the batch goes on.
Track metadata that arrives after its embedding is merged into the stored payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botify_core.clock import now_ms
from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated
from botify_core.settings import KafkaSettings, VectorSettings
from botify_core.topics import Topic
from botify_core.vectors.checks import checked_vector
from botify_core.vectors.contract import Point, VectorStore
from botify_core.vectors.specs import AUDIO, CF, CollectionSpec, collection_specs

#: the topics the sink reads, in the order a batch applies them (metadata first, so embeddings can join it)
SINK_TOPICS = (Topic.TRACKS, Topic.TRACK_EMBEDDINGS, Topic.ITEM_FACTORS)


class KafkaRecord(Protocol):
    """What the indexer reads of a consumer record (aiokafka's ``ConsumerRecord`` has it)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass
class IndexStats:
    upserted: int = 0
    deleted: int = 0
    payload_updates: int = 0
    dead_letters: int = 0
    batches: int = 0


def top_genres(probabilities: Mapping[str, float], min_probability: float, most: int) -> list[str]:
    """The likeliest genres from ``min_probability`` on, at most ``most``, and always the likeliest one.

    >>> top_genres({"rock": 0.5, "pop": 0.3, "jazz": 0.05}, 0.2, 3)
    ['rock', 'pop']
    >>> top_genres({"rock": 0.1, "pop": 0.15}, 0.2, 3)
    ['pop']
    """
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0]))
    chosen = [genre for genre, p in ranked[:most] if p >= min_probability]
    return chosen or [genre for genre, _ in ranked[:1]]


def track_payload(track: TrackUpserted) -> dict[str, Any]:
    return {"artist_id": track.artist_id, "artist": track.artist_name, "title": track.title,
            "duration_ms": int(track.duration_ms)}


class RecordError(ValueError):
    """A record the indexer cannot use; becomes a dead letter with this message."""


@dataclass
class _Batch:
    """Each collection's writes of one batch, last write per key winning (None: delete)."""

    writes: dict[str, dict[str, Point | None]] = field(default_factory=lambda: {AUDIO: {}, CF: {}})
    metadata: set[str] = field(default_factory=set)
    dead: list[tuple[str, DeadLetter]] = field(default_factory=list)


class VectorIndexer:
    """Applies batches of records to ``store``; keeps the catalog metadata it has seen to join into payloads."""

    def __init__(self, store: VectorStore, kafka: KafkaSettings, settings: VectorSettings,
                 consumer: str = "vector-sink") -> None:
        self.store = store
        self.settings = settings
        self.consumer = consumer
        self.topics = {kafka.topic(topic): topic for topic in SINK_TOPICS}
        self.specs: dict[str, CollectionSpec] = {spec.name: spec for spec in collection_specs(settings)}
        self.tracks: dict[str, dict[str, Any]] = {}
        self.embedded: set[str] = set()
        self.stats = IndexStats()

    def apply(self, records: Sequence[KafkaRecord]) -> list[tuple[str, DeadLetter]]:
        """Write ``records`` to the store; return the dead letters (key, message) of those that could not be used."""
        batch = _Batch()
        order = {topic: rank for rank, topic in enumerate(SINK_TOPICS)}
        for record in sorted(records, key=lambda r: order.get(self.topics.get(r.topic, Topic.TRACKS), 0)):
            try:
                self._fold(record, batch)
            except (CodecError, RecordError, ValueError) as exc:
                batch.dead.append(self._dead_letter(record, str(exc)))
        self._write(batch)
        self.stats.batches += 1
        self.stats.dead_letters += len(batch.dead)
        return batch.dead

    def _fold(self, record: KafkaRecord, batch: _Batch) -> None:
        topic = self.topics.get(record.topic)
        if topic is None:
            raise RecordError(f"the vector sink does not read topic {record.topic!r}")
        key = record.key.decode("utf-8", errors="strict") if record.key else ""
        if record.value is None:
            if not key:
                raise RecordError("a tombstone without a key deletes nothing")
            if topic is Topic.TRACKS:
                self.tracks.pop(key, None)
            else:
                batch.writes[AUDIO if topic is Topic.TRACK_EMBEDDINGS else CF][key] = None
            return
        if topic is Topic.TRACKS:
            track = codec_for(TrackUpserted).decode(record.value)
            track_id = key or track.track_id
            self.tracks[track_id] = track_payload(track)
            batch.metadata.add(track_id)
        elif topic is Topic.TRACK_EMBEDDINGS:
            embedded = codec_for(TrackEmbedded).decode(record.value)
            track_id = _track_id(key, embedded.track_id)
            payload = {"track_id": track_id,
                       "genres": top_genres(dict(embedded.genre_probabilities), self.settings.genre_min_probability,
                                            self.settings.max_genres),
                       "model_version": embedded.model_version, "embedded_at_ms": int(embedded.embedded_at_ms)}
            vector = checked_vector(embedded.embedding, self.specs[AUDIO])
            batch.writes[AUDIO][track_id] = Point(track_id, vector, payload)
        else:
            factors = codec_for(FactorsUpdated).decode(record.value)
            track_id = _track_id(key, factors.track_id)
            vector = checked_vector(factors.factors, self.specs[CF])
            batch.writes[CF][track_id] = Point(track_id, vector, {
                "track_id": track_id, "bias": float(factors.bias), "model_version": factors.model_version,
                "update_count": int(factors.update_count), "updated_at_ms": int(factors.updated_at_ms)})

    def _write(self, batch: _Batch) -> None:
        for collection, writes in batch.writes.items():
            points = [p if collection != AUDIO else Point(p.id, p.vector, {**p.payload, **self.tracks.get(key, {})})
                      for key, p in writes.items() if p is not None]
            gone = [key for key, p in writes.items() if p is None]
            self.store.upsert(collection, points)
            self.store.delete(collection, gone)
            self.stats.upserted += len(points)
            self.stats.deleted += len(gone)
            if collection == AUDIO:
                self.embedded.update(str(p.id) for p in points)
                self.embedded.difference_update(gone)
        for track_id in batch.metadata - batch.writes[AUDIO].keys():
            if track_id in self.embedded and self.store.set_payload(AUDIO, track_id, self.tracks[track_id]):
                self.stats.payload_updates += 1

    def _dead_letter(self, record: KafkaRecord, error: str) -> tuple[str, DeadLetter]:
        key = (record.key or b"").decode("utf-8", errors="replace")
        return key, DeadLetter(topic=record.topic, partition=record.partition, offset=record.offset, error=error,
                               consumer=self.consumer, raw_key=record.key or b"", raw_value=record.value or b"",
                               failed_at_ms=now_ms())


def _track_id(key: str, in_message: str) -> str:
    if key and in_message and key != in_message:
        raise RecordError(f"record key {key!r} and track_id {in_message!r} differ")
    track_id = key or in_message
    if not track_id:
        raise RecordError("the record has neither a key nor a track_id")
    return track_id
