"""Gateway benchmark: recommendation latency and throughput against a trivial FastAPI endpoint (the baseline, same
server settings, same run), freshness from ingest to recommendations, and the read model's memory and rebuild time.

    uv run --frozen python -m bench.api [--tracks 50000] [--users 10000] [--rate 300] [--seconds 20] [--workers 2]

A real broker (``LocalKafka`` on a free port, stopped by its PID) gets a synthetic world on Botify's topics: the
catalog (``tracks``), an audio embedding per track (``track-embeddings``, 128-d), item factors (``item-factors``,
32-d), a state per user (``user-state``: factors, 20 recent listens, genre affinity), successors of a fifth of the
tracks (``transitions``) and a 1h ``genre-trends`` snapshot per genre. Then:

* rebuild: the gateway (``python -m botify_api.main``, as ``botify up`` runs it, with ``BOTIFY_API_WORKERS`` =
  ``--workers`` processes on its port, 2 by default: one per core) starts on those topics; its
  ``/readyz`` says how long the read model took to catch up (vector store included); its resident memory after that
  and after the load is the read model's footprint (the whole process: Python, FastAPI, Qdrant Edge, state).
* latency: ``GET /v1/recommendations?user_id=<random user>&k=10`` open loop at ``rate`` per second (latency from
  the scheduled send, no coordinated omission), from a fresh load-generator process.
* throughput: a closed loop of ``concurrency`` clients for ``max_seconds`` against the gateway and against a
  trivial FastAPI endpoint served by the same ``uvicorn.run`` settings; the load generator shares the two cores.
* freshness: ingest and the stream processor (its default settings) join; after one warm-up listen, for each of
  ``freshness_samples`` new users, ask recommendations, post a listen of the first item to ingest, and time until
  that item has left the user's recommendations (heard tracks are left out), polling every 5 ms.

Results: bench/results/api.json and the README table (marker ``bench:api``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import uvicorn
from fastapi import FastAPI
from google.protobuf.message import Message

from bench.ingest import start_ingest, wait_ready
from bench.load import open_loop
from bench.machine import describe, on_local_broker, process_cpu_seconds, publish
from bench.soak import rss_kib
from botify_core.admin import ensure_topics
from botify_core.clock import now_ms
from botify_core.local_kafka import LocalKafka
from botify_core.processes import descendants, die_with_parent, free_port, terminate
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated, RecentListen, Successor, Transitions, UserState
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot
from botify_core.settings import REPO_ROOT, KafkaSettings
from botify_core.topics import Topic
from botify_datasets.genres import GENRES

RESULTS = REPO_ROOT / "bench" / "results" / "api.json"
CF_DIM, AUDIO_DIM, RECENT = 32, 128, 20
CHUNK = 5000
FRESHNESS_DEADLINE_S = 10.0
Record = tuple[Topic, str, Message]


def track_id(i: int) -> str:
    return f"syn-t{i:05d}"


def user_id(u: int) -> str:
    return f"syn-u{u:04d}"


def world(n_tracks: int, n_users: int, seed: int = 7) -> Iterator[Record]:
    """The synthetic world, topic by topic: ids fit the gateway's integer formats (syn-t00042, syn-u0007)."""
    rng = np.random.default_rng(seed)
    at = now_ms()
    genre_of = [GENRES[(i // 10) % len(GENRES)] for i in range(n_tracks)]        # artists of 10 tracks, one genre
    for i in range(n_tracks):
        yield Topic.TRACKS, track_id(i), TrackUpserted(
            track_id=track_id(i), title=f"Track {i}", artist_id=f"syn-a{i // 10:05d}", artist_name=f"Artist {i // 10}",
            genres=[genre_of[i]], duration_ms=int(rng.integers(120_000, 360_000)), dataset="synthetic",
            updated_at_ms=at)
    for i in range(n_tracks):
        vector = rng.normal(size=AUDIO_DIM).astype(np.float32)
        yield Topic.TRACK_EMBEDDINGS, track_id(i), TrackEmbedded(
            track_id=track_id(i), embedding=(vector / np.linalg.norm(vector)).tolist(),
            genre_probabilities={genre_of[i]: 0.8, GENRES[(i + 1) % len(GENRES)]: 0.2}, model_version="bench",
            embedded_at_ms=at)
    for i in range(n_tracks):
        yield Topic.ITEM_FACTORS, track_id(i), FactorsUpdated(
            track_id=track_id(i), factors=(0.1 * rng.normal(size=CF_DIM)).tolist(), bias=0.0, model_version="bench",
            update_count=1, updated_at_ms=at)
    for u in range(n_users):
        recent = rng.integers(0, n_tracks, size=RECENT)
        liked = {genre_of[int(t)] for t in recent[:5]}
        yield Topic.USER_STATE, user_id(u), UserState(
            user_id=user_id(u), factors=(0.1 * rng.normal(size=CF_DIM)).tolist(),
            recent=[RecentListen(track_id=track_id(int(t)), event_time_ms=at - 60_000 * r, fraction=0.9)
                    for r, t in enumerate(recent)],
            genre_affinity=dict.fromkeys(liked, 0.5), cluster_id=u % 8, listens=RECENT, skip_rate=0.1,
            model_version="bench", updated_at_ms=at)
    for i in range(0, n_tracks, 5):
        successors = rng.integers(0, n_tracks, size=20)
        yield Topic.TRANSITIONS, track_id(i), Transitions(
            track_id=track_id(i), successors=[Successor(track_id=track_id(int(s)), weight=20.0 - k)
                                              for k, s in enumerate(successors)], updated_at_ms=at)
    start = at - at % 600_000 - 3_000_000
    for g, genre in enumerate(GENRES):
        top = [track_id(t) for t in range(g * 10, n_tracks, 10 * len(GENRES))[:10]]
        yield Topic.GENRE_TRENDS, f"1h/{genre}", TrendSnapshot(
            window="1h", window_start_ms=start, window_end_ms=start + 3_600_000, genre=genre, plays=1000 - 40 * g,
            minutes=3000.0 - 90 * g, top_tracks=[TrackPlays(track_id=t, plays=100 - k, minutes=300.0 - 9 * k)
                                                 for k, t in enumerate(top)], updated_at_ms=at)


async def produce(kafka: KafkaSettings, records: Iterator[Record]) -> dict[str, int]:
    counts: dict[str, int] = {}
    batch: list[Record] = []

    async def flush(producer: EventProducer) -> None:
        for topic in dict.fromkeys(t for t, _, _ in batch):
            await producer.send_many(topic, [(k, m) for t, k, m in batch if t == topic])
        batch.clear()

    async with EventProducer(kafka) as producer:
        for record in records:
            batch.append(record)
            counts[record[0].value] = counts.get(record[0].value, 0) + 1
            if len(batch) >= CHUNK:
                await flush(producer)
        await flush(producer)
    return counts


def trivial_app() -> FastAPI:
    """The baseline: a FastAPI endpoint that validates the same query and returns a constant body."""
    app = FastAPI()

    @app.get("/trivial")
    async def trivial(user_id: str, k: int = 10) -> dict[str, Any]:
        return {"user_id": user_id, "k": k, "items": []}

    return app


def serve_trivial(port: int, workers: int) -> None:
    # the same uvicorn.run settings as botify_api.main.serve, with as many processes
    if workers == 1:
        uvicorn.run(trivial_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    else:
        uvicorn.run("bench.api:trivial_app", factory=True, workers=workers, host="127.0.0.1", port=port,
                    log_level="warning", access_log=False)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=die_with_parent())


def kafka_env(kafka: KafkaSettings) -> dict[str, str]:
    return os.environ | {"BOTIFY_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                         "BOTIFY_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
                         "BOTIFY_KAFKA_PARTITIONS": str(kafka.partitions), "OMP_NUM_THREADS": "1"}


async def ready_json(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> dict[str, Any]:
    """The body of ``url`` once it answers 200 (polling another process's readiness endpoint)."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the process exited with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        body: dict[str, Any] = await response.json(content_type=None)
                        return body
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f} s")


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` for ``seconds`` into ``out`` (collapsed stacks): ``uv run --with py-spy``."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("--profile needs py-spy: uv run --frozen --with py-spy python -m bench.api --profile ...")
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--subprocesses",
                             "--duration", str(max(1, round(seconds))),
                             "--format", "raw", "--output", str(out), "--nonblocking"])


def percentiles(values: list[float]) -> tuple[float, float]:
    array = np.array(values)
    return float(np.percentile(array, 50)), float(np.percentile(array, 99))


async def open_loop_latency(base: str, users: int, rate: float, seconds: float) -> dict[str, float]:
    rng = random.Random(11)
    n = int(rate * seconds)
    paths = [f"/v1/recommendations?user_id={user_id(rng.randrange(users))}&k=10".encode() for _ in range(n)]
    latencies: list[float] = []
    failures = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512)) as session:
        async def one(path: bytes, due: float) -> None:
            nonlocal failures
            async with session.get(base + path.decode()) as response:
                await response.read()
                failures += response.status != 200
            latencies.append((time.perf_counter() - due) * 1000)

        await asyncio.gather(*(one(p, time.perf_counter()) for p in paths[:64]))     # warm the pool
        latencies.clear()
        achieved = await open_loop(rate, paths, one)
    p50, p99 = percentiles(latencies)
    return {"recs_p50_ms": p50, "recs_p99_ms": p99, "recs_rate_per_s": achieved, "recs_requests": n,
            "recs_failures": failures}


async def closed_loop(base: str, paths: list[str], concurrency: int, seconds: float,
                      parties: dict[str, list[int]]) -> tuple[float, dict[str, float]]:
    """Requests per second that ``concurrency`` clients, each sending as soon as its answer came, get through; and
    the cores each of ``parties`` (name -> PIDs) and this load generator used meanwhile."""
    done = 0
    failures = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def client(offset: int, deadline: float) -> None:
            nonlocal done, failures
            i = offset
            while time.perf_counter() < deadline:
                async with session.get(base + paths[i % len(paths)]) as response:
                    await response.read()
                    failures += response.status != 200
                done += 1
                i += concurrency

        await asyncio.gather(*(client(c, time.perf_counter() + 1.0) for c in range(concurrency)))   # warm-up
        done = 0
        cpu_before = {name: sum(map(process_cpu_seconds, pids)) for name, pids in parties.items()}
        own_before = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(client(c, started + seconds) for c in range(concurrency)))
        elapsed = time.perf_counter() - started
        cores = {name: (sum(map(process_cpu_seconds, pids)) - cpu_before[name]) / elapsed
                 for name, pids in parties.items()}
        cores["load_generator"] = (time.process_time() - own_before) / elapsed
    if failures:
        raise RuntimeError(f"{base}: {failures} answers were not 200 under load")
    return done / elapsed, cores


def _in_fresh_process(kind: str, *args: Any) -> Any:
    gc.collect()
    gc.freeze()  # the load generator's own collector pauses would count as server latency
    if kind == "latency":
        return asyncio.run(open_loop_latency(*args))
    return asyncio.run(closed_loop(*args))


def fresh_process(kind: str, *args: Any) -> Any:
    """Run a load phase in a new interpreter, so the generator carries no heap from the set-up."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_in_fresh_process, kind, *args).result()


async def freshness(gateway: str, ingest: str, samples: int) -> dict[str, Any]:
    """For each new user: ask, post a listen of the first item to ingest, time until the item leaves the answer.

    A listen that has not shown within ``FRESHNESS_DEADLINE_S`` counts at the deadline, so the percentiles are then
    lower bounds (``freshness_timeouts`` says how many). A first, uncounted listen warms the path up (the stream
    processor's first transaction after its start took seconds in every run).
    """
    delays: list[float] = []
    timeouts = 0
    async with aiohttp.ClientSession() as session:
        async def items(user: str) -> list[str]:
            async with session.get(f"{gateway}/v1/recommendations", params={"user_id": user, "k": "10"}) as response:
                body = await response.json()
                return [item["track_id"] for item in body["items"]]

        for s in range(-1, samples):           # -1: a warm-up listen, not counted (the processor's first batch)
            user = f"bench-fresh-{s}-{now_ms()}"
            heard = (await items(user))[0]
            listen = {"user_id": user, "track_id": heard, "ts": now_ms(), "track_duration_ms": 200_000,
                      "ms_played": 190_000, "kind": "play", "source": "user"}
            async with session.post(f"{ingest}/v1/listens", json=listen) as response:
                assert response.status == 202, await response.text()
                posted = time.perf_counter()    # accepted: Kafka has it
            deadline = posted + FRESHNESS_DEADLINE_S
            while heard in await items(user):
                if time.perf_counter() > deadline:
                    timeouts += s >= 0
                    break
                await asyncio.sleep(0.005)      # polling is the measurement: the answer is all a client sees
            if s >= 0:
                delays.append((min(time.perf_counter(), deadline) - posted) * 1000)
    p50, p99 = percentiles(delays) if delays else (float("nan"), float("nan"))
    return {"freshness_p50_ms": p50, "freshness_p99_ms": p99, "freshness_samples": len(delays),
            "freshness_timeouts": timeouts, "freshness_ms": delays}


async def run(args: argparse.Namespace, broker: LocalKafka, workdir: Path) -> dict[str, Any]:
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix="bench-api.",
                          partitions=args.partitions)
    await ensure_topics(kafka)
    started = time.perf_counter()
    counts = await produce(kafka, world(args.tracks, args.users))
    produced_s = time.perf_counter() - started
    print(f"produced {counts} in {produced_s:.1f} s", flush=True)
    env = kafka_env(kafka)

    trivial_port, gateway_port = free_port(), free_port()
    trivial = start(["-m", "bench.api", "--serve-trivial", str(trivial_port), "--workers", str(args.workers)], env,
                    workdir / "trivial.log")
    gateway = start(["-m", "botify_api.main"], env | {"BOTIFY_API_PORT": str(gateway_port),
                                                      "BOTIFY_API_WORKERS": str(args.workers),
                                                      "BOTIFY_VAR_DIR": str(workdir / "var")},
                    workdir / "gateway.log")
    processes = [trivial, gateway]
    try:
        gateway_url, trivial_url = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{trivial_port}"
        readiness = await ready_json(gateway_url + "/readyz", gateway, args.ready_timeout)
        await ready_json(trivial_url + "/trivial?user_id=u1", trivial, 60)
        rss_after_rebuild = rss_kib(gateway.pid) / 1024
        print(f"gateway ready: rebuild {readiness.get('rebuild_s')} s, {rss_after_rebuild:.0f} MiB", flush=True)

        latency = fresh_process("latency", gateway_url, args.users, args.rate, args.seconds)
        print(f"latency: {latency}", flush=True)
        rng = random.Random(5)
        recs_paths = [f"/v1/recommendations?user_id={user_id(rng.randrange(args.users))}&k=10" for _ in range(5000)]
        profiler = profile(gateway.pid, args.max_seconds, args.profile) if args.profile else None
        broker_pids = [pid] if (pid := broker.pid()) else []
        recs_max, recs_cores = fresh_process("max", gateway_url, recs_paths, args.concurrency, args.max_seconds,
                                             {"server": [gateway.pid, *descendants(gateway.pid)],
                                              "broker": broker_pids})
        if profiler is not None:
            profiler.wait()
        trivial_max, trivial_cores = fresh_process(
            "max", trivial_url, [f"/trivial?user_id={user_id(u)}&k=10" for u in range(5000)], args.concurrency,
            args.max_seconds, {"server": [trivial.pid, *descendants(trivial.pid)], "broker": broker_pids})
        print(f"max: recommendations {recs_max:.0f}/s {recs_cores}, trivial {trivial_max:.0f}/s {trivial_cores}",
              flush=True)
        rss_after_load = rss_kib(gateway.pid) / 1024
        trivial_rss = rss_kib(trivial.pid) / 1024

        fresh: dict[str, Any] = {}
        if args.freshness_samples:
            ingest_port = free_port()
            ingest = start_ingest(kafka, ingest_port, workdir / "ingest.log")
            worker_port = free_port()
            worker = start(["-m", "botify_recommender.app", "worker"],
                           env | {"BOTIFY_RECOMMENDER_PORT": str(worker_port),
                                  "BOTIFY_VAR_DIR": str(workdir / "var")}, workdir / "recommender.log")
            processes += [ingest, worker]
            await wait_ready(f"http://127.0.0.1:{ingest_port}", ingest)
            await ready_json(f"http://127.0.0.1:{worker_port}/readyz", worker, args.ready_timeout)
            fresh = await freshness(gateway_url, f"http://127.0.0.1:{ingest_port}", args.freshness_samples)
            print(f"freshness: {fresh}", flush=True)
    finally:
        for process in reversed(processes):
            terminate(process.pid)
            process.wait()

    return {
        **latency, "recs_max_rps": recs_max, "trivial_max_rps": trivial_max,
        "recs_to_trivial_ratio": recs_max / trivial_max,
        "cores_used": {"recommendations": recs_cores, "trivial": trivial_cores},
        "freshness_p50_ms": fresh.get("freshness_p50_ms"), "freshness_p99_ms": fresh.get("freshness_p99_ms"),
        "freshness_samples": fresh.get("freshness_samples", 0), "freshness_timeouts": fresh.get("freshness_timeouts"),
        "freshness_ms": fresh.get("freshness_ms", []),
        "read_model_rss_mb": max(rss_after_rebuild, rss_after_load), "read_model_rss_after_rebuild_mb":
        rss_after_rebuild, "trivial_server_rss_mb": trivial_rss, "rebuild_s": readiness.get("rebuild_s"),
        "warm_s": readiness.get("warm_s"), "warmed_users": readiness.get("warmed_users"),
        "conditions": {"tracks": args.tracks, "users": args.users, "records": counts, "produce_s": produced_s,
                       "rate_per_s": args.rate, "seconds": args.seconds, "concurrency": args.concurrency,
                       "max_seconds": args.max_seconds, "partitions": args.partitions, "k": 10,
                       "cf_dim": CF_DIM, "audio_dim": AUDIO_DIM, "kafka": broker.version,
                       "workers": args.workers,
                       "server": f"uvicorn.run(log_level=warning, access_log=False), {args.workers} process(es) "
                                 "each (BOTIFY_API_WORKERS for the gateway)",
                       "freshness": "ingest 202 until the heard item left the user's answer; stream processor "
                                    "defaults; 5 ms polling",
                       "machine": describe()},
    }


def _ms(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1f} ms"


def table(result: dict[str, Any]) -> str:
    c = result["conditions"]
    late = result.get("freshness_timeouts") or 0
    timeouts = f"; {late} not shown within {FRESHNESS_DEADLINE_S:.0f} s, counted at it" if late else ""
    at_least = ">= " if late else ""
    return "\n".join([
        "| measure | value | target |", "|---|---:|---|",
        f"| `/v1/recommendations` p50 at {c['rate_per_s']:.0f} req/s (open loop) | {_ms(result['recs_p50_ms'])} | |",
        f"| `/v1/recommendations` p99 at {c['rate_per_s']:.0f} req/s (achieved "
        f"{result['recs_rate_per_s']:.0f}/s) | {_ms(result['recs_p99_ms'])} | < 25 ms |",
        f"| max throughput, recommendations | {result['recs_max_rps']:,.0f} req/s "
        f"({result['recs_to_trivial_ratio']:.0%} of trivial) | >= 40% of trivial |",
        f"| max throughput, trivial FastAPI endpoint (baseline) | {result['trivial_max_rps']:,.0f} req/s | |",
        *(f"| cores used at max throughput, {name}: server / broker / load generator | "
          f"{u['server']:.2f} / {u['broker']:.2f} / {u['load_generator']:.2f} | of {c['machine']['cores']} |"
          for name, u in result.get("cores_used", {}).items()),
        f"| freshness p50 (listen posted to ingest → out of the answer) | {_ms(result['freshness_p50_ms'])} | |",
        f"| freshness p99 ({result['freshness_samples']} listens{timeouts}) | "
        f"{at_least}{_ms(result['freshness_p99_ms'])} | < 500 ms |",
        f"| gateway resident memory (read model loaded) | {result['read_model_rss_mb']:,.0f} MiB | |",
        f"| read model rebuild from the topics | {result['rebuild_s']:.1f} s | |",
        *([f"| then the candidates of {result['warmed_users']:,} users, before ready | {result['warm_s']:.1f} s | |"]
          if result.get("warm_s") is not None else []),
        "",
        f"_{c['tracks']:,} tracks (audio {c['audio_dim']}-d, factors {c['cf_dim']}-d), {c['users']:,} users, Kafka "
        f"{c['kafka']}, {c['partitions']} partitions; {c.get('workers', 1)} gateway process(es) and as many for the "
        f"trivial endpoint; {c['concurrency']} clients for throughput; load generator on "
        f"the same {c['machine']['cores']} cores ({c['machine']['cpu']}). Measured by `make bench` "
        f"({c['machine']['measured_at']})._",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--freshness-samples", type=int, default=30)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2,
                        help="processes of the gateway (BOTIFY_API_WORKERS) and of the trivial endpoint")
    parser.add_argument("--ready-timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks of the gateway during the "
                                                     "throughput phase, to this file")
    parser.add_argument("--serve-trivial", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_trivial:
        serve_trivial(args.serve_trivial, args.workers)
        return
    result = on_local_broker(lambda broker, home: run(args, broker, home))
    publish(result, args.out, RESULTS, "bench:api", table)


if __name__ == "__main__":
    main()
