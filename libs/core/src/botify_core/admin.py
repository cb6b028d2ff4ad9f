"""Create Botify's topics idempotently (``botify kafka init``) and describe them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

from botify_core.settings import KafkaSettings
from botify_core.topics import SPECS, Topic

TOPIC_ALREADY_EXISTS = 36
UNKNOWN_TOPIC_OR_PARTITION = 3


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


def _admin(settings: KafkaSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                               request_timeout_ms=settings.request_timeout_ms)


async def _configs(admin: AIOKafkaAdminClient, names: list[str], wait_s: float = 10.0) -> dict[str, dict[str, str]]:
    """Live topic configurations; a topic created a moment ago may not be describable yet, so retry it briefly."""
    result: dict[str, dict[str, str]] = {}
    pending, delay = list(names), 0.05
    deadline = asyncio.get_running_loop().time() + wait_s
    while pending:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in pending])
        unknown = []
        for response in responses:
            for error_code, message, _type, name, entries, *_ in response.resources:
                if error_code == UNKNOWN_TOPIC_OR_PARTITION and asyncio.get_running_loop().time() < deadline:
                    unknown.append(name)
                elif error_code:
                    raise for_code(error_code)(f"cannot describe topic {name}: {message}")
                else:
                    result[name] = {entry[0]: entry[1] for entry in entries}
        pending = unknown
        if pending:
            await asyncio.sleep(delay)  # the broker's metadata catches up asynchronously; nothing to await on
            delay = min(delay * 2, 1.0)
    return result


async def topic_configs(settings: KafkaSettings, topics: Iterable[Topic] = tuple(Topic)) -> dict[str, dict[str, str]]:
    """The live configuration of each topic, as the broker reports it."""
    admin = _admin(settings)
    await admin.start()
    try:
        return await _configs(admin, [settings.topic(t) for t in topics])
    finally:
        await admin.close()


def _drift(p: TopicPlan, live: dict[str, str]) -> str:
    policy, expected = live.get("cleanup.policy"), p.config["cleanup.policy"]
    return "exists" if policy == expected else f"exists, but cleanup.policy is {policy} (expected {expected})"


async def ensure_topics(settings: KafkaSettings, topics: Iterable[Topic] = tuple(Topic)) -> dict[str, str]:
    """Create the topics that are missing; return ``{name: "created" | "exists" | "exists, but ..."}``.

    Safe to run again: existing topics are left as they are, and a cleanup policy that differs from the plan is
    reported rather than changed (changing it could delete data).
    """
    admin = _admin(settings)
    await admin.start()
    try:
        wanted = {p.name: p for p in plan(settings, topics)}
        listed = set(await admin.list_topics())
        existing = [name for name in wanted if name in listed]
        missing = [p for name, p in wanted.items() if name not in listed]
        if missing:
            response = await admin.create_topics([
                NewTopic(p.name, p.partitions, settings.replication_factor, topic_configs=p.config)
                for p in missing])
            for name, code, message in (error[:3] for error in response.topic_errors):
                if code == TOPIC_ALREADY_EXISTS:  # created since we listed (another init, or metadata lag)
                    existing.append(name)
                elif code:
                    raise for_code(code)(f"cannot create topic {name}: {message}")
        live = await _configs(admin, existing)
        return {name: _drift(p, live[name]) if name in live else "created" for name, p in wanted.items()}
    finally:
        await admin.close()
