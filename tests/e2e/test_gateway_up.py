"""The gateway in the whole system, as ``botify up`` runs it: the dashboard URL is printed first; the original
Botify session API round-trips integer ids of the demo catalog; and, with the stream processor in ``botify up``, a new
user's listens posted to ingest change that user's recommendations within 5 s (heard tracks gone, their genre up).

One ``botify up`` serves every test of this module."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from botify_cli.stack import services
from tests.up_process import read_until, service_ports, start_up, stop_with_ctrl_c, up_env

#: the stream processor's name in botify up (libs/cli/src/botify_cli/stack.py); without it, user-state stays empty
STREAM_PROCESSOR = "recommender"
FRESHNESS_S = 5.0


@dataclass
class Stack:
    api: str
    ingest: str
    banner: str


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, audio_models: Path) -> AsyncIterator[Stack]:
    env = up_env(tmp_path_factory.mktemp("up") / "var", audio_models)
    ports = service_ports(env)
    process = await start_up(env)
    try:
        banner = await read_until(process, "Press Ctrl-C")
        yield Stack(f"http://127.0.0.1:{ports['BOTIFY_API_PORT']}", f"http://127.0.0.1:{ports['BOTIFY_INGEST_PORT']}",
                    banner)
        stopped = await stop_with_ctrl_c(process)
        assert "stopped gateway" in stopped
    finally:
        if process.returncode is None:
            process.kill()


async def poll(http: httpx.AsyncClient, path: str, ok: Any, timeout_s: float, **params: Any) -> httpx.Response:
    """GET ``path`` until ``ok(response)``; the gateway is another process, so there is no event to await."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = await http.get(path, params=params)
        if ok(response):
            return response
        assert time.monotonic() < deadline, f"{path} {params}: still {response.status_code} {response.text[:300]}"
        await asyncio.sleep(0.05)  # the gateway is another process: nothing to await but its answers


async def test_up_prints_the_dashboard_first_and_the_session_api_round_trips_integer_ids(stack: Stack) -> None:
    urls = re.findall(r"http://\S+", stack.banner.split("Botify is up:")[1])
    assert urls[0] == f"{stack.api}/"
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http:
        assert (await http.get("/readyz")).status_code == 200
        # the demo catalog reaches the gateway through `tracks` (the demo traffic replays it)
        track = (await poll(http, "/track/101", lambda r: r.status_code == 200, 60)).json()
        assert track["track_id"] == "syn-t00101"
        first = await http.post("/next/7", json={"track": 101, "time": 0.9})
        assert first.status_code == 200, first.text
        assert first.json()["user"] == 7 and first.json()["track"] != 101
        after = await http.post("/next/7", json={"track": first.json()["track"], "time": 0.2})
        assert after.json()["track"] not in {101, first.json()["track"]}
        assert (await http.get(f"/track/{after.json()['track']}")).status_code == 200
        assert (await http.post("/last/7", json={"track": after.json()["track"], "time": 1.0})).json() == {"user": 7}
        answer = (await http.get("/v1/recommendations", params={"user_id": "syn-u0007", "k": 5})).json()
        assert len(answer["items"]) == 5 and answer["arm"]


async def test_a_new_users_listens_change_their_recommendations_within_5_s(stack: Stack) -> None:
    if STREAM_PROCESSOR not in {s.name for s in services()}:
        pytest.skip(f"NOT RUN: the stream processor ({STREAM_PROCESSOR!r}) is not in botify up yet "
                    "(libs/cli/src/botify_cli/stack.py), so listens never reach user-state; this test runs once it is")
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http, \
            httpx.AsyncClient(base_url=stack.ingest, timeout=10) as ingest:
        await poll(http, "/track/101", lambda r: r.status_code == 200, 60)
        genre = (await http.get("/v1/tracks/syn-t00101")).json()["genres"][0]
        # right after start-up few demo listens have happened: wait until the genre offers three tracks
        pool = (await poll(http, "/v1/recommendations", lambda r: len(r.json()["items"]) >= 3, 120,
                           user_id="e2e-probe", k=50, genres=genre)).json()["items"]
        heard = [item["track_id"] for item in pool[:3]]
        for track_id in heard:  # the audio worker has heard them: their neighbours can be found
            await poll(http, f"/v1/tracks/{track_id}", lambda r: bool(r.json()["embedding_model"]), 180)
        user = f"e2e-{uuid.uuid4().hex[:8]}"

        def share(items: list[dict[str, Any]]) -> float:
            return sum(genre in item["genres"] for item in items) / max(len(items), 1)

        before = (await http.get("/v1/recommendations", params={"user_id": user, "k": 10})).json()
        now_ms = int(time.time() * 1000)
        posted = await ingest.post("/v1/listens", json={"events": [
            {"user_id": user, "track_id": t, "ts": now_ms - 1000 * (3 - i), "track_duration_ms": 200_000,
             "ms_played": 200_000, "kind": "play"} for i, t in enumerate(heard)]})
        assert posted.status_code == 202, posted.text
        started = time.monotonic()
        changed = await poll(http, "/v1/recommendations", lambda r: not r.json()["cold_start"]
                             and not {i["track_id"] for i in r.json()["items"]} & set(heard), FRESHNESS_S,
                             user_id=user, k=10)
        took = time.monotonic() - started
        assert took < FRESHNESS_S
        after = changed.json()
        assert share(after["items"]) > share(before["items"]), (
            genre, [(i["track_id"], i["genres"], i["sources"]) for i in after["items"]], after["degraded"])
