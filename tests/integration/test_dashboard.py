"""The dashboard in a real browser: headless Chromium (Debian's ``chromium``) driven over the DevTools protocol
opens ``/`` on a gateway fed from the real broker, draws the genre charts and the top tracks from the SSE stream,
redraws them when a new snapshot arrives through Kafka, shows a user's recommendations with their reasons, and leaves
a screenshot in ``var/screenshots/dashboard.png``. The README's copy, docs/img/dashboard.png, is this screenshot:
refresh it with ``BOTIFY_SCREENSHOT_DIR=docs/img pytest tests/integration/test_dashboard.py`` (a plain test run
leaves the tree clean).

Chromium is started by this test and stopped by its own PID. It is installed by ``scripts/bootstrap.sh`` on CI
(``CI=true``); elsewhere the test skips, saying so, when no ``chromium`` is on PATH.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from botify_core.processes import terminate
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.trends_pb2 import TrendSnapshot
from botify_core.settings import KafkaSettings, PathSettings
from tests.integration.test_trends_api import HOUR, MINUTE, T2008, applied, produce_world, served_gateway, snapshot

pytestmark = pytest.mark.kafka

SCREENSHOT = Path(os.environ.get("BOTIFY_SCREENSHOT_DIR", PathSettings().var_dir / "screenshots")) / "dashboard.png"
WIDTH, HEIGHT = 1280, 900

#: (genre, plays, minutes) of the 06:xx hour: plays and minutes rank them differently
GENRES = [("rock", 412, 1180.0), ("pop", 380, 905.5), ("electronic", 297, 1302.0), ("hiphop", 251, 640.0),
          ("jazz", 133, 702.5), ("classical", 71, 566.0), ("folk", 64, 188.0), ("metal", 40, 151.5)]
TITLES = ["Neon Harbor", "Paper Kites", "Slow Tide", "Glass Orchard", "Night Ferry", "Copper Sun", "Low Orbit",
          "Salt Lines", "Field Notes", "Iron Bloom", "Pale Static", "Velvet Road"]


def world() -> tuple[list[TrackUpserted], list[TrendSnapshot]]:
    tracks: list[TrackUpserted] = []
    snapshots: list[TrendSnapshot] = []
    numbers = itertools.count(1)
    for g, (genre, plays, minutes) in enumerate(GENRES):
        top = []
        for rank in range(3):
            n = next(numbers)
            track_id = f"syn-t{n:05d}"
            tracks.append(TrackUpserted(track_id=track_id, title=TITLES[(g + rank * 5) % len(TITLES)],
                                        artist_id=f"syn-a{g:03d}", artist_name=f"{genre.title()} Ensemble {rank + 1}",
                                        genres=[genre], duration_ms=180_000 + 7_000 * rank, dataset="synthetic"))
            share = (0.45, 0.3, 0.25)[rank]
            top.append((track_id, round(plays * share), round(minutes * share, 1)))
        snapshots.append(snapshot("1h", T2008 - 20 * MINUTE, HOUR, genre, plays, minutes, top))
    snapshots.append(snapshot("1m", T2008 + 35 * MINUTE, MINUTE, "rock", 9, 27.0, [("syn-t00001", 9, 27.0)]))
    return tracks, snapshots


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = ("headless Chromium is needed: apt-get install -y chromium (scripts/bootstrap.sh does it when "
                   "CI=true)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class DevTools:
    """A minimal Chrome DevTools protocol client over one page's websocket: calls and their results."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            future = self._waiting.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = future
        await self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        message = await asyncio.wait_for(future, timeout=60)
        if "error" in message:
            raise AssertionError(f"{method}: {message['error']}")
        result: dict[str, Any] = message["result"]
        return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:80]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.socket.close()


@asynccontextmanager
async def chromium(tmp_path: Path) -> AsyncIterator[DevTools]:
    """Headless Chromium with a DevTools port, on a blank page; stopped by its PID on exit."""
    process = await asyncio.create_subprocess_exec(
        chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-dev-shm-usage", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--window-size={WIDTH},{HEIGHT}", "about:blank",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None
    drain: asyncio.Task[None] | None = None
    devtools: DevTools | None = None
    try:
        lines: list[str] = []
        async with asyncio.timeout(60):
            while not lines or not lines[-1].startswith("DevTools listening on "):
                line = await process.stderr.readline()
                assert line, "chromium exited before it listened:\n" + "".join(lines)
                lines.append(line.decode(errors="replace"))
        port = lines[-1].strip().rsplit(":", 1)[1].split("/", 1)[0]
        drain = asyncio.create_task(_drain(process.stderr))   # chromium keeps logging; never let the pipe fill
        async with httpx.AsyncClient() as client:
            targets = (await client.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        devtools = DevTools(await connect(page["webSocketDebuggerUrl"], max_size=None))
        yield devtools
    finally:
        if devtools is not None:
            await devtools.close()
        terminate(process.pid)
        await process.wait()
        if drain is not None:
            drain.cancel()
            await asyncio.gather(drain, return_exceptions=True)


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


def until(condition: str) -> str:
    """A JavaScript promise that resolves once ``condition`` holds, checked at every change of the page."""
    return (f"new Promise((resolve) => {{"
            f" const ok = () => {{ try {{ return {condition}; }} catch (e) {{ return false; }} }};"
            f" if (ok()) return resolve(true);"
            f" const seen = new MutationObserver(() => {{ if (ok()) {{ seen.disconnect(); resolve(true); }} }});"
            f" seen.observe(document, {{subtree: true, childList: true, attributes: true, characterData: true}}); }})")


BARS = ("Array.from(document.querySelectorAll('{chart} rect.bar'))"
        ".map((r) => [r.dataset.genre, Number(r.dataset.value)])")


async def test_dashboard_draws_live_trends_and_recommendations(topics: KafkaSettings, tmp_path: Path) -> None:
    tracks, snapshots = world()
    await produce_world(topics, tracks, snapshots)
    async with served_gateway(topics, tmp_path) as served, chromium(tmp_path) as page:
        await applied(served.gateway, lambda: served.gateway.trends.board.version >= len(snapshots)
                      and len(served.gateway.catalog) >= len(tracks))
        await page.call("Page.enable")
        await page.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                        mobile=False)
        await page.call("Page.navigate", url=f"{served.url}/?window=1h&user=syn-u0001")
        async with asyncio.timeout(60):
            await page.evaluate(until(f"document.querySelectorAll('#chart-plays rect.bar').length === {len(GENRES)}"
                                      " && document.querySelectorAll('#recs li.rec').length > 0"))

        by_plays = await page.evaluate(BARS.format(chart="#chart-plays"))
        assert by_plays == [[g, p] for g, p, _ in GENRES]
        by_minutes = await page.evaluate(BARS.format(chart="#chart-minutes"))
        assert by_minutes == [[g, m] for g, _, m in sorted(GENRES, key=lambda row: -row[2])]
        cards = await page.evaluate("Array.from(document.querySelectorAll('#top-tracks .genre-tracks')).map((c) =>"
                                    " [c.dataset.genre, Array.from(c.querySelectorAll('li .name'))"
                                    ".map((n) => n.textContent)])")
        assert cards[0] == ["rock", ["Neon Harbor — Rock Ensemble 1", "Copper Sun — Rock Ensemble 2",
                                     "Pale Static — Rock Ensemble 3"]]
        assert [genre for genre, _ in cards] == [g for g, _, _ in GENRES]
        pressed = await page.evaluate("document.querySelector('#windows button[aria-pressed=true]').textContent")
        assert pressed == "1h"
        reasons = await page.evaluate("Array.from(document.querySelectorAll('#recs li.rec .reason'))"
                                      ".map((r) => r.textContent)")
        assert reasons and all(reasons), reasons                  # every recommendation says why

        # a new hour of classical arrives through Kafka: the open page redraws from the stream
        await produce_world(topics, [], [snapshot("1h", T2008 - 20 * MINUTE, HOUR, "classical", 530, 2400.0,
                                                  [("syn-t00016", 300, 1400.0)])])
        async with asyncio.timeout(30):
            await page.evaluate(until("document.querySelector('#chart-plays rect.bar').dataset.genre === "
                                      "'classical'"))
        assert (await page.evaluate(BARS.format(chart="#chart-minutes")))[0] == ["classical", 2400.0]

        metrics = await page.call("Page.getLayoutMetrics")          # the whole page, recommendations included
        height = max(HEIGHT, int(metrics["cssContentSize"]["height"]))
        shot = await page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1})
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
        assert SCREENSHOT.stat().st_size > 20_000     # a drawn page, not a blank one
