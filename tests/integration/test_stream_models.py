"""Online models in the stream processor, on the real broker: listens go in, item factors (via the item owners on
``item-updates``) and user factors (in ``user-state``) come out, and a user's repeated positive listens of a track
raise its predicted score for them."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from google.protobuf.message import Message

from botify_core.codecs import codec_for
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated, UserState
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_recommender.worker_process import WorkerProcess

pytestmark = [pytest.mark.kafka]

M = TypeVar("M", bound=Message)
FACTORS = 8
T0 = 1_700_000_000_000
TRACKS = [f"t{i:02d}" for i in range(40)]
TARGET_USER, TARGET_TRACK = "fan", "t07"


class Latest(Generic[M]):
    """Follows a compacted output topic from the beginning (read_committed), keeping the latest message per key."""

    def __init__(self, settings: KafkaSettings, topic: Topic, message: type[M]) -> None:
        self.settings, self.topic, self.codec = settings, topic, codec_for(message)
        self.latest: dict[str, M] = {}
        self.consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                         isolation_level="read_committed", enable_auto_commit=False,
                                         fetch_max_wait_ms=50)

    async def start(self) -> None:
        await self.consumer.start()
        parts = [TopicPartition(self.settings.topic(self.topic), p) for p in range(self.settings.partitions)]
        self.consumer.assign(parts)
        await self.consumer.seek_to_beginning(*parts)

    async def until(self, done: Callable[[dict[str, M]], bool], timeout_s: float = 60.0) -> dict[str, M]:
        try:
            async with asyncio.timeout(timeout_s):
                while not done(self.latest):
                    for records in (await self.consumer.getmany(timeout_ms=500)).values():
                        for record in records:
                            self.latest[record.key.decode()] = self.codec.decode(record.value)
        except TimeoutError:
            raise AssertionError(f"{self.topic} did not reach the expected state within {timeout_s} s; "
                                 f"latest: {list(self.latest.items())[:5]}") from None
        return self.latest

    async def stop(self) -> None:
        await self.consumer.stop()


def listens(rng: random.Random, start: int, n: int) -> list[ListenEvent]:
    """Background listeners: mostly completed plays of any track but the target's, a few skips."""
    events = []
    for i in range(start, start + n):
        duration = 200_000
        played = duration if rng.random() < 0.8 else 20_000
        events.append(ListenEvent(event_id=f"bg{i}", user_id=f"u{rng.randrange(30)}",
                                  track_id=rng.choice([t for t in TRACKS if t != TARGET_TRACK]),
                                  event_time_ms=T0 + i * 1000, ms_played=played, track_duration_ms=duration,
                                  kind=ListenKind.LISTEN_KIND_PLAY))
    return events


def fan_listens(start: int, n: int) -> list[ListenEvent]:
    return [ListenEvent(event_id=f"fan{i}", user_id=TARGET_USER, track_id=TARGET_TRACK,
                        event_time_ms=T0 + 10_000_000 + i * 1000, ms_played=200_000, track_duration_ms=200_000,
                        kind=ListenKind.LISTEN_KIND_PLAY) for i in range(start, start + n)]


def score_margin(user: UserState, items: dict[str, FactorsUpdated]) -> tuple[float, float]:
    """The target track's predicted score for the fan, and its margin over the mean of the other known tracks."""
    u = np.array(user.factors)

    def score(f: FactorsUpdated) -> float:
        return float(u @ np.array(f.factors) + f.bias)

    target = score(items[TARGET_TRACK])
    others = [score(f) for t, f in items.items() if t != TARGET_TRACK]
    return target, target - float(np.mean(others))


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


async def test_listens_train_item_and_user_factors_and_a_fans_listens_raise_the_score(
        topics: KafkaSettings, tmp_path: Path) -> None:
    rng = random.Random(5)
    async with EventProducer(topics) as producer:
        await producer.send_many(Topic.TRACKS, [(t, TrackUpserted(track_id=t, genres=["rock"], duration_ms=200_000))
                                                for t in TRACKS])
    users = Latest(topics, Topic.USER_STATE, UserState)
    items = Latest(topics, Topic.ITEM_FACTORS, FactorsUpdated)
    await users.start()
    await items.start()
    settings: dict[str, str | int] = {"commit_interval_ms": 100, "user_state_debounce_ms": 0, "mf_factors": FACTORS,
                                      "mf_learning_rate": "0.1", "snapshot_interval_ms": 100}
    try:
        with WorkerProcess(topics, worker_id="0", group_id="models-it", log=tmp_path / "worker.log",
                           var_dir=tmp_path / "var", **settings) as worker:
            await worker.ready()
            async with EventProducer(topics) as producer:
                background = listens(rng, 0, 600)
                await producer.send_listens(background)
                await users.until(lambda latest: sum(s.listens for s in latest.values()) == len(background))
                await producer.send_listens(fan_listens(0, 1))
                fan = (await users.until(lambda latest: TARGET_USER in latest))[TARGET_USER]
                first = await items.until(lambda latest: latest.get(TARGET_TRACK, FactorsUpdated()).update_count == 1)
                before = score_margin(fan, dict(first))

                await producer.send_listens([*fan_listens(1, 30), *listens(rng, 600, 200)])
                fan = (await users.until(lambda latest: latest.get(TARGET_USER, UserState()).listens == 31))[
                    TARGET_USER]
                after_items = await items.until(
                    lambda latest: latest.get(TARGET_TRACK, FactorsUpdated()).update_count == 31)
                after = score_margin(fan, dict(after_items))

            total = len(background) + 31 + 200
            await users.until(lambda latest: sum(s.listens for s in latest.values()) == total)
            steps = metric(await worker.metrics(), "botify_recommender_mf_steps_total")
            # every step's item half reached its owner exactly once: the owners' counts add up to the steps taken
            counts = await items.until(lambda latest: sum(f.update_count for f in latest.values()) == steps)
    finally:
        await users.stop()
        await items.stop()

    # a listen is stepped once there is something to rank it against: the first ones, before the worker's item
    # feed (it tails item-factors asynchronously) knows two tracks, are not; every other listen is, exactly once
    assert total - 10 <= steps <= total
    assert set(counts) <= set(TRACKS) and len(counts) >= len(TRACKS) - 1
    assert all(len(f.factors) == FACTORS and f.model_version == "smf-1" for f in counts.values())
    assert len(fan.factors) == FACTORS and fan.model_version == "smf-1"
    assert after[0] > before[0], (before, after)   # the fan's score for the track rose
    assert after[1] > before[1], (before, after)   # and it rose above the other tracks'
