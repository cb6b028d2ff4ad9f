"""Prometheus metrics of the ingest service, served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS = Counter("botify_ingest_events_total",
                 "Valid listen events by outcome: accepted (Kafka acknowledged) or unavailable (answered 503)",
                 ["outcome"])
REQUESTS = Counter("botify_ingest_requests_total", "HTTP requests by path and status code", ["path", "status"])
PRODUCE_SECONDS = Histogram("botify_ingest_produce_seconds", "Time until Kafka acknowledged a request's events",
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


def count_request(route: str, status: str, _seconds: float) -> None:
    """The ingest service's :class:`~botify_core.request_metrics.RequestObserver` callback."""
    REQUESTS.labels(route, status).inc()
