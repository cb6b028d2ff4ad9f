"""Prometheus metrics of the stream processor, served at ``/metrics`` by the worker's web server."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("botify_recommender_listens_total",
                 "Listens consumed, by outcome: counted, duplicate (event id seen before: dropped) or dead_letter",
                 ["outcome"])
LATE = Counter("botify_recommender_late_total",
               "(listen, window) pairs not counted because the window had closed (watermark past end + grace)")
TREND_DROPPED = Counter("botify_recommender_trend_deltas_dropped_total",
                        "Trend deltas for windows already forgotten (older than the retention) or unknown")
RECORDS = Counter("botify_recommender_records_total", "Records consumed per source topic", ["topic"])
LOCAL_RECORDS = Counter("botify_recommender_local_records_total",
                        "Records of an internal topic folded by their owner in the worker that made them, not "
                        "produced (same transaction either way)", ["topic"])
TRANSACTIONS = Counter("botify_recommender_transactions_total", "Kafka transactions committed")
COMMIT_SECONDS = Histogram("botify_recommender_commit_seconds", "Time to produce and commit one transaction",
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
LATENCY = Histogram("botify_recommender_processing_latency_seconds",
                    "From a record's Kafka timestamp to the commit that made its effects visible",
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LAG = Gauge("botify_recommender_consumer_lag", "Records behind the end of each owned partition",
            ["topic", "partition"])
PARTITIONS = Gauge("botify_recommender_partitions", "Partitions owned by this worker")
RESTORE_SECONDS = Histogram("botify_recommender_restore_seconds", "Time to restore a partition's state",
                            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60))
