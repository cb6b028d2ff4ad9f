"""Several gateway processes on one port (``BOTIFY_API_WORKERS=2``), run as ``botify up`` runs the gateway: each
child builds its own read model and Edge store; ``/readyz`` is 200 only once both caught up, and 503 again while a
killed child's replacement catches up, when answers still come; stopping the supervisor stops every child and
removes their stores."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from botify_core.processes import descendants, free_port, pid_alive, terminate
from botify_core.producer import EventProducer
from botify_core.settings import KafkaSettings
from tests.integration.test_gateway import VECTORS, feed_catalog, feed_stream_output

pytestmark = pytest.mark.kafka


async def readiness(client: httpx.AsyncClient, want: int, timeout_s: float = 120.0) -> dict[str, Any]:
    """Poll ``/readyz`` until it answers ``want``; its body."""
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                response = await client.get("/readyz")
                if response.status_code == want:
                    return dict(response.json())
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)   # other processes are starting: their endpoint is all there is to poll


def ready_pids(pool: Path) -> set[int]:
    return {int(mark.stem) for mark in pool.glob("*.ready")}


@contextmanager
def supervisor(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m botify_api.main`` as ``botify up`` starts it; stopped by its PID (SIGTERM: uvicorn's supervisor
    stops and reaps its children before it exits)."""
    process = subprocess.Popen([sys.executable, "-m", "botify_api.main"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        terminate(process.pid)
        process.wait(timeout=60)


async def test_two_workers_share_the_port_and_are_ready_together(topics: KafkaSettings, tmp_path: Path) -> None:
    async with EventProducer(topics) as producer:
        await feed_catalog(producer)
        await feed_stream_output(producer)
    port = free_port()
    var_dir = tmp_path / "var"
    env = os.environ | {"BOTIFY_API_PORT": str(port), "BOTIFY_API_WORKERS": "2", "BOTIFY_VAR_DIR": str(var_dir),
                        "BOTIFY_KAFKA_BOOTSTRAP_SERVERS": topics.bootstrap_servers,
                        "BOTIFY_KAFKA_TOPIC_PREFIX": topics.topic_prefix,
                        "BOTIFY_KAFKA_PARTITIONS": str(topics.partitions),
                        "BOTIFY_VECTORS_AUDIO_DIM": str(VECTORS.audio_dim),
                        "BOTIFY_VECTORS_CF_DIM": str(VECTORS.cf_dim)}
    env.pop("BOTIFY_VECTORS_PATH", None)
    pool = var_dir / "api-workers"
    with supervisor(env) as main:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
            body = await readiness(client, 200)
            assert (body["workers"], body["workers_ready"]) == (2, 2)
            children = ready_pids(pool)
            assert len(children) == 2 and children <= set(descendants(main.pid))
            for pid in children:
                assert (pool / str(pid) / "vectors").is_dir()   # each child its own Edge store

            answers = [await client.get("/v1/recommendations", params={"user_id": "syn-u0001", "k": 5},
                                        headers={"Connection": "close"}) for _ in range(20)]
            assert {a.status_code for a in answers} == {200}
            assert all(a.json()["items"] for a in answers)

            killed = min(children)
            os.kill(killed, signal.SIGKILL)   # uvicorn's supervisor replaces it; the pool waits for it
            body = await readiness(client, 503, timeout_s=30.0)
            assert body["workers"] == 2 and body["workers_ready"] in (0, 1)
            during = await client.get("/v1/recommendations", params={"user_id": "syn-u0001", "k": 5})
            assert during.status_code == 200
            body = await readiness(client, 200)
            assert body["workers_ready"] == 2
            assert killed not in {pid for pid in ready_pids(pool) if pid_alive(pid)}
            children = {pid for pid in ready_pids(pool) if pid_alive(pid)}
            assert len(children) == 2
    assert not any(pid_alive(pid) for pid in children)
    assert not any((pool / str(pid)).exists() for pid in children)
