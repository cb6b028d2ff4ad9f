"""The project's own Kafka broker: started, stopped by PID, restarted with its data; topics created idempotently."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from botify_core.admin import ensure_topics, plan, topic_configs
from botify_core.local_kafka import KafkaError, LocalKafka
from botify_core.processes import pid_alive, port_open
from botify_core.settings import KafkaSettings
from botify_core.topics import SPECS, Topic


async def test_init_creates_every_topic_with_its_policy_and_is_idempotent(kafka_settings: KafkaSettings) -> None:
    first = await ensure_topics(kafka_settings)
    assert set(first.values()) == {"created"} and len(first) == len(Topic)
    again = await ensure_topics(kafka_settings)
    assert set(again.values()) == {"exists"}
    configs = await topic_configs(kafka_settings)
    for topic in Topic:
        expected = "compact" if SPECS[topic].compacted else "delete"
        assert configs[kafka_settings.topic(topic)]["cleanup.policy"] == expected, topic
    assert configs[kafka_settings.topic(Topic.LISTENS)]["retention.ms"] == str(kafka_settings.listens_retention_ms)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([kafka_settings.topic(Topic.LISTENS)])
        assert len(described["partitions"]) == kafka_settings.partitions
    finally:
        await admin.close()


async def test_init_reports_a_topic_whose_policy_drifted(kafka_settings: KafkaSettings) -> None:
    drifted = kafka_settings.model_copy(update={"topic_prefix": kafka_settings.topic_prefix + "d."})
    await ensure_topics(drifted, [Topic.LISTENS])
    # pretend someone created the state topic by hand with the wrong policy
    wrong = plan(drifted, [Topic.TRACKS])[0]
    admin = AIOKafkaAdminClient(bootstrap_servers=drifted.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(wrong.name, 1, 1, topic_configs={"cleanup.policy": "delete"})])
    finally:
        await admin.close()
    outcome = await ensure_topics(drifted, [Topic.TRACKS])
    assert outcome == {wrong.name: "exists, but cleanup.policy is delete (expected compact)"}


def test_a_broker_stops_by_its_pid_and_resumes_its_data(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=0)
    pid = broker.start()
    try:
        assert broker.status()["running"] is True
        with pytest.raises(KafkaError, match="already running"):
            LocalKafka(tmp_path / "kafka", port=0).start()
        settings = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix="keep.")
        asyncio.run(ensure_topics(settings, [Topic.TRACKS]))
        assert broker.kill() is True  # a crash, not a clean shutdown
        assert not pid_alive(pid) and not port_open(broker.port)
        assert broker.status()["running"] is False
        broker.start()
        assert asyncio.run(ensure_topics(settings, [Topic.TRACKS])) == {"keep.tracks": "exists"}
    finally:
        broker.stop()
    assert broker.pid() is None and not port_open(broker.port)


def test_a_taken_port_is_a_clear_error(tmp_path: Path, kafka_broker: LocalKafka) -> None:
    with pytest.raises(KafkaError, match=f"port {kafka_broker.port} on 127.0.0.1 is already taken"):
        LocalKafka(tmp_path / "other", port=kafka_broker.port).start()


def test_a_cluster_id_that_looks_like_an_option_still_formats(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # base64url ids start with "-" one time in 64; the storage tool must not read one as a flag
    dash_first = uuid.UUID(bytes=b"\xf8" + bytes(15))  # encodes to "-AAAA…"
    monkeypatch.setattr(uuid, "uuid4", lambda: dash_first)
    broker = LocalKafka(tmp_path / "kafka", port=0)
    broker.start()
    try:
        assert "cluster.id=-AAAA" in (broker.data_dir / "meta.properties").read_text()
    finally:
        broker.stop()


def test_a_broker_that_cannot_start_says_why(tmp_path: Path) -> None:
    with pytest.raises(KafkaError, match=r"formatting .* failed:\nError occurred during initialization of VM"):
        LocalKafka(tmp_path / "kafka", port=0, jvm_opts=("-Xmx1m",)).start()
    formatted = LocalKafka(tmp_path / "kafka", port=0)
    formatted.start()
    formatted.stop()
    broker = LocalKafka(tmp_path / "kafka", port=0, jvm_opts=("-Xmx1m",))  # storage ready; the JVM cannot start
    with pytest.raises(KafkaError, match=r"(?s)Kafka exited with code \d+; last log lines:\n.*Too small maximum heap"):
        broker.start()
    assert broker.pid() is None and not broker.pid_file.exists()
