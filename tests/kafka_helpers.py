"""Read what landed in a topic, awaiting the messages instead of sleeping."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord, TopicPartition

from botify_core.settings import KafkaSettings
from botify_core.topics import Topic


async def consume(settings: KafkaSettings, topic: Topic, count: int, timeout_s: float = 30.0,
                  ) -> list[ConsumerRecord[bytes, bytes]]:
    """The first ``count`` records of ``topic`` (all partitions, from the beginning); fails after ``timeout_s``."""
    consumer = AIOKafkaConsumer(settings.topic(topic), bootstrap_servers=settings.bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
                                isolation_level="read_committed")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=1000)
                for partition_records in batch.values():
                    records.extend(partition_records)
    except TimeoutError:
        raise AssertionError(f"only {len(records)} of {count} records arrived in {topic} "
                             f"within {timeout_s} s") from None
    finally:
        await consumer.stop()
    return records


async def topic_size(settings: KafkaSettings, topic: Topic) -> int:
    """How many records ``topic`` holds now (sum of end offsets)."""
    name = settings.topic(topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([name])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(name, p["partition"]) for p in described["partitions"]])
        return sum(ends.values())
    finally:
        await consumer.stop()
