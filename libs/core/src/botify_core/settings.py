"""Settings shared by every Botify process, read from environment variables.

Each service subclasses :class:`ServiceSettings` with its own prefix (``BOTIFY_INGEST_``, ...) and reaches the shared
parts through ``settings.kafka`` (``BOTIFY_KAFKA_*``) and ``settings.paths`` (``BOTIFY_*``):

>>> KafkaSettings(bootstrap_servers="127.0.0.1:9092", topic_prefix="t1.").topic(Topic.LISTENS)
't1.listens'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from botify_core.topics import Topic

#: The repository checkout this package runs from (the workspace installs it editable).
REPO_ROOT = Path(__file__).resolve().parents[4]


class PathSettings(BaseSettings):
    """Where data lives: ``BOTIFY_DATA_DIR`` (real datasets, read-only) and ``BOTIFY_VAR_DIR`` (what we write)."""

    model_config = SettingsConfigDict(env_prefix="BOTIFY_", extra="ignore")

    data_dir: Path = Field(default=REPO_ROOT.parent / "shared" / "data",
                           description="folder laid out like ../shared/data (see its README)")
    var_dir: Path = Field(default=REPO_ROOT / "var", description="runtime state: Kafka logs, demo data, models")
    verify_checksums: bool = Field(default=True, description="check dataset files against their sha256")


class KafkaSettings(BaseSettings):
    """How to reach Kafka and how topics are named and shaped (``BOTIFY_KAFKA_*``)."""

    model_config = SettingsConfigDict(env_prefix="BOTIFY_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = Field(default="", description="prepended to every topic name (tests, shared clusters)")
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    listens_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=-1)
    request_timeout_ms: int = Field(default=30_000, ge=1000)
    linger_ms: int = Field(default=2, ge=0)

    @field_validator("topic_prefix")
    @classmethod
    def _legal_prefix(cls, value: str) -> str:
        if value and not all(c.isalnum() or c in "._-" for c in value):
            raise ValueError(f"topic prefix may hold only letters, digits, '.', '_' and '-', got {value!r}")
        return value

    def topic(self, topic: Topic) -> str:
        """The full name of ``topic`` on this cluster."""
        return f"{self.topic_prefix}{topic.value}"


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set ``model_config`` with their own ``env_prefix``."""

    model_config = SettingsConfigDict(extra="ignore")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
