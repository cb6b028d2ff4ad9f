"""Settings shared by every Botify process, read from environment variables.

Each service subclasses :class:`ServiceSettings` with its own prefix (``BOTIFY_INGEST_``, ...) and reaches the shared
parts through ``settings.kafka`` (``BOTIFY_KAFKA_*``) and ``settings.paths`` (``BOTIFY_*``):

>>> KafkaSettings(bootstrap_servers="127.0.0.1:9092", topic_prefix="t1.").topic(Topic.LISTENS)
't1.listens'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
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

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="Kafka brokers, host:port[,host:port...]")
    topic_prefix: str = Field(default="", description="prepended to every topic name (tests, shared clusters)")
    partitions: int = Field(default=4, ge=1, description="partitions of topics created by botify kafka init")
    replication_factor: int = Field(default=1, ge=1, description="replicas of topics created")
    listens_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=-1,
                                      description="how long listens are kept (-1: forever)")
    request_timeout_ms: int = Field(default=30_000, ge=1000, description="Kafka client request timeout")
    linger_ms: int = Field(default=2, ge=0, description="how long a producer waits to fill a batch")

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


class VectorSettings(BaseSettings):
    """The vector store (``BOTIFY_VECTORS_*``): Qdrant Edge files under ``var/`` by default, a Qdrant server when
    ``QDRANT_URL`` is set; collection sizes, tuned HNSW parameters, and what the sink writes.

    >>> VectorSettings(qdrant_url=None, path=Path("/srv/vectors")).edge_path(PathSettings())
    PosixPath('/srv/vectors')
    """

    model_config = SettingsConfigDict(env_prefix="BOTIFY_VECTORS_", extra="ignore", populate_by_name=True)

    qdrant_url: str | None = Field(default=None,
                                   validation_alias=AliasChoices("QDRANT_URL", "BOTIFY_VECTORS_QDRANT_URL"),
                                   description="a Qdrant server; unset: Qdrant Edge in-process")
    qdrant_api_key: str | None = Field(default=None,
                                       validation_alias=AliasChoices("QDRANT_API_KEY", "BOTIFY_VECTORS_QDRANT_API_KEY"),
                                       description="API key of that server, if it needs one")
    path: Path | None = Field(default=None, description="Qdrant Edge shards; default <BOTIFY_VAR_DIR>/vectors")
    audio_dim: int = Field(default=128, ge=1, le=65536, description="size of the audio embeddings (collection audio)")
    cf_dim: int = Field(default=32, ge=1, le=65536, description="size of the item factors (collection cf)")
    hnsw_m: int = Field(default=32, ge=4, le=128, description="HNSW edges per node")
    hnsw_ef_construct: int = Field(default=200, ge=4, le=4096, description="HNSW candidates while building")
    hnsw_ef: int = Field(default=256, ge=1, le=8192, description="HNSW candidates while searching")
    indexing_threshold_kb: int = Field(default=1000, ge=1,
                                       description="Qdrant Edge: a segment's vectors get an HNSW index from this many "
                                                   "KB on (Qdrant's default, 10,000, left the 50,000 x 32-d cf "
                                                   "collection to exhaustive search: 1.8 ms a query against ~0.3)")
    search_threads: int = Field(default=1, ge=1, le=256,
                                description="Qdrant Edge: threads one search may use. 1 keeps it on the calling "
                                            "thread: with a gateway process per core, more threads only add "
                                            "hand-offs (50,000 x 32-d cf, one query at a time: 1.6 ms and 0.97 ms "
                                            "of CPU per search with the engine's default, 1.1 ms and 0.83 ms with 1)")
    sink_batch_size: int = Field(default=500, ge=1, le=100_000, description="records the sink applies at once")
    sink_build_index: bool = Field(default=True, description="the sink builds due HNSW indexes after each batch "
                                   "(Qdrant Edge: the build stalls the hosting process; see docs/operations.md)")
    genre_min_probability: float = Field(default=0.2, ge=0.0, le=1.0,
                                         description="a genre enters a track's payload from this probability")
    max_genres: int = Field(default=3, ge=1, le=32, description="most genres in a track's payload")

    def edge_path(self, paths: PathSettings) -> Path:
        """Where the Qdrant Edge shards live."""
        return self.path if self.path is not None else paths.var_dir / "vectors"
