"""The audio worker's HTTP side against the real broker: ready once it consumes, metrics name the model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from botify_audio.app import create_app
from botify_audio.settings import AudioSettings
from botify_core.settings import KafkaSettings, PathSettings

pytestmark = pytest.mark.kafka


async def test_health_readiness_and_metrics(topics: KafkaSettings, tmp_path: Path) -> None:
    settings = AudioSettings(kafka=topics, paths=PathSettings(var_dir=tmp_path, data_dir=tmp_path / "no-data"),
                             decode_workers=1, group_id="audio-app-test")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://worker") as client:
        assert (await client.get("/healthz")).status_code == 200
        async with asyncio.timeout(60):
            while (ready := await client.get("/readyz")).status_code != 200:
                assert ready.json()["status"] == "unavailable" and ready.json()["problem"]
                await asyncio.sleep(0.2)  # the worker starts in the background; poll its own readiness endpoint
        # no checkpoint under var/models/audio and no GTZAN table: the untrained fallback, and it says so
        assert ready.json()["model_version"] == "logmel-stats-v1-untrained"
        metrics = (await client.get("/metrics")).text
        assert 'botify_audio_model_info{version="logmel-stats-v1-untrained"} 1.0' in metrics
        for name in ("botify_audio_clips_total", "botify_audio_queue_lag", "botify_audio_clips_per_second"):
            assert name in metrics
