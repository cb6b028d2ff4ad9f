"""Keep a :class:`~botify_recommender.catalog.Catalog` up to date from the compacted ``tracks`` topic.

Every worker reads all partitions from the beginning (no consumer group: global-table semantics), sets ``loaded``
once it has caught up with the end offsets it found at start, and keeps tailing. The engine starts folding listens
only after ``loaded``, so a catalog published before the listens (as ``botify replay`` does) is always joined; a
track that arrives later is resolved as :mod:`botify_recommender.trends` describes.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_recommender.catalog import Catalog
from botify_recommender.partitions import partition_ids

log = logging.getLogger(__name__)
_CODEC = codec_for(TrackUpserted)


class CatalogFeed:
    def __init__(self, kafka: KafkaSettings, catalog: Catalog) -> None:
        self.kafka = kafka
        self.catalog = catalog
        self.loaded = asyncio.Event()
        self.bad = 0

    async def run(self) -> None:
        name = self.kafka.topic(Topic.TRACKS)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap_servers, group_id=None,
                                    enable_auto_commit=False, isolation_level="read_committed",
                                    fetch_max_wait_ms=100)
        await consumer.start()
        try:
            parts = [TopicPartition(name, p) for p in await partition_ids(self.kafka, Topic.TRACKS)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            behind = {tp for tp in parts if ends[tp] > 0}
            if not behind:
                self.loaded.set()
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        self._apply(record.key, record.value)
                if behind:
                    behind = {tp for tp in behind if await consumer.position(tp) < ends[tp]}
                    if not behind:
                        log.info("catalog loaded: %d tracks", len(self.catalog))
                        self.loaded.set()
        finally:
            await consumer.stop()

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        track_id = key.decode(errors="replace") if key else ""
        if value is None:
            self.catalog.apply(track_id, None)
            return
        try:
            track = _CODEC.decode(value)
        except CodecError as exc:   # the catalog's producer is ours; a bad record is logged, not fatal
            self.bad += 1
            log.warning("skipping an unreadable track %r: %s", track_id, exc)
            return
        self.catalog.apply(track.track_id or track_id, track)
