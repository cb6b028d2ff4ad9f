"""Prometheus metrics of the audio worker, served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CLIPS = Counter("botify_audio_clips_total", "Tracks embedded and produced to track-embeddings")
CLIPS_PER_SECOND = Gauge("botify_audio_clips_per_second", "Tracks embedded per second over the last batch")
FAILURES = Counter("botify_audio_failures_total", "Tracks sent to dead-letters, by reason", ["reason"])
SKIPPED = Counter("botify_audio_skipped_total",
                  "Tracks not embedded: unchanged (same audio, same model) or no_audio (no URI)", ["why"])
QUEUE_LAG = Gauge("botify_audio_queue_lag", "Records of tracks not yet processed (end offset minus position)")
MODEL = Gauge("botify_audio_model_info", "The embedder in use (value 1), by version", ["version"])
BATCH_SECONDS = Histogram("botify_audio_batch_seconds", "Time to embed and produce one batch",
                          buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
