"""The outbox never blocks an answer: a full queue refuses the record at once and counts it."""

from __future__ import annotations

from prometheus_client import REGISTRY

from botify_api.outbox import Outbox
from botify_core.proto.botify.v1.serving_pb2 import RecommendationServed
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic


def dropped() -> float:
    return REGISTRY.get_sample_value("botify_api_produce_dropped_total", {"topic": "recs-served"}) or 0.0


async def test_a_full_outbox_drops_and_counts_instead_of_waiting() -> None:
    outbox = Outbox(KafkaSettings(bootstrap_servers="127.0.0.1:1"), capacity=2)  # never started: nothing drains
    before = dropped()
    served = RecommendationServed(recommendation_id="r1", user_id="u1")
    assert [outbox.put(Topic.RECS_SERVED, "u1", served) for _ in range(3)] == [True, True, False]
    assert dropped() == before + 1
    assert not outbox.connected
