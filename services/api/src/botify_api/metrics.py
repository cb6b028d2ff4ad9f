"""Prometheus metrics of the gateway, served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUEST_SECONDS = Histogram("botify_api_request_seconds", "HTTP request latency by route template and status",
                            ["route", "status"], buckets=_LATENCY_BUCKETS)
SOURCE_SECONDS = Histogram("botify_api_source_seconds", "Time a candidate source took for one request",
                           ["source"], buckets=_LATENCY_BUCKETS)
DEGRADED = Counter("botify_api_degraded_total", "Answers given without a source, by the source left out",
                   ["source"])
SERVED = Counter("botify_api_recommendations_total", "Recommendations served, by experiment arm", ["arm"])
CANDIDATE_CACHE = Counter("botify_api_candidate_cache_total",
                          "Vector-source answers taken from the candidate cache (hit) or searched (miss)",
                          ["source", "outcome"])
DROPPED = Counter("botify_api_produce_dropped_total",
                  "Records to Kafka dropped (queue full or producer failed), by topic", ["topic"])
READ_MODEL_RECORDS = Gauge("botify_api_read_model_records", "Records the read model has applied")
REBUILD_SECONDS = Gauge("botify_api_read_model_rebuild_seconds", "Time the read model took to catch up at start")
LAG = Gauge("botify_api_read_model_lag_records", "Records not yet applied, per topic", ["topic"])


def time_request(route: str, status: str, seconds: float) -> None:
    """The gateway's :class:`~botify_core.request_metrics.RequestObserver` callback."""
    REQUEST_SECONDS.labels(route, status).observe(seconds)
