"""Soak: the whole `make up` stack under steady load through ingest for a long time; does anything grow or slow?

    uv run python -m bench.soak [--minutes 30] [--rate 1000] [--batch 10] [--warmup-minutes 5]

Starts `botify up` exactly as `make up` does (Kafka, topics, demo data, every service, demo traffic), in its own
var/ and on free ports, then posts listens to ingest at a steady rate (open loop: ``rate / batch`` requests per
second of ``batch`` events) for ``minutes``. Every minute it samples each service's resident memory (the process
and its children), the p99 of that minute's request latencies, and the lag of every consumer group on Botify's
topics. Not part of `make bench` or CI: run it with `make soak`.

Results: bench/results/soak.json (``minutes``, ``events_per_s``, ``max_rss_growth_pct``,
``rss_growth_pct_by_service``, ``p99_ms_first_5_min``, ``p99_ms_last_5_min``, ``errors``, and the per-minute
samples) and bench/results/soak.png. Memory growth is measured from the end of the warm-up to the end of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from bench.load import open_loop
from bench.machine import describe, publish
from botify_cli.stack import isolated_env
from botify_core.clock import now_ms
from botify_core.processes import descendants
from botify_core.settings import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results" / "soak.json"
#: "[botify up] ingest ready at http://... (PID 123)", "[botify up] Kafka up (PID 45)", "demo traffic: ... (PID 6)"
CHILD_LINE = re.compile(r"^\[botify up\] (?P<name>[\w-]+)(?: traffic)?\b.*\(PID (?P<pid>\d+)\)", re.MULTILINE)


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB (0 for a process that is gone)."""
    total = 0
    for process in (pid, *descendants(pid)):
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue  # ended meanwhile
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


async def consumer_lag(bootstrap: str) -> dict[str, int]:
    """For each consumer group: how many records its committed offsets are behind the end of its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        lags: dict[str, int] = {}
        for group, _protocol in await admin.list_consumer_groups():
            offsets = await admin.list_consumer_group_offsets(group)
            committed = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
            if not committed:
                continue
            ends = await consumer.end_offsets(list(committed))
            lags[group] = sum(max(0, ends[tp] - committed[tp]) for tp in committed)
        return lags
    finally:
        await consumer.stop()
        await admin.close()


@dataclass
class Minute:
    minute: int
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    rss_mib: dict[str, float] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)
    load_1min: float = float("nan")  # the machine's load average: other work on it shows in the latencies

    def summary(self) -> dict[str, Any]:
        values = np.array(self.latencies_ms or [float("nan")])
        return {"minute": self.minute, "requests": self.requests, "errors": self.errors,
                "p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99)),
                "rss_mib": self.rss_mib, "consumer_lag": self.lag, "load_1min": self.load_1min}


@dataclass
class Stack:
    process: asyncio.subprocess.Process
    children: dict[str, int]  # name -> PID, as botify up printed them
    ingest_url: str
    drain: asyncio.Task[None]  # keeps reading its output, so a full pipe never blocks it


async def start_stack(env: dict[str, str], log: Path) -> Stack:
    """Start `botify up` and return it once it says it is up."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "botify_cli.main", "up",
                                                   stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT, env=env)
    assert process.stdout is not None
    printed: list[str] = []
    async with asyncio.timeout(900):  # first start: demo data, and any model trained on first start
        while "Press Ctrl-C" not in (line := (await process.stdout.readline()).decode()):
            if not line:
                raise RuntimeError("botify up ended before it was up:\n" + "".join(printed))
            printed.append(line)
            print(line, end="", flush=True)
    text = "".join(printed)
    children = {m["name"].lower(): int(m["pid"]) for m in CHILD_LINE.finditer(text)}
    url = f"http://127.0.0.1:{env['BOTIFY_INGEST_PORT']}"
    return Stack(process, children, url, asyncio.create_task(_drain(process, log)))


async def _drain(process: asyncio.subprocess.Process, log: Path) -> None:
    assert process.stdout is not None
    with log.open("ab") as out:
        while chunk := await process.stdout.read(65536):
            out.write(chunk)


def batches(batch: int, deadline: float) -> Iterator[bytes]:
    """Bodies of ``batch`` fresh listens each, until ``deadline`` (perf_counter)."""
    i = 0
    while time.perf_counter() < deadline:
        ts = now_ms()
        events = [{"event_id": f"soak-{i + j:012d}", "user_id": f"soak-user-{(i + j) % 2000:04d}",
                   "track_id": f"soak-track-{(i + j) * 7919 % 20000:05d}", "ts": ts, "track_duration_ms": 200_000,
                   "ms_played": (i + j) * 104_729 % 200_001, "kind": "play", "source": "simulator"}
                  for j in range(batch)]
        yield json.dumps({"events": events}).encode()
        i += batch


async def soak(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    stack = await start_stack(env, workdir / "up.log")
    process, children, url = stack.process, stack.children, stack.ingest_url
    minutes: list[Minute] = []
    started = time.perf_counter()

    def current() -> Minute:
        index = int((time.perf_counter() - started) // 60)
        while len(minutes) <= index:
            minutes.append(Minute(len(minutes) + 1))
        return minutes[index]

    async def sampler() -> None:
        for index in range(args.minutes):
            # just before each minute ends: the clock is the event here, there is nothing else to await
            await asyncio.sleep(max(0.0, started + 60 * (index + 1) - 0.5 - time.perf_counter()))
            minute = current()
            minute.rss_mib = {name: rss_kib(pid) / 1024 for name, pid in children.items()}
            minute.load_1min = os.getloadavg()[0]
            try:
                minute.lag = await consumer_lag(env["BOTIFY_KAFKA_BOOTSTRAP_SERVERS"])
            except Exception as exc:  # a sample that failed is noted, the soak goes on
                minute.lag = {"error": -1}
                print(f"lag sample failed: {exc!r}", flush=True)
            s = minute.summary()
            print(f"minute {s['minute']:3d}: {s['requests']} requests, p99 {s['p99_ms']:.1f} ms, {s['errors']} "
                  f"errors, RSS {', '.join(f'{k} {v:.0f} MiB' for k, v in minute.rss_mib.items())}, "
                  f"lag {minute.lag}", flush=True)

    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            async def post(body: bytes, due: float) -> None:
                minute = current()
                minute.requests += 1
                try:
                    async with session.post(f"{url}/v1/listens", data=body,
                                            headers={"content-type": "application/json"}) as response:
                        await response.read()
                        ok = response.status == 202
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                minute.errors += not ok
                minute.latencies_ms.append((time.perf_counter() - due) * 1000)

            sampling = asyncio.create_task(sampler())
            gc.collect()
            gc.freeze()  # the generator's own collector pauses would count as server latency
            achieved = await open_loop(args.rate / args.batch, batches(args.batch, started + args.minutes * 60), post)
            sampling.cancel()
        exited = process.returncode
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 120)
        await stack.drain
    return summarise(args, minutes[:args.minutes], achieved * args.batch, exited)


def summarise(args: argparse.Namespace, minutes: list[Minute], events_per_s: float,
              exited: int | None) -> dict[str, Any]:
    warm = [m for m in minutes if m.minute > args.warmup_minutes and m.rss_mib]
    growth: dict[str, float] = {}
    if len(warm) >= 2:
        growth = {name: 100 * (warm[-1].rss_mib[name] - first) / first
                  for name, first in warm[0].rss_mib.items() if first > 0 and name in warm[-1].rss_mib}

    def p99(chosen: list[Minute]) -> float:
        values = [v for m in chosen for v in m.latencies_ms]
        return float(np.percentile(values, 99)) if values else float("nan")

    return {
        "minutes": len(minutes), "events_per_s": events_per_s,
        "max_rss_growth_pct": max(growth.values()) if growth else None,
        "rss_growth_pct_by_service": growth,
        "p99_ms_first_5_min": p99(minutes[:5]), "p99_ms_last_5_min": p99(minutes[-5:]),
        "errors": sum(m.errors for m in minutes) + (exited is not None),
        "stack_exited_early": exited is not None,
        "per_minute": [m.summary() for m in minutes],
        "conditions": {"rate_events_per_s": args.rate, "batch_events": args.batch,
                       "warmup_minutes": args.warmup_minutes,
                       "growth": "resident memory (process and children) at the last minute vs the first minute "
                                 "after the warm-up", "machine": describe()},
    }


def plot(result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["per_minute"]
    x = [r["minute"] for r in rows]
    fig, (memory, latency, lag) = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    for name in sorted({n for r in rows for n in r["rss_mib"]}):
        memory.plot(x, [r["rss_mib"].get(name, np.nan) for r in rows], marker=".", label=name)
    memory.set_ylabel("resident memory (MiB)")
    memory.axvline(result["conditions"]["warmup_minutes"], color="grey", linestyle=":", label="end of warm-up")
    memory.legend(fontsize=8)
    latency.plot(x, [r["p99_ms"] for r in rows], marker=".", label="p99")
    latency.plot(x, [r["p50_ms"] for r in rows], marker=".", label="p50")
    latency.set_ylabel("POST /v1/listens (ms)")
    latency.legend(fontsize=8, loc="upper left")
    load = latency.twinx()
    load.plot(x, [r.get("load_1min", np.nan) for r in rows], color="grey", linestyle="--", label="load average")
    load.set_ylabel("machine load average (1 min)", color="grey")
    for group in sorted({g for r in rows for g in r["consumer_lag"]}):
        lag.plot(x, [r["consumer_lag"].get(group, np.nan) for r in rows], marker=".", label=group)
    lag.set_ylabel("consumer lag (records)")
    lag.set_xlabel("minute")
    if lag.get_legend_handles_labels()[0]:
        lag.legend(fontsize=8)
    else:
        lag.text(0.5, 0.5, "no consumer group had committed offsets", transform=lag.transAxes, ha="center")
    fig.suptitle(f"Soak: {result['events_per_s']:,.0f} events/s for {result['minutes']} min, "
                 f"{result['errors']} errors")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def table(result: dict[str, Any]) -> str:
    growth = result["max_rss_growth_pct"]
    by_service = ", ".join(f"{k} {v:+.1f}%" for k, v in result["rss_growth_pct_by_service"].items())
    c = result["conditions"]
    return "\n".join([
        "| measure | value | goal |", "|---|---:|---|",
        f"| load through ingest | {result['events_per_s']:,.0f} events/s for {result['minutes']} min | |",
        f"| resident memory growth after warm-up (worst service) | "
        f"{'n/a' if growth is None else f'{growth:+.1f}%'} ({by_service}) | < 10% |",
        f"| POST p99, first 5 min → last 5 min | {result['p99_ms_first_5_min']:.1f} ms → "
        f"{result['p99_ms_last_5_min']:.1f} ms | stable |",
        f"| errors | {result['errors']} | 0 |",
        "",
        f"_Batches of {c['batch_events']} events, open loop; warm-up {c['warmup_minutes']} min; "
        f"{c['machine']['cores']} cores ({c['machine']['cpu']}). Measured by `make soak` "
        f"({c['machine']['measured_at']}); plot: bench/results/soak.png._",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second through ingest")
    parser.add_argument("--batch", type=int, default=10, help="events per request")
    parser.add_argument("--warmup-minutes", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.minutes <= args.warmup_minutes:
        parser.error("--minutes must be longer than --warmup-minutes")
    with tempfile.TemporaryDirectory(prefix="botify-soak-") as tmp:
        env = isolated_env(Path(tmp) / "var")
        result = asyncio.run(soak(args, env, Path(tmp)))
    publish(result, args.out, RESULTS, "bench:soak", table)
    plot(result, args.out.with_suffix(".png"))


if __name__ == "__main__":
    main()
