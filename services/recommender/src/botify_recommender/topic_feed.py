"""Read a whole topic into memory and keep tailing it: global-table semantics for a compacted topic.

Every worker reads all partitions from the beginning (no consumer group, ``read_committed``), sets ``loaded`` once it
has caught up with the end offsets it found at start, and keeps going. A subclass says what a record does
(:meth:`TopicFeed.apply`); :class:`~botify_recommender.catalog_feed.CatalogFeed` is one.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_recommender.partitions import partition_ids


class TopicFeed:
    def __init__(self, kafka: KafkaSettings, topic: Topic) -> None:
        self.kafka = kafka
        self.topic = topic
        self.loaded = asyncio.Event()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        name = self.kafka.topic(self.topic)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap_servers, group_id=None,
                                    enable_auto_commit=False, isolation_level="read_committed",
                                    fetch_max_wait_ms=100)
        await consumer.start()
        try:
            parts = [TopicPartition(name, p) for p in await partition_ids(self.kafka, self.topic)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            behind = {tp for tp in parts if ends[tp] > 0}
            if not behind:
                self.loaded.set()
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        self.apply(record.key, record.value)
                if behind:
                    behind = {tp for tp in behind if await consumer.position(tp) < ends[tp]}
                    if not behind:
                        self.loaded.set()
        finally:
            await consumer.stop()
