"""Settings of the gateway (``BOTIFY_API_*``; Kafka through ``BOTIFY_KAFKA_*``, the vector store through
``BOTIFY_VECTORS_*`` / ``QDRANT_URL``).

>>> ApiSettings(weights={"cf": 2.0}).weight("cf"), ApiSettings().weight("nobody-registered-this")
(2.0, 1.0)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from botify_core.settings import ServiceSettings, VectorSettings

#: the experiments file that ships with the gateway
DEFAULT_EXPERIMENTS = Path(__file__).resolve().parent / "experiments.toml"


class ApiSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOTIFY_API_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address to listen on (loopback: this machine only)")
    port: int = Field(default=8000, ge=0, le=65535, description="port to listen on")
    vectors: VectorSettings = Field(default_factory=VectorSettings,
                                    description="its vector store: the BOTIFY_VECTORS_* settings")

    default_k: int = Field(default=10, ge=1, le=100, description="items per answer when k is not given")
    max_k: int = Field(default=100, ge=1, le=1000, description="larger k get 422")
    max_exclude: int = Field(default=500, ge=0, description="most ids in `exclude`")
    weights: dict[str, float] = Field(
        default={"cf": 1.0, "audio": 0.8, "transitions": 1.0, "trending": 0.6, "popular": 0.2},
        description="weight of each candidate source in rank fusion (JSON); a source not listed weighs 1")
    rrf_k: float = Field(default=60.0, gt=0, description="reciprocal rank fusion constant: 1/(rrf_k + rank)")
    candidates_per_source: int = Field(default=30, ge=1, le=2000, description="candidates asked of each source")
    search_ef: int | None = Field(default=64, ge=1, le=8192,
                                  description="HNSW candidates per search of the gateway's vector store (replaces "
                                              "BOTIFY_VECTORS_HNSW_EF for its queries; null: keep that one). 64 kept "
                                              "recall@50 at 0.98 on 20,000 random 128-d vectors at a third of 256's "
                                              "search time")
    candidate_cache_size: int = Field(default=20_000, ge=0,
                                      description="answers each vector source (cf, audio) keeps, least recently "
                                                  "used out first; 0 searches for every request")
    candidate_max_age_s: float = Field(default=300.0, gt=0,
                                       description="a kept vector-source answer is searched again after this long, "
                                                   "so index changes (new item factors, embeddings) show; a user's "
                                                   "new state or new seed tracks show at once")
    store_retry_s: float = Field(default=5.0, gt=0,
                                 description="after a failed vector search, the vector sources are left out (listed "
                                             "in `degraded`) this long before a search is tried again")
    warm_users: int = Field(default=20_000, ge=0,
                            description="at start, once the read model caught up and before /readyz is 200: "
                                        "compute this many users' candidates (the most recently updated first)")
    drop_heard: bool = Field(default=True, description="leave out tracks the user already heard")
    max_per_artist: int = Field(default=2, ge=1, description="most items of one artist in an answer")
    genre_penalty: float = Field(default=0.15, ge=0.0, lt=1.0,
                                 description="diversity: an item's score shrinks by this share for each item of its "
                                             "main genre already chosen (MMR-like)")
    skip_fraction: float = Field(default=0.3, gt=0.0, lt=1.0,
                                 description="a listen below this fraction of the track is a skip")
    audio_seeds: int = Field(default=3, ge=1, le=20, description="recent tracks that seed audio similarity")
    trending_window: str = Field(default="1h", description="the genre-trends window the trending source reads")
    stale_after_s: float = Field(default=600.0, gt=0,
                                 description="a user state older than this marks the answer degraded as stale "
                                             "(event time of the user's state against the newest event seen)")
    experiments_path: Path = Field(default=DEFAULT_EXPERIMENTS, description="experiments and their arms (TOML)")
    int_track_format: str = Field(default="syn-t{:05d}",
                                  description="how an integer track id of the original Botify API maps to ours")
    int_user_format: str = Field(default="syn-u{:04d}",
                                 description="how an integer user id of the original Botify API maps to ours")
    served_queue: int = Field(default=10_000, ge=1,
                              description="recs-served and listens waiting to be produced; beyond it they are "
                                          "dropped and counted, never blocking an answer")
    outbox_linger_ms: int = Field(default=20, ge=0, le=1000,
                                  description="the outbox waits this long after a record to fill a batch: one answer "
                                              "logged to recs-served per request made a produce request of a few "
                                              "records each (a tenth of a core of the broker at 1,400 answers/s); "
                                              "a listen reported through /next reaches Kafka this much later")
    poll_ms: int = Field(default=100, ge=1, le=5000, description="read model: longest wait for new records")
    workers: int = Field(default=1, ge=1, le=64,
                         description="gateway processes sharing the port, each with its own read model and Edge "
                                     "store (memory and rebuild CPU grow with it; see botify_api.workers)")
    worker_healthcheck_s: int = Field(default=300, ge=1,
                                      description="with several workers: one that does not answer uvicorn's health "
                                                  "check this long is killed and replaced (an Edge index build holds "
                                                  "its process for about a minute at 50,000 tracks; a dead worker "
                                                  "is replaced at once)")

    def weight(self, source: str) -> float:
        return self.weights.get(source, 1.0)
