"""With the broker down, ingest answers 503 with Retry-After; every event that got 202 is in Kafka afterwards."""

from __future__ import annotations

from pathlib import Path

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
from tests.kafka_helpers import consume


def batch(prefix: str, n: int) -> dict[str, object]:
    return {"events": [{"event_id": f"{prefix}-{i}", "user_id": f"u{i % 5}", "track_id": "t", "ts": now_ms(),
                        "track_duration_ms": 1000, "ms_played": 1000} for i in range(n)]}


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
            down = await client.post("/v1/listens", json=batch("down", 10))
            assert down.status_code == 503
            assert down.headers["retry-after"] == "3"
            assert "retry later" in down.json()["detail"]
            assert (await client.get("/readyz")).status_code == 503
            assert (await client.get("/healthz")).status_code == 200  # the service itself keeps running

            broker.start()
            after = None
            for _ in range(30):  # what a client does with 503: retry after the advertised delay, here shortened
                after = await client.post("/v1/listens", json=batch("after", 50))
                if after.status_code == 202:
                    break
                assert after.status_code == 503
            assert after is not None and after.status_code == 202
            accepted += after.json()["event_ids"]
            assert (await client.get("/readyz")).status_code == 200
        records = await consume(kafka, Topic.LISTENS, len(accepted))
        landed = {codec_for(ListenEvent).decode(r.value).event_id for r in records}
        assert set(accepted) <= landed
    finally:
        broker.stop()
