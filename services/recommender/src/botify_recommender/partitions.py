"""How many partitions a topic has, through the admin API (a consumer only knows the topics it subscribed to)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from botify_core.settings import KafkaSettings
from botify_core.topics import Topic


async def partition_ids(kafka: KafkaSettings, topic: Topic) -> list[int]:
    """The partition ids of ``topic``; raises with the fix when the topic does not exist."""
    name = kafka.topic(topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=kafka.request_timeout_ms)
    await admin.start()
    try:
        described = await admin.describe_topics([name])
    finally:
        await admin.close()
    found = [d for d in described if d.get("topic") == name and not d.get("error_code")]
    if not found or not found[0]["partitions"]:
        raise RuntimeError(f"topic {name} does not exist on {kafka.bootstrap_servers}: run `botify kafka init`")
    return sorted(p["partition"] for p in found[0]["partitions"])
