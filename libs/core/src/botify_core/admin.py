"""Create Botify's topics idempotently (``botify kafka init``) and describe them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from botify_core.settings import KafkaSettings
from botify_core.topics import SPECS, Topic

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicPlan:
    name: str
    partitions: int
    config: dict[str, str]


def plan(settings: KafkaSettings, topics: Iterable[Topic] = tuple(Topic)) -> list[TopicPlan]:
    """What each topic should look like on this cluster."""
    plans = []
    for topic in topics:
        if SPECS[topic].compacted:
            config = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0", "segment.ms": "3600000"}
        elif topic is Topic.LISTENS:
            config = {"cleanup.policy": "delete", "retention.ms": str(settings.listens_retention_ms)}
        else:
            config = {"cleanup.policy": "delete"}
        plans.append(TopicPlan(settings.topic(topic), settings.partitions, config))
    return plans


async def ensure_topics(settings: KafkaSettings, topics: Iterable[Topic] = tuple(Topic)) -> dict[str, str]:
    """Create the topics that are missing; return ``{name: "created" | "exists"}``. Safe to run again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                                request_timeout_ms=settings.request_timeout_ms)
    await admin.start()
    try:
        wanted = plan(settings, topics)
        existing = set(await admin.list_topics())
        missing = [p for p in wanted if p.name not in existing]
        outcome = {p.name: "exists" for p in wanted if p.name in existing}
        if missing:
            response = await admin.create_topics([
                NewTopic(p.name, p.partitions, settings.replication_factor, topic_configs=p.config)
                for p in missing])
            for name, code, message in (error[:3] for error in response.topic_errors):
                if code == TOPIC_ALREADY_EXISTS:
                    outcome[name] = "exists"
                elif code:
                    raise for_code(code)(f"cannot create topic {name}: {message}")
                else:
                    outcome[name] = "created"
        return outcome
    finally:
        await admin.close()


async def delete_topics(settings: KafkaSettings, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()
