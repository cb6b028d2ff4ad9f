"""Ingest under hostile input and faults: whatever the body, a clear 4xx; a producer token when one is set; a frozen
broker answers 503 meanwhile and loses nothing that got 202."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from botify_core.admin import ensure_topics
from botify_core.codecs import codec_for
from botify_core.local_kafka import LocalKafka
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_ingest.settings import IngestSettings
from tests.faults import frozen
from tests.ingest_server import running_ingest
from tests.integration.test_ingest_http import listen
from tests.kafka_helpers import consume, topic_size

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"events": ' + b"[" * 100_000,
                                  b'{"user_id": ' + b'{"a": ' * 50_000], ids=["arrays", "batch", "objects"])
async def test_deeply_nested_json_is_a_422_not_a_crash(topics: KafkaSettings, body: bytes) -> None:
    async with running_ingest(IngestSettings(kafka=topics)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/v1/listens", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]
        assert error["type"] in ("json_too_deep", "json_invalid")
        assert "nested too deeply" in error["msg"] or "not valid JSON" in error["msg"]
        assert (await client.post("/v1/listens", json=listen(1, "u"))).status_code == 202  # and it keeps serving
    assert await topic_size(topics, Topic.LISTENS) == 1


async def test_a_set_token_is_required_for_listens_but_not_for_health(topics: KafkaSettings) -> None:
    settings = IngestSettings(kafka=topics, token=SecretStr("s3cret-token"))
    async with running_ingest(settings) as url, httpx.AsyncClient(base_url=url) as client:
        missing = await client.post("/v1/listens", json=listen(1, "u"))
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert "BOTIFY_INGEST_TOKEN" in missing.json()["detail"]
        wrong = await client.post("/v1/listens", json=listen(2, "u"), headers={"Authorization": "Bearer s3cret-tokeN"})
        assert wrong.status_code == 401
        basic = await client.post("/v1/listens", json=listen(3, "u"), headers={"Authorization": "Basic czNjcmV0"})
        assert basic.status_code == 401
        right = await client.post("/v1/listens", json=listen(4, "u"), headers={"Authorization": "Bearer s3cret-token"})
        assert right.status_code == 202, right.text
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        schema = (await client.get("/openapi.json")).json()
        assert "HTTPBearer" in schema["components"]["securitySchemes"]
    (record,) = await consume(topics, Topic.LISTENS, 1)
    assert codec_for(ListenEvent).decode(record.value).event_id == "e00004"  # refused events never reached Kafka
    assert await topic_size(topics, Topic.LISTENS) == 1


def test_a_blank_token_means_no_token() -> None:
    assert IngestSettings(token=SecretStr("")).token is None


async def test_a_frozen_broker_is_a_503_and_every_accepted_event_lands_after_it_thaws(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=0)
    pid = broker.start()
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix="freeze.", partitions=2,
                              request_timeout_ms=5000)
        await ensure_topics(kafka, [Topic.LISTENS])
        settings = IngestSettings(kafka=kafka, produce_timeout_s=1.5, retry_after_s=2)
        accepted: list[str] = []
        async with running_ingest(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            before = await client.post("/v1/listens", json={"events": [listen(i, f"u{i}") for i in range(20)]})
            assert before.status_code == 202
            accepted += before.json()["event_ids"]
            with frozen(pid):
                during = await client.post("/v1/listens", json={"events": [listen(i, "u") for i in range(20, 30)]})
                assert during.status_code == 503 and during.headers["retry-after"] == "2"
                assert (await client.get("/healthz")).status_code == 200
            resent = None
            for _ in range(20):  # a client resends the 503'd batch with its ids until it is accepted
                resent = await client.post("/v1/listens", json={"events": [listen(i, "u") for i in range(20, 30)]})
                if resent.status_code == 202:
                    break
            assert resent is not None and resent.status_code == 202, resent.text if resent else None
            accepted += resent.json()["event_ids"]
        records = await consume(kafka, Topic.LISTENS, len(accepted), timeout_s=60)
        landed = {codec_for(ListenEvent).decode(r.value).event_id for r in records}
        assert set(accepted) <= landed
    finally:
        broker.stop()
