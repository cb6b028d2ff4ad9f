"""With the broker down, ingest answers 503 with Retry-After; every event that got 202 is in Kafka afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from botify_core.admin import ensure_topics
from botify_core.clock import now_ms
from botify_core.codecs import codec_for
from botify_core.local_kafka import LocalKafka
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_ingest.settings import IngestSettings
from tests.ingest_server import running_ingest
from tests.kafka_helpers import consume, topic_size


def batch(prefix: str, n: int, with_ids: bool = True) -> dict[str, Any]:
    events: list[dict[str, Any]] = [{"user_id": f"u{i % 5}", "track_id": "t", "ts": now_ms(),
                                     "track_duration_ms": 1000, "ms_played": 1000} for i in range(n)]
    if with_ids:
        for i, event in enumerate(events):
            event["event_id"] = f"{prefix}-{i}"
    return {"events": events}


async def test_outage_is_a_503_and_nothing_accepted_is_lost(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=0)
    broker.start()
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix="outage.", partitions=2,
                              request_timeout_ms=5000)
        await ensure_topics(kafka, [Topic.LISTENS])
        settings = IngestSettings(kafka=kafka, produce_timeout_s=2.0, retry_after_s=3)
        accepted: list[str] = []
        async with running_ingest(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            before = await client.post("/v1/listens", json=batch("before", 50))
            assert before.status_code == 202
            accepted += before.json()["event_ids"]

            broker.stop()
            pending = batch("down", 10, with_ids=False)  # the server assigns ids, and must say which
            down = await client.post("/v1/listens", json=pending)
            assert down.status_code == 503
            assert down.headers["retry-after"] == "3"
            assert "resend them all with these event_ids" in down.json()["detail"]
            down_ids = down.json()["event_ids"]
            assert len(set(down_ids)) == 10
            assert (await client.get("/readyz")).status_code == 503
            assert (await client.get("/healthz")).status_code == 200  # the service itself keeps running

            broker.start()
            for event, event_id in zip(pending["events"], down_ids, strict=True):
                event["event_id"] = event_id  # what a client does with a 503: resend, with the ids it was given
            resent = None
            for _ in range(30):  # retrying after the advertised delay (here each try waits for the timeout)
                resent = await client.post("/v1/listens", json=pending)
                if resent.status_code == 202:
                    break
                assert resent.status_code == 503
            assert resent is not None and resent.status_code == 202
            assert resent.json()["event_ids"] == down_ids
            accepted += down_ids
            assert (await client.get("/readyz")).status_code == 200
        # every event that got 202 is there; a 503'd event may be there twice (written, then resent), and
        # consumers drop the copy by event_id
        total = await topic_size(kafka, Topic.LISTENS)
        records = await consume(kafka, Topic.LISTENS, total)
        landed = [codec_for(ListenEvent).decode(r.value).event_id for r in records]
        assert set(landed) == set(accepted)
        duplicated = {i for i in landed if landed.count(i) > 1}
        assert duplicated <= set(down_ids)
    finally:
        broker.stop()
