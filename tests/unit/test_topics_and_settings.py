"""Topic names, their policies, and settings from the environment: one source of truth for each."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from botify_core.admin import plan
from botify_core.settings import KafkaSettings, PathSettings
from botify_core.topics import SPECS, Topic
from botify_ingest.settings import IngestSettings


def test_every_topic_of_the_design_has_a_spec() -> None:
    assert {t.value for t in Topic if not SPECS[t].internal} == {
        "listens", "tracks", "track-embeddings", "item-factors", "user-state", "genre-trends", "transitions",
        "recs-served", "dead-letters"}
    assert set(SPECS) == set(Topic)


def test_plan_compacts_state_topics_and_keeps_listens_for_the_retention() -> None:
    settings = KafkaSettings(topic_prefix="x.", partitions=3, listens_retention_ms=1234)
    plans = {p.name: p for p in plan(settings)}
    compacted = {f"x.{t.value}" for t in Topic if SPECS[t].compacted and not SPECS[t].internal}
    assert compacted == {"x.tracks", "x.track-embeddings", "x.item-factors", "x.user-state", "x.genre-trends",
                         "x.transitions"}
    for name, p in plans.items():
        assert p.partitions == 3
        assert p.config["cleanup.policy"] == ("compact" if SPECS[Topic(name[2:])].compacted else "delete")
    assert plans["x.listens"].config["retention.ms"] == "1234"


def test_settings_come_from_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTIFY_KAFKA_BOOTSTRAP_SERVERS", "kafka:29092")
    monkeypatch.setenv("BOTIFY_KAFKA_TOPIC_PREFIX", "prod.")
    monkeypatch.setenv("BOTIFY_INGEST_PORT", "9000")
    monkeypatch.setenv("BOTIFY_DATA_DIR", "/data")
    settings = IngestSettings()
    assert settings.port == 9000
    assert settings.kafka.bootstrap_servers == "kafka:29092"
    assert settings.kafka.topic(Topic.LISTENS) == "prod.listens"
    assert str(settings.paths.data_dir) == "/data"
    assert str(PathSettings().data_dir) == "/data"


def test_bad_settings_are_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTIFY_KAFKA_TOPIC_PREFIX", "bad prefix!")
    with pytest.raises(ValidationError, match="topic prefix may hold only"):
        KafkaSettings()
    monkeypatch.delenv("BOTIFY_KAFKA_TOPIC_PREFIX")
    monkeypatch.setenv("BOTIFY_INGEST_MAX_BATCH_EVENTS", "0")
    with pytest.raises(ValidationError, match="max_batch_events"):
        IngestSettings()
