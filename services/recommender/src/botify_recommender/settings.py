"""Settings of the stream processor (``BOTIFY_RECOMMENDER_*``; Kafka through ``BOTIFY_KAFKA_*``).

>>> RecommenderSettings(windows="1m:1m,1h:10m").window_specs()[1]
WindowSpec(name='1h', size_ms=3600000, step_ms=600000)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from botify_core.settings import REPO_ROOT, ServiceSettings
from botify_recommender.windows import WindowSpec, parse_windows


class RecommenderSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOTIFY_RECOMMENDER_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address of its web server (loopback: this machine only)")
    port: int = Field(default=8002, ge=0, le=65535, description="web server: /healthz, /readyz, /metrics")
    group_id: str = Field(default="botify-recommender", description="Kafka consumer group of the workers")
    worker_id: str = Field(default="0", description="stable per worker: its transactional id, so a restarted "
                                                     "worker fences (aborts) what its crashed predecessor left open")
    commit_interval_ms: int = Field(default=100, ge=10,
                                    description="a transaction commits at least this often (bench.stream: the "
                                                "longest interval whose freshness p99 meets 500 ms at 1,000/s)")
    max_batch: int = Field(default=2000, ge=1, description="records folded per transaction at most")
    fetch_max_wait_ms: int = Field(default=50, ge=0, description="the consumer's wait for more data per fetch")
    transaction_timeout_ms: int = Field(default=60_000, ge=1000,
                                        description="Kafka aborts a transaction left open this long")

    windows: str = Field(default="1m:1m,1h:10m,1d:1h",
                         description="trend windows by event time, size[:step] each (step < size: hopping)")
    grace_ms: int = Field(default=60_000, ge=0,
                          description="a window still takes events until the partition's newest event time passes "
                                      "its end by this much")
    top_tracks: int = Field(default=10, ge=1, description="top-N tracks per genre per window")
    trend_retention_ms: int = Field(default=2 * 24 * 3600 * 1000, ge=0,
                                    description="a window whose start is this much (event time) before the newest "
                                                "window of its length is forgotten")
    snapshot_interval_ms: int = Field(default=1000, ge=0,
                                      description="cadence of genre-trends and transitions snapshots, at the flush "
                                                  "within half a commit interval of it")
    snapshot_others_interval_ms: int = Field(default=5000, ge=0,
                                             description="genre-trends: a changed window other than the current "
                                                         "one of its length (a newer hopping window, an older one a "
                                                         "late listen changed) is published at most this often "
                                                         "(the current one every snapshot interval)")

    dedup_horizon_ms: int = Field(default=24 * 3600 * 1000, ge=0,
                                  description="an event id is remembered this long after the partition's newest "
                                              "event time; resends within it are dropped")

    recent_size: int = Field(default=20, ge=1, description="recent listens kept per user")
    session_gap_ms: int = Field(default=30 * 60 * 1000, ge=1, description="a longer pause starts a new session")
    affinity_half_life_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=1,
                                       description="genre affinity halves over this much event time")
    skip_fraction: float = Field(default=0.3, ge=0.0, le=1.0, description="a play below this fraction is a skip")
    complete_fraction: float = Field(default=0.8, ge=0.0, le=1.0, description="from this fraction a play completed")
    weight_complete: float = Field(default=1.0, description="feedback weight of a completed play")
    weight_partial: float = Field(default=0.3, description="feedback weight of a play between skip and complete")
    weight_skip: float = Field(default=-0.5, description="feedback weight of a skip (negative feedback)")
    weight_like: float = Field(default=2.0, description="feedback weight of a like")
    weight_dislike: float = Field(default=-2.0, description="feedback weight of a dislike")
    user_state_debounce_ms: int = Field(default=500, ge=0,
                                        description="a changed user is published at most this often")

    transitions_top_k: int = Field(default=20, ge=1, description="successors published per track")
    transitions_half_life_ms: int = Field(default=30 * 24 * 3600 * 1000, ge=1,
                                          description="a transition's weight halves over this much event time")

    mf_factors: int = Field(default=16, ge=1, description="latent factors of the streaming MF (plus a bias slot)")
    mf_learning_rate: float = Field(default=0.05, gt=0, description="step size of the streaming MF")
    mf_l2: float = Field(default=0.01, ge=0, description="L2 regularisation of the streaming MF")
    mf_negatives: int = Field(default=4, ge=1, description="items sampled per listen for its ranking step")
    mf_negative_pool: int = Field(default=32, ge=1, description="a flush draws each listen's negatives from this "
                                                               "many items (so it sends at most this many deltas "
                                                               "for negatives)")
    mf_max_delta_norm: float | None = Field(default=1.0, gt=0,
                                            description="an item moves at most this far per flush of its owner "
                                                        "(hot items); unset: no bound")
    river_factors: int = Field(default=10, ge=1, description="latent factors of River's BiasedMF baseline")
    river_learning_rate: float = Field(default=0.05, gt=0, description="step size of River's BiasedMF")

    taste_centroids: Path | None = Field(
        default=REPO_ROOT / "docs" / "lab" / "clusters.json",
        description="starting centroids of the online taste clusters: a lab clusters.json (its "
                    "genre_kmeans_centroids), so cluster ids are the lab's in every partition; missing: each partition "
                    "seeds its own")
    taste_clusters: int = Field(default=4, ge=1, description="clusters of a self-seeded model (no centroids file)")
    taste_warmup: int = Field(default=500, ge=1, description="taste vectors a self-seeded model buffers before seeding")
    taste_min_listens: int = Field(default=5, ge=1,
                                   description="a user's taste is learned at this many listens and each doubling after")
    taste_prior_count: float = Field(default=100.0, ge=0.0,
                                     description="how many users each starting centroid stands for: the first users "
                                                 "nudge it rather than replace it (0: the first replaces it; ARI with "
                                                 "the offline clusters 0.53, against 0.85 at 100: docs/lab)")
    taste_min_rate: float = Field(default=0.001, ge=0.0, lt=1.0,
                                  description="a centroid moves at least this share of the way per learned taste, so "
                                              "clusters follow drift")

    @field_validator("windows")
    @classmethod
    def _parse(cls, value: str) -> str:
        parse_windows(value)
        return value

    def window_specs(self) -> tuple[WindowSpec, ...]:
        return parse_windows(self.windows)
