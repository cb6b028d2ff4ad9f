"""``botify lab export-listens``: write the live ``listens`` topic, joined to the ``tracks`` catalog, as a CSV
listening log that ``botify lab eda --log FILE`` (and ``ListeningLog.load``) reads.

Both topics are read from the beginning up to their end offsets when the export starts, so the file is a
consistent snapshot even while producers keep writing. Messages that do not decode are counted and reported, not
fatal.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import pandas as pd
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_datasets.genres import UNKNOWN
from botify_datasets.listening_log import LOG_COLUMNS, ListeningLog

EXPORT_PROVENANCE = {
    "user_id": "as sent in ListenEvent.user_id", "track_id": "as sent in ListenEvent.track_id",
    "ts_ms": "ListenEvent.event_time_ms", "ms_played": "ListenEvent.ms_played",
    "duration_ms": "ListenEvent.track_duration_ms",
    "title": "TrackUpserted.title (latest in `tracks`; empty without a catalog entry)",
    "artist_id": "TrackUpserted.artist_id", "artist_name": "TrackUpserted.artist_name",
    "genre": "TrackUpserted.genres[0] (unknown without a catalog entry or genre)",
}


class ExportError(RuntimeError):
    """The topics could not be read (missing topic, broker unreachable, no progress)."""


@dataclass
class ExportSummary:
    path: Path
    listens: int = 0
    tracks: int = 0                  # catalog entries after the latest upsert of each track
    undecodable_listens: int = 0
    undecodable_tracks: int = 0
    without_catalog: int = 0         # listens whose track has no entry in `tracks`
    errors: list[str] = field(default_factory=list)  # the first few decode errors, for the report

    def note_error(self, topic: Topic, record: ConsumerRecord[bytes, bytes], error: CodecError) -> None:
        if len(self.errors) < 10:
            self.errors.append(f"{topic.value} partition {record.partition} offset {record.offset}: {error}")

    def describe(self) -> str:
        lines = [f"{self.listens} listens -> {self.path} ({self.tracks} tracks in the catalog, "
                 f"{self.without_catalog} listens without a catalog entry)",
                 f"undecodable: {self.undecodable_listens} in listens, {self.undecodable_tracks} in tracks"]
        return "\n".join(lines + [f"  {e}" for e in self.errors])


def listens_frame(events: Iterable[ListenEvent], catalog: Mapping[str, TrackUpserted]) -> pd.DataFrame:
    """Listen events joined to their tracks' metadata, as a frame with ``LOG_COLUMNS`` sorted by time."""
    columns: dict[str, list[str | int]] = {c: [] for c in LOG_COLUMNS}
    empty = TrackUpserted()
    for event in events:
        track = catalog.get(event.track_id, empty)
        genre = track.genres[0] if track.genres else UNKNOWN
        values: tuple[str | int, ...] = (event.user_id, event.track_id, track.title, track.artist_id,
                                         track.artist_name, genre, event.event_time_ms, event.ms_played,
                                         event.track_duration_ms)
        for column, value in zip(LOG_COLUMNS, values, strict=True):
            columns[column].append(value)
    frame = pd.DataFrame(columns, columns=list(LOG_COLUMNS))
    return frame.astype({"ts_ms": "int64", "ms_played": "int64", "duration_ms": "int64"}).sort_values(
        "ts_ms", kind="stable").reset_index(drop=True)


class TopicSnapshot:
    """Reads topics from their beginning up to the end offsets they had when the snapshot was opened.

        async with TopicSnapshot(settings, [Topic.TRACKS, Topic.LISTENS]) as snapshot:
            async for record in snapshot.records(Topic.TRACKS): ...
    """

    def __init__(self, settings: KafkaSettings, topics: list[Topic], stall_timeout_s: float = 30.0) -> None:
        self.settings = settings
        self.topics = topics
        self.stall_timeout_s = stall_timeout_s
        self._consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                          enable_auto_commit=False, auto_offset_reset="earliest",
                                          isolation_level="read_committed",
                                          request_timeout_ms=settings.request_timeout_ms)
        self._partitions: dict[Topic, list[TopicPartition]] = {}
        self._ends: dict[TopicPartition, int] = {}

    async def __aenter__(self) -> Self:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.bootstrap_servers,
                                    request_timeout_ms=self.settings.request_timeout_ms)
        try:
            await admin.start()
            await self._consumer.start()
        except KafkaError as exc:
            await admin.close()
            await self._consumer.stop()  # safe when it never started; keeps aiokafka from warning about it
            raise ExportError(f"cannot reach Kafka at {self.settings.bootstrap_servers}: {exc}") from exc
        try:
            existing = set(await admin.list_topics())
            names = {topic: self.settings.topic(topic) for topic in self.topics}
            missing = sorted(name for name in names.values() if name not in existing)
            if missing:
                raise ExportError(f"topic {missing[0]!r} does not exist on {self.settings.bootstrap_servers} "
                                  "(run `botify kafka init`, or check BOTIFY_KAFKA_TOPIC_PREFIX)")
            described = {d["topic"]: d for d in await admin.describe_topics(list(names.values()))}
            for topic, name in names.items():
                ids = sorted(p["partition"] for p in described[name]["partitions"])
                self._partitions[topic] = [TopicPartition(name, p) for p in ids]
            every = [tp for tps in self._partitions.values() for tp in tps]
            self._consumer.assign(every)
            self._ends = await self._consumer.end_offsets(every)
            await self._consumer.seek_to_beginning(*every)
        except BaseException:
            await self._consumer.stop()
            raise
        finally:
            await admin.close()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self._consumer.stop()

    async def records(self, topic: Topic) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """Every record of ``topic`` below the end offsets taken at open time, partition by partition order."""
        remaining = [tp for tp in self._partitions[topic] if await self._consumer.position(tp) < self._ends[tp]]
        progress_at = time.monotonic()
        while remaining:
            batch = await self._consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < self._ends[tp]:
                        yield record
            if batch:
                progress_at = time.monotonic()
            elif time.monotonic() - progress_at > self.stall_timeout_s:
                raise ExportError(f"no progress reading {self.settings.topic(topic)} for {self.stall_timeout_s} s "
                                  f"(positions short of end offsets {[self._ends[tp] for tp in remaining]})")
            # compacted topics and transaction markers leave gaps: the position, not a count, says when we are done
            remaining = [tp for tp in remaining if await self._consumer.position(tp) < self._ends[tp]]


async def export_listens(settings: KafkaSettings, out: Path) -> ExportSummary:
    """Snapshot ``tracks`` and ``listens``, join them, and write the listening log CSV to ``out``."""
    summary = ExportSummary(out)
    catalog: dict[str, TrackUpserted] = {}
    events: list[ListenEvent] = []
    async with TopicSnapshot(settings, [Topic.TRACKS, Topic.LISTENS]) as snapshot:
        async for record in snapshot.records(Topic.TRACKS):
            if record.value is None:  # a tombstone: the track left the catalog
                catalog.pop(record.key.decode() if record.key else "", None)
                continue
            try:
                track = codec_for(TrackUpserted).decode(record.value)
            except CodecError as exc:
                summary.undecodable_tracks += 1
                summary.note_error(Topic.TRACKS, record, exc)
                continue
            catalog[track.track_id] = track
        async for record in snapshot.records(Topic.LISTENS):
            try:
                events.append(codec_for(ListenEvent).decode(record.value))
            except CodecError as exc:
                summary.undecodable_listens += 1
                summary.note_error(Topic.LISTENS, record, exc)
    frame = listens_frame(events, catalog)
    ListeningLog("listens", frame, EXPORT_PROVENANCE).save(out)
    summary.listens, summary.tracks = len(frame), len(catalog)
    summary.without_catalog = int((~frame["track_id"].isin(list(catalog))).sum())
    return summary
