"""Ingest throughput and latency against a real broker, with raw aiokafka as the baseline measured in the same run.

    uv run python -m bench.ingest [--events 100000] [--rate 500] [--seconds 20]

1. raw producer: aiokafka, idempotent, acks=all, pre-encoded ListenEvents, as fast as Kafka takes them;
2. HTTP batch ingest: the same events as JSON batches of 1,000 to the ingest service (its own process), several
   requests in flight; events/s counts only events that got 202 (i.e. Kafka acknowledged them);
3. single-event POSTs at a fixed request rate (open loop: latency counts from the scheduled send time, so a slow
   answer delays nobody's clock), p50/p99, from a fresh process so the generator's heap is small.

All three use the same broker, topic and event size. Results: bench/results/ingest.json and the README table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiokafka import AIOKafkaProducer

from bench.load import open_loop
from bench.machine import describe, on_local_broker, publish
from botify_core.admin import ensure_topics
from botify_core.clock import now_ms
from botify_core.codecs import codec_for
from botify_core.local_kafka import LocalKafka
from botify_core.processes import free_port
from botify_core.producer import producer_config
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind, ListenSource
from botify_core.settings import REPO_ROOT, KafkaSettings
from botify_core.topics import Topic

RESULTS = REPO_ROOT / "bench" / "results" / "ingest.json"
BATCH = 1000


def event_json(i: int, ts: int) -> dict[str, Any]:
    return {"event_id": f"bench-{i:012d}", "user_id": f"user-{i % 5000:05d}", "track_id": f"track-{i % 40000:06d}",
            "ts": ts, "track_duration_ms": 215_000, "ms_played": 187_000, "kind": "play", "source": "user"}


def event_proto(i: int, ts: int) -> ListenEvent:
    return ListenEvent(event_id=f"bench-{i:012d}", user_id=f"user-{i % 5000:05d}", track_id=f"track-{i % 40000:06d}",
                       event_time_ms=ts, track_duration_ms=215_000, ms_played=187_000,
                       kind=ListenKind.LISTEN_KIND_PLAY, source=ListenSource.LISTEN_SOURCE_USER)


async def raw_producer(settings: KafkaSettings, n: int) -> float:
    ts = now_ms()
    codec = codec_for(ListenEvent)
    records = [(e.user_id.encode(), codec.encode(e)) for e in (event_proto(i, ts) for i in range(n))]
    producer = AIOKafkaProducer(**producer_config(settings))
    await producer.start()
    try:
        topic = settings.topic(Topic.LISTENS)
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key) for key, value in records]
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def http_batches(url: str, n: int, in_flight: int) -> float:
    ts = now_ms()
    bodies = [json.dumps({"events": [event_json(i, ts) for i in range(start, min(n, start + BATCH))]}).encode()
              for start in range(0, n, BATCH)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            async with session.post(f"{url}/v1/listens", data=body,
                                    headers={"content-type": "application/json"}) as response:
                if response.status != 202:
                    raise RuntimeError(f"ingest answered {response.status}: {await response.text()}")
                answer = await response.json()
            accepted += answer["accepted"]  # not `accepted += await ...`: that reads `accepted` before the await

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
    assert accepted == n, (accepted, n)
    return n / elapsed


async def single_posts(url: str, rate: float, seconds: float) -> dict[str, float]:
    n = int(rate * seconds)
    ts = now_ms()
    bodies = [json.dumps(event_json(10_000_000 + i, ts)).encode() for i in range(n)]
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(body: bytes, due: float) -> None:
            nonlocal failures
            async with session.post(f"{url}/v1/listens", data=body,
                                    headers={"content-type": "application/json"}) as response:
                await response.read()
                if response.status != 202:
                    failures += 1
            latencies.append((time.perf_counter() - due) * 1000)

        # warm the connection pool so the measured requests do not pay for TCP set-up
        await asyncio.gather(*(one(json.dumps(event_json(9_000_000 + i, ts)).encode(), time.perf_counter())
                               for i in range(64)))
        latencies.clear()
        achieved = await open_loop(rate, bodies, one)
    values = np.array(latencies)
    return {"single_post_p50_ms": float(np.percentile(values, 50)),
            "single_post_p99_ms": float(np.percentile(values, 99)),
            "single_post_max_ms": float(values.max()), "single_post_rate_per_s": rate,
            "single_post_achieved_rate_per_s": achieved, "single_post_requests": n, "single_post_failures": failures}


def _single_posts_main(url: str, rate: float, seconds: float) -> dict[str, float]:
    gc.collect()
    gc.freeze()  # the load generator's own collector pauses would count as server latency
    return asyncio.run(single_posts(url, rate, seconds))


def fresh_process_single_posts(url: str, rate: float, seconds: float) -> dict[str, float]:
    """Run the latency phase in a new interpreter, so the generator carries no heap from the throughput runs."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_single_posts_main, url, rate, seconds).result()


def start_ingest(settings: KafkaSettings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"BOTIFY_KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
                        "BOTIFY_KAFKA_TOPIC_PREFIX": settings.topic_prefix, "BOTIFY_INGEST_PORT": str(port),
                        "BOTIFY_INGEST_MAX_BODY_BYTES": str(4 << 20)}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "botify_ingest.main"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError("the ingest service exited during start-up")
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # polling another process's readiness endpoint
    raise RuntimeError("the ingest service did not become ready")


async def run(args: argparse.Namespace, broker: LocalKafka, workdir: Path) -> dict[str, Any]:
    settings = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix="bench.",
                             partitions=args.partitions)
    await ensure_topics(settings, [Topic.LISTENS])
    # warm-up: the first send pays for metadata and producer ids
    await raw_producer(settings, 2000)
    raw = [await raw_producer(settings, args.events) for _ in range(args.repeats)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ingest = start_ingest(settings, port, workdir / "ingest.log")
    try:
        await wait_ready(url, ingest)
        await http_batches(url, 5 * BATCH, args.in_flight)
        http = [await http_batches(url, args.events, args.in_flight) for _ in range(args.repeats)]
        single = fresh_process_single_posts(url, args.rate, args.seconds)
    finally:
        ingest.terminate()
        ingest.wait(30)
    event_bytes = len(codec_for(ListenEvent).encode(event_proto(0, now_ms())))
    raw_best, http_best = max(raw), max(http)
    return {
        "raw_producer_events_per_s": raw_best, "http_batch_events_per_s": http_best,
        "http_to_raw_ratio": http_best / raw_best, **single,
        "runs": {"raw_producer_events_per_s": raw, "http_batch_events_per_s": http},
        "conditions": {"events_per_run": args.events, "repeats": args.repeats, "batch_events": BATCH,
                       "http_requests_in_flight": args.in_flight, "partitions": args.partitions,
                       "event_protobuf_bytes": event_bytes, "event_json_bytes": len(json.dumps(event_json(0, 0))),
                       "kafka": broker.version, "acks": "all", "idempotent": True,
                       "producer_linger_ms": settings.linger_ms, "single_post_seconds": args.seconds,
                       "figures": "best of the repeats for throughput; all runs listed under runs",
                       "machine": describe()},
    }


def table(result: dict[str, Any]) -> str:
    c = result["conditions"]
    return "\n".join([
        "| measure | value | target |", "|---|---:|---|",
        f"| raw aiokafka producer (baseline) | {result['raw_producer_events_per_s']:,.0f} events/s | |",
        f"| HTTP batch ingest, end to end | {result['http_batch_events_per_s']:,.0f} events/s "
        f"({result['http_to_raw_ratio']:.0%} of raw) | >= 50% of raw |",
        f"| single-event POST p50 at {result['single_post_rate_per_s']:.0f} req/s | "
        f"{result['single_post_p50_ms']:.1f} ms | |",
        f"| single-event POST p99 at {result['single_post_rate_per_s']:.0f} req/s | "
        f"{result['single_post_p99_ms']:.1f} ms | < 20 ms |",
        "",
        f"_Kafka {c['kafka']}, {c['partitions']} partitions, acks=all, idempotent; {c['events_per_run']:,} events of "
        f"{c['event_protobuf_bytes']} B (protobuf) per run, best of {c['repeats']}; batches of {c['batch_events']} "
        f"with {c['http_requests_in_flight']} in flight; {c['machine']['cores']} cores ({c['machine']['cpu']}). "
        f"Measured by `make bench` ({c['machine']['measured_at']})._",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = on_local_broker(lambda broker, home: run(args, broker, home))
    publish(result, args.out, RESULTS, "bench:ingest", table)


if __name__ == "__main__":
    main()
