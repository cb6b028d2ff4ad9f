"""The ingest service against a real broker: what gets 202 is exactly what lands in `listens`, in order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import httpx

from botify_core.clock import now_ms
from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.listen_pb2 import ListenBatch, ListenEvent, ListenKind
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_ingest.settings import IngestSettings
from tests.ingest_server import running_ingest
from tests.kafka_helpers import consume, topic_size


def listen(i: int, user: str, **overrides: Any) -> dict[str, Any]:
    return {"event_id": f"e{i:05d}", "user_id": user, "track_id": f"t{i % 17}", "ts": now_ms() - 1000 + i,
            "track_duration_ms": 180_000, "ms_played": (i * 7919) % 180_001, "kind": "play"} | overrides


async def test_posted_events_are_exactly_the_consumed_events_in_order_per_user(topics: KafkaSettings) -> None:
    users = [f"user-{u}" for u in range(7)]
    sent = [listen(i, users[i % len(users)]) for i in range(600)]
    async with running_ingest(IngestSettings(kafka=topics)) as url, httpx.AsyncClient(base_url=url) as client:
        for start in range(0, 500, 100):
            response = await client.post("/v1/listens", json={"events": sent[start:start + 100]})
            assert response.status_code == 202, response.text
            assert response.json() == {"accepted": 100, "event_ids": [e["event_id"] for e in sent[start:start + 100]]}
        for single in sent[500:]:
            assert (await client.post("/v1/listens", json=single)).status_code == 202
    records = await consume(topics, Topic.LISTENS, len(sent))
    assert len(records) == len(sent) and await topic_size(topics, Topic.LISTENS) == len(sent)
    decoded = [codec_for(ListenEvent).decode(r.value) for r in records]
    assert sorted(e.event_id for e in decoded) == sorted(e["event_id"] for e in sent)
    consumed_order: dict[str, list[str]] = defaultdict(list)
    for record, event in zip(records, decoded, strict=True):
        assert record.key == event.user_id.encode()
        consumed_order[event.user_id].append(event.event_id)
    for user in users:
        assert consumed_order[user] == [e["event_id"] for e in sent if e["user_id"] == user]
    third = next(e for e in decoded if e.event_id == "e00003")
    assert (third.user_id, third.track_id, third.ms_played, third.kind) == (
        "user-3", "t3", sent[3]["ms_played"], ListenKind.LISTEN_KIND_PLAY)


async def test_a_batch_with_one_bad_event_is_rejected_whole(topics: KafkaSettings) -> None:
    batch = [listen(i, "u1") for i in range(20)]
    batch[13]["ms_played"] = 10**7
    async with running_ingest(IngestSettings(kafka=topics)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/v1/listens", json={"events": batch})
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "events", 13, "ms_played"]]
        # a valid event afterwards lands alone: proof that nothing of the rejected batch was produced
        assert (await client.post("/v1/listens", json=listen(99, "u1"))).status_code == 202
    (record,) = await consume(topics, Topic.LISTENS, 1)
    assert codec_for(ListenEvent).decode(record.value).event_id == "e00099"
    assert await topic_size(topics, Topic.LISTENS) == 1


async def test_limits_answer_413_and_produce_nothing(topics: KafkaSettings) -> None:
    settings = IngestSettings(kafka=topics, max_batch_events=10, max_body_bytes=4096)
    async with running_ingest(settings) as url, httpx.AsyncClient(base_url=url) as client:
        too_many = await client.post("/v1/listens", json={"events": [listen(i, "u") for i in range(11)]})
        assert too_many.status_code == 413 and "11 events" in too_many.json()["detail"]
        too_big = await client.post("/v1/listens", content=b"{" + b" " * 5000 + b"}",
                                    headers={"content-type": "application/json"})
        assert too_big.status_code == 413 and "4096 bytes" in too_big.json()["detail"]

        async def chunks() -> Any:  # no Content-Length: the limit holds while streaming too
            for _ in range(10):
                yield b" " * 1000

        streamed = await client.post("/v1/listens", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        assert (await client.post("/v1/listens", json=listen(1, "u"))).status_code == 202
    assert await topic_size(topics, Topic.LISTENS) == 1


async def test_protobuf_batches_and_server_assigned_ids(topics: KafkaSettings) -> None:
    event = ListenEvent(user_id="u9", track_id="t9", event_time_ms=now_ms(), track_duration_ms=1000, ms_played=999,
                        kind=ListenKind.LISTEN_KIND_SKIP)
    body = codec_for(ListenBatch).encode(ListenBatch(events=[event, event]))
    async with running_ingest(IngestSettings(kafka=topics)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/v1/listens", content=body,
                                     headers={"content-type": "application/x-protobuf"})
        assert response.status_code == 202
        ids = response.json()["event_ids"]
        assert len(ids) == 2 and ids[0] != ids[1]
    records = await consume(topics, Topic.LISTENS, 2)
    assert sorted(codec_for(ListenEvent).decode(r.value).event_id for r in records) == sorted(ids)


async def test_health_readiness_metrics_and_openapi(topics: KafkaSettings) -> None:
    async with running_ingest(IngestSettings(kafka=topics)) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        await client.post("/v1/listens", json=listen(1, "u"))
        await client.post("/v1/listens", json={"user_id": "u"})
        metrics = (await client.get("/metrics")).text
        assert 'botify_ingest_events_total{outcome="accepted"}' in metrics
        assert 'botify_ingest_requests_total{path="/v1/listens",status="422"}' in metrics
        spec = (await client.get("/openapi.json")).json()
        body = spec["paths"]["/v1/listens"]["post"]["requestBody"]["content"]
        assert {"application/json", "application/x-protobuf"} <= set(body)
        assert "ListenIn" in spec["components"]["schemas"]


async def test_a_missing_topic_is_named_by_readiness_and_by_a_quick_503(kafka_settings: KafkaSettings) -> None:
    settings = IngestSettings(kafka=kafka_settings, produce_timeout_s=30)
    async with running_ingest(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        ready = await client.get("/readyz")
        started = asyncio.get_running_loop().time()
        refused = await client.post("/v1/listens", json=listen(1, "u"))
        waited = asyncio.get_running_loop().time() - started
    assert refused.status_code == 503 and "run `botify kafka init`" in refused.json()["detail"]
    assert waited < settings.produce_timeout_s  # told at once, not after waiting for metadata that never comes
    assert ready.status_code == 503
    missing = kafka_settings.topic(Topic.LISTENS)
    assert ready.json()["kafka"] == f"topic {missing} does not exist: run `botify kafka init`"
