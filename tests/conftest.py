"""Shared fixtures: one real Kafka broker for the whole run, fresh topic names per test, and the real datasets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from botify_core.admin import ensure_topics
from botify_core.local_kafka import LocalKafka
from botify_core.settings import KafkaSettings, PathSettings


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A real Apache Kafka broker (KRaft, one node) on a free port, stopped by its PID when the run ends."""
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"), port=0)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def kafka_settings(kafka_broker: LocalKafka) -> KafkaSettings:
    """Settings whose topic names are unique to this test."""
    return KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers,
                         topic_prefix=f"t{uuid.uuid4().hex[:10]}.", partitions=2)


@pytest.fixture
async def topics(kafka_settings: KafkaSettings) -> KafkaSettings:
    """Botify's topics, created for this test."""
    await ensure_topics(kafka_settings)
    return kafka_settings


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets (BOTIFY_DATA_DIR, default ../shared/data); tests that need them skip when absent."""
    path = PathSettings().data_dir
    if not (path / "README.md").is_file():
        pytest.skip(f"real datasets not found in {path}: set BOTIFY_DATA_DIR to a folder laid out like "
                    "../shared/data to run this test")
    return path
