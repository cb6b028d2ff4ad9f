"""Stream processor throughput and freshness, against a raw aiokafka loop and a no-op Faust agent in the same run.

    uv run --frozen python -m bench.stream [--events 200000] [--rate 1000] [--seconds 15] [--intervals 50,100,250]
                                           [--rounds 3]

A real broker (``LocalKafka`` on a free port, stopped by its PID), 4 partitions, a catalog of tracks and N listens
of ~70 B (Zipf-popular tracks, 5,000 users). Phases, in this order:

1. freshness: one pipeline worker, caught up, gets listens at a fixed rate (open loop); the time from producing
   each one to its effect becoming visible to a ``read_committed`` consumer in ``user-state`` (the listen in its
   user's recent history) and in ``genre-trends`` (a 1m snapshot whose play count includes it), p50/p99, at several
   commit intervals. The longest interval whose p99 meets the target is chosen (else the best one), and freshness
   is measured there with two workers too;
2. pipeline rounds (``--rounds``, 3 by default), each of them: one worker, ``botify recommender worker`` (its own
   process), every stage on, exactly-once, at the chosen interval, the N listens produced once the worker has its
   partitions; and two such processes in one group sharing the partitions. Each case runs on a byte-identical copy
   of the listens under a fresh topic prefix (a worker would otherwise restore an earlier case's state), and the
   rounds alternate which case goes first. A small VM's speed can drift by tens of percent over minutes, and a
   ratio of two cases measured once, minutes apart, carries that drift: the rates reported are medians over the
   rounds, and the two-to-one ratio is the median of each round's own ratio (not the ratio of the two medians);
3. raw consumer: an aiokafka loop that decodes each ``ListenEvent`` of the first round's one-worker topic and
   counts it per genre;
4. no-op Faust agent: a Faust worker (its own process) whose agent only counts, on the same topic.

Throughput counts from the first record a consumer sees (the raw loop, the agent) or the first committed
transaction (the pipeline) to the last (for the pipeline: the last listen and every internal record it caused, the
deltas the owners sum), so start-up and rebalances before the first record are not in it. Results:
bench/results/stream.json and the README table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from numpy.typing import NDArray

from bench.machine import describe, on_local_broker, process_cpu_seconds, publish
from botify_core.admin import ensure_topics
from botify_core.clock import now_ms
from botify_core.codecs import codec_for
from botify_core.local_kafka import LocalKafka
from botify_core.processes import terminate
from botify_core.producer import RecordBatches, producer_config
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind, ListenSource
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.proto.botify.v1.trends_pb2 import TrendSnapshot
from botify_core.settings import REPO_ROOT, KafkaSettings
from botify_core.topics import Topic
from botify_recommender.app import stages
from botify_recommender.worker_process import WorkerProcess

RESULTS = REPO_ROOT / "bench" / "results" / "stream.json"
GENRES = ("rock", "pop", "electronic", "hiphop", "jazz", "classical", "metal", "folk", "blues", "reggae")
N_USERS, N_TRACKS = 5_000, 20_000


@dataclass(frozen=True)
class Workload:
    """The catalog and the listens every phase consumes, encoded once."""

    tracks: list[tuple[bytes, bytes]]
    listens: list[tuple[bytes, bytes]]
    genre_of: dict[str, str]

    @property
    def listen_bytes(self) -> float:
        return float(np.mean([len(v) for _, v in self.listens[:1000]]))


def track_id(i: int) -> str:
    return f"track-{i:06d}"


def listen(i: int, start_ms: int, rng: np.random.Generator, user: str | None = None) -> ListenEvent:
    """Listen ``i``: a Zipf-ish track choice (hot items exist), mostly completed plays, some skips."""
    track = int(min(rng.zipf(1.2), N_TRACKS)) - 1
    duration = 180_000 + (track % 120) * 1000
    played = duration if rng.random() < 0.7 else int(duration * rng.random() * 0.5)
    return ListenEvent(event_id=f"bench-{i:012d}", user_id=user or f"user-{int(rng.integers(N_USERS)):05d}",
                       track_id=track_id(track), event_time_ms=start_ms + i // 4, ms_played=played,
                       track_duration_ms=duration, kind=ListenKind.LISTEN_KIND_PLAY,
                       source=ListenSource.LISTEN_SOURCE_USER)


def workload(n: int, seed: int = 0) -> Workload:
    rng = np.random.default_rng(seed)
    codec, tracks_codec = codec_for(ListenEvent), codec_for(TrackUpserted)
    genre_of = {track_id(i): GENRES[i % len(GENRES)] for i in range(N_TRACKS)}
    tracks = [(t.encode(), tracks_codec.encode(TrackUpserted(track_id=t, genres=[g], artist_id=f"a{i % 900}",
                                                             duration_ms=180_000 + (i % 120) * 1000)))
              for i, (t, g) in enumerate(genre_of.items())]
    start = now_ms() - n // 4  # event times end about now: every window is open, none expired
    events = (listen(i, start, rng) for i in range(n))
    return Workload(tracks, [(e.user_id.encode(), codec.encode(e)) for e in events], genre_of)


async def produce(settings: KafkaSettings, topic: Topic, records: Sequence[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**producer_config(settings))
    await producer.start()
    try:
        name = settings.topic(topic)
        futures = [await producer.send(name, value, key=key) for key, value in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def prepared_batches(producer: AIOKafkaProducer, name: str,
                           records: Sequence[tuple[bytes, bytes]]) -> list[tuple[str, int, Any]]:
    """The records as Kafka record batches, each for the partition Kafka's default partitioner gives its key, built
    before they are timed: a load generator that hashes and appends each record while the workers run takes their
    cores (17 µs a listen, a tenth of a worker's cost, in the two-worker phase)."""
    batches = RecordBatches(producer)
    full = [batch for key, value in records if (batch := await batches.add(name, key, value)) is not None]
    return full + batches.rest()


async def send_batches(producer: AIOKafkaProducer, batches: list[tuple[str, int, Any]]) -> None:
    futures = [await producer.send_batch(batch, topic, partition=partition) for topic, partition, batch in batches]
    await asyncio.gather(*futures)


async def warm_group_coordinator(settings: KafkaSettings) -> None:
    """Join and commit as a throwaway group, so the broker has created ``__consumer_offsets``.

    On a fresh broker the first group to join meets GroupCoordinatorNotAvailable while that topic is created;
    a Faust worker meeting it never finished joining in our runs.
    """
    await ensure_topics(settings, [Topic.LISTENS])
    await produce(settings, Topic.LISTENS, [(b"warm-up", b"")])
    consumer = AIOKafkaConsumer(settings.topic(Topic.LISTENS), bootstrap_servers=settings.bootstrap_servers,
                                group_id="bench-warm-up", auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.getone()
        await consumer.commit()
    finally:
        await consumer.stop()


async def raw_consumer(settings: KafkaSettings, n: int, genre_of: dict[str, str]) -> float:
    """Events/s of a plain aiokafka loop that decodes every listen and counts it per genre."""
    consumer = AIOKafkaConsumer(settings.topic(Topic.LISTENS), bootstrap_servers=settings.bootstrap_servers,
                                group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=8 << 20, fetch_max_bytes=32 << 20)
    codec = codec_for(ListenEvent)
    counts: Counter[str] = Counter()
    seen, started = 0, 0.0
    await consumer.start()
    try:
        while seen < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            if not started and batches:
                started = time.perf_counter()
            for records in batches.values():
                for record in records:
                    counts[genre_of.get(codec.decode(record.value).track_id, "unknown")] += 1
            seen += sum(len(r) for r in batches.values())
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
    assert sum(counts.values()) == n, (sum(counts.values()), n)
    return n / elapsed


def noop_agent_main(bootstrap: str, topic: str, expect: int, workdir: str) -> None:
    """The no-op Faust worker (run in its own process): count records; print the rate when ``expect`` arrived."""
    import faust

    app = faust.App(f"bench-noop-{os.getpid()}", broker=f"kafka://{bootstrap}", store="memory://",
                    web_enabled=False, topic_disable_leader=True, datadir=workdir,
                    consumer_auto_offset_reset="earliest")
    source = app.topic(topic, key_serializer="raw", value_serializer="raw")
    seen = [0, 0.0]

    @app.agent(source)
    async def noop(stream: Any) -> None:
        async for _value in stream:
            if seen[0] == 0:
                seen[1] = time.perf_counter()
            seen[0] += 1
            if seen[0] == expect:
                rate = (expect - 1) / (time.perf_counter() - seen[1])
                print(json.dumps({"noop_agent_events_per_s": rate}), flush=True)

    with (Path(workdir) / "noop.out").open("w") as faust_stdout:
        worker = faust.Worker(app, loglevel=os.environ.get("BENCH_FAUST_LOGLEVEL", "WARNING"), quiet=True,
                              redirect_stdouts=False, stdout=faust_stdout)
        worker.spinner = None  # it writes to stdout and turns debug logging on everywhere (~9% CPU)
        worker.execute_from_commandline()


async def noop_agent(settings: KafkaSettings, n: int, workdir: Path) -> float:
    """Events/s of the no-op Faust agent, from its first record to its ``n``-th (start-up not counted)."""
    with (workdir / "noop.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.stream", "noop-agent", settings.bootstrap_servers,
            settings.topic(Topic.LISTENS), str(n), str(workdir), cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
            stderr=log)
    assert process.stdout is not None
    try:
        async with asyncio.timeout(600):
            while line := await process.stdout.readline():
                if line.startswith(b"{"):
                    return float(json.loads(line)["noop_agent_events_per_s"])
        raise RuntimeError(f"the no-op agent exited ({await process.wait()}) before its result; see noop.log")
    finally:
        terminate(process.pid)


async def committed(settings: KafkaSettings, group: str, n: int, timeout_s: float) -> tuple[float, float, int]:
    """Watch ``group``'s committed offsets: (first progress on ``listens``, all ``n`` listens committed and every
    internal record they caused too, listens committed at first). Until the internal topics are caught up, the
    work the listens caused is not done: owners may still be summing their deltas."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    ends = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    await admin.start()
    await ends.start()
    name = settings.topic(Topic.LISTENS)
    internal = [TopicPartition(settings.topic(t), p) for t in source_topics() - {Topic.LISTENS}
                for p in range(settings.partitions)]
    first_at, first_total = 0.0, 0
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                offsets = await admin.list_consumer_group_offsets(group)
                total = sum(o.offset for tp, o in offsets.items() if tp.topic == name and o.offset > 0)
                if total and not first_at:
                    first_at, first_total = time.perf_counter(), total
                if total >= n:
                    at = time.perf_counter()
                    high = await ends.end_offsets(internal)
                    if all(high[tp] == 0 or (tp in offsets and offsets[tp].offset >= high[tp]) for tp in internal):
                        return first_at, at, first_total
                await asyncio.sleep(0.05)  # another process's progress: nothing to await but its offsets
    except TimeoutError:
        raise RuntimeError(f"group {group} did not commit {n} listens within {timeout_s} s") from None
    finally:
        await ends.stop()
        await admin.close()


def source_topics() -> set[Topic]:
    """The topics a worker group consumes: every stage's source, ``listens`` included."""
    return {Topic.LISTENS, *(stage.source for stage in stages())}


def source_partitions(partitions: int) -> int:
    """How many partitions a worker group shares."""
    return partitions * len(source_topics())


async def settled(workers: Sequence[WorkerProcess], total: int, timeout_s: float = 120.0) -> None:
    """Every worker ready and the group's partitions all assigned, each worker holding some."""
    for worker in workers:
        await worker.ready(timeout_s)
    async with httpx.AsyncClient(timeout=5.0) as client:
        async with asyncio.timeout(timeout_s):
            while True:
                owned = [(await client.get(w.url + "/readyz")).json()["partitions"] for w in workers]
                if sum(owned) == total and all(owned):
                    return
                await asyncio.sleep(0.1)  # a rebalance in other processes: poll their readiness endpoints


def start_workers(settings: KafkaSettings, count: int, group: str, workdir: Path,
                  commit_interval_ms: int, **extra: str | int) -> list[WorkerProcess]:
    return [WorkerProcess(settings, worker_id=str(i), group_id=group, log=workdir / f"{group}-{i}.log",
                          var_dir=workdir / f"{group}-var-{i}", commit_interval_ms=commit_interval_ms, **extra)
            for i in range(count)]


async def pipeline(settings: KafkaSettings, work: Workload, workers: int, commit_interval_ms: int,
                   workdir: Path, broker_pid: int | None = None) -> tuple[float, dict[str, float]]:
    """Events/s of the full pipeline in ``workers`` processes: from its first committed transaction to the last
    listen committed, with the internal records it caused (see :func:`committed`). The listens are produced once
    the group has settled, so no start-up rebalance is timed.
    Also the cores each party used meanwhile (CPU seconds over wall seconds, from producing to the last commit):
    the workers, the broker and this process (the producer and the offsets watcher)."""
    await ensure_topics(settings)
    await produce(settings, Topic.TRACKS, work.tracks)
    group = f"{settings.topic_prefix}pipeline-{workers}"   # its own group, logs and state in each round
    procs = start_workers(settings, workers, group, workdir, commit_interval_ms)
    producer = AIOKafkaProducer(**producer_config(settings))
    await producer.start()
    try:
        name = settings.topic(Topic.LISTENS)
        batches = await prepared_batches(producer, name, work.listens)
        await settled(procs, source_partitions(settings.partitions))
        parties = {"workers": [p.process.pid for p in procs], "broker": [broker_pid] if broker_pid else [],
                   "producer": [os.getpid()]}
        cpu_before = {name: sum(map(process_cpu_seconds, pids)) for name, pids in parties.items()}
        watch = asyncio.create_task(committed(settings, group, len(work.listens), timeout_s=900))
        produced_at = time.perf_counter()
        await send_batches(producer, batches)
        first_at, done_at, first_total = await watch
        cores = {f"{name}_cores": (sum(map(process_cpu_seconds, pids)) - cpu_before[name]) / (done_at - produced_at)
                 for name, pids in parties.items()}
    finally:
        await producer.stop()
        for proc in procs:
            proc.stop()
    if first_total >= len(work.listens):  # a stream so short that one look saw it all: time it from producing
        return len(work.listens) / (done_at - produced_at), cores
    return (len(work.listens) - first_total) / (done_at - first_at), cores


ONE, TWO = "one_worker", "two_workers"
PIPELINE_WORKERS = {ONE: 1, TWO: 2}


def round_phase(index: int, case: str) -> str:
    return f"round{index}-{case}"


async def pipeline_round(prefixed: Callable[[str], KafkaSettings], index: int, work: Workload, interval_ms: int,
                         workdir: Path, broker_pid: int | None) -> dict[str, Any]:
    """One worker and two, one after the other on fresh topics, and the ratio of the two rates. The order alternates
    between rounds (one worker first in even rounds, two in odd ones), so neither case always runs on the broker the
    other has warmed."""
    cases = list(PIPELINE_WORKERS) if index % 2 == 0 else list(PIPELINE_WORKERS)[::-1]
    measured: dict[str, Any] = {}
    for case in cases:
        rate, cores = await pipeline(prefixed(round_phase(index, case)), work, PIPELINE_WORKERS[case], interval_ms,
                                     workdir, broker_pid)
        measured[case] = {"events_per_s": rate, **cores}
    result = {case: measured[case] for case in PIPELINE_WORKERS}
    result["two_workers_to_one"] = measured[TWO]["events_per_s"] / measured[ONE]["events_per_s"]
    print(json.dumps({"round": index, **result}), flush=True)
    return result


def medians(measures: Sequence[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds, each figure on its own (one row may mix rounds)."""
    return {key: statistics.median(m[key] for m in measures) for key in measures[0]}


def cores_of(figures: dict[str, float]) -> dict[str, float]:
    return {key: value for key, value in figures.items() if key.endswith("_cores")}


@dataclass
class Visible:
    """When each freshness listen (by event id) was produced and first seen in each output."""

    expected: int
    produced: dict[str, float] = field(default_factory=dict)
    user_seen: dict[str, float] = field(default_factory=dict)
    trend_seen: dict[str, float] = field(default_factory=dict)
    buckets: dict[tuple[int, str], list[str]] = field(default_factory=dict)  # (1m start, genre) -> ids, in order
    listens: dict[tuple[str, str, int], str] = field(default_factory=dict)  # (user, track, event time) -> id
    both_seen: int = 0            # measured listens seen in both outputs
    gave_up_at: float = 0.0

    def _seen(self, seen: dict[str, float], other: dict[str, float], event_id: str, seen_at: float) -> None:
        if event_id not in seen:
            seen[event_id] = seen_at
            if event_id in other and event_id in self.produced:
                self.both_seen += 1

    def apply_user(self, state: UserState, seen_at: float) -> None:
        """A user's state shows each listen in its recent history."""
        for recent in state.recent:
            event_id = self.listens.get((state.user_id, recent.track_id, recent.event_time_ms))
            if event_id is not None:
                self._seen(self.user_seen, self.trend_seen, event_id, seen_at)

    def apply_trend(self, snapshot: TrendSnapshot, counted: dict[tuple[int, str], int], seen_at: float) -> None:
        """A snapshot of a 1m window counting ``plays`` listens shows the first ``plays`` of its bucket (in
        production order: across partitions the order of counting may differ slightly; at 1,000/s this moves a
        stamp by about one listen's gap)."""
        if snapshot.window != "1m":
            return
        key = (snapshot.window_start_ms, snapshot.genre)
        done = counted.get(key, 0)
        for event_id in self.buckets.get(key, [])[done:snapshot.plays]:
            self._seen(self.trend_seen, self.user_seen, event_id, seen_at)
        counted[key] = max(done, snapshot.plays)

    def complete(self) -> bool:
        """Every measured listen produced and seen in both outputs."""
        return len(self.produced) == self.expected and self.both_seen >= self.expected

    def latencies_ms(self, seen: dict[str, float], gave_up_at: float) -> NDArray[np.float64]:
        """Per measured listen, in production order; one never seen counts as seen when we stopped looking (a
        lower bound, so a pipeline that falls behind cannot look fresh by leaving its stragglers out)."""
        return np.array([(seen.get(u, gave_up_at) - t) * 1000 for u, t in self.produced.items()])


async def follow_outputs(settings: KafkaSettings, visible: Visible, done: asyncio.Event) -> None:
    """read_committed consumers of ``user-state`` and ``genre-trends``: stamp each listen when its effect shows;
    set ``done`` once every measured listen was seen in both."""
    user_codec, trend_codec = codec_for(UserState), codec_for(TrendSnapshot)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                isolation_level="read_committed", enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        parts = [TopicPartition(settings.topic(t), p) for t in (Topic.USER_STATE, Topic.GENRE_TRENDS)
                 for p in range(settings.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_end(*parts)  # the worker is caught up: only what the measured listens cause
        users_topic = settings.topic(Topic.USER_STATE)
        counted: dict[tuple[int, str], int] = {}
        while not done.is_set():
            for tp, records in (await consumer.getmany(timeout_ms=100)).items():
                seen_at = time.time()
                for record in records:
                    if tp.topic == users_topic:
                        visible.apply_user(user_codec.decode(record.value), seen_at)
                    else:
                        visible.apply_trend(trend_codec.decode(record.value), counted, seen_at)
            if visible.complete():
                done.set()
    finally:
        await consumer.stop()


async def paced_listens(settings: KafkaSettings, visible: Visible, work: Workload, rate: float, n: int,
                        warm_up: int, tag: str) -> None:
    """``warm_up + n`` listens at ``rate``/s, open loop, from the workload's users, stamped with the wall clock."""
    codec = codec_for(ListenEvent)
    rng = np.random.default_rng(0)
    producer = AIOKafkaProducer(**producer_config(settings))
    await producer.start()
    try:
        name = settings.topic(Topic.LISTENS)
        begin = time.time() + 0.2
        sends = []
        for i in range(warm_up + n):
            delay = begin + i / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)  # open-loop pacing: each listen leaves on its schedule
            event = listen(i, 0, rng)
            event.event_id = f"{tag}-{event.event_id}"
            event.event_time_ms = now_ms()
            visible.buckets.setdefault((event.event_time_ms // 60_000 * 60_000, work.genre_of[event.track_id]),
                                       []).append(event.event_id)
            visible.listens[(event.user_id, event.track_id, event.event_time_ms)] = event.event_id
            if i >= warm_up:
                visible.produced[event.event_id] = time.time()
            sends.append(await producer.send(name, codec.encode(event), key=event.user_id.encode()))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def measure_load(settings: KafkaSettings, work: Workload, rate: float, seconds: float, tag: str,
                       earlier: Visible | None) -> Visible:
    """Listens at ``rate`` for ``seconds`` against a running worker, stamped as they show in both outputs."""
    visible = Visible(int(rate * seconds))
    if earlier is not None:  # snapshots count the earlier load's listens too: they come first in each bucket
        visible.buckets = {k: list(v) for k, v in earlier.buckets.items()}
    done = asyncio.Event()
    gc.disable()   # the instrument's own collections (40-90 ms here) would stamp listens late
    try:
        follower = asyncio.create_task(follow_outputs(settings, visible, done))
        await paced_listens(settings, visible, work, rate, visible.expected, warm_up=int(rate), tag=tag)
        try:
            await asyncio.wait_for(done.wait(), timeout=120)
        except TimeoutError:
            done.set()  # what never showed counts as seen now (unseen_listens says how many)
        await follower
    finally:
        gc.enable()
    visible.gave_up_at = time.time()
    return visible


async def freshness(settings: KafkaSettings, work: Workload, rates: Sequence[float], seconds: float,
                    commit_interval_ms: int, workdir: Path, workers: int = 1) -> dict[str, float]:
    """Freshness at one commit interval, at each rate in turn: ``workers`` workers, caught up; snapshots on the same
    cadence as commits, and users published at every flush that changed them (no debounce: it would only add its
    own delay)."""
    await ensure_topics(settings)
    await produce(settings, Topic.TRACKS, work.tracks)
    procs = start_workers(settings, workers, f"fresh-{commit_interval_ms}-{workers}", workdir, commit_interval_ms,
                          snapshot_interval_ms=commit_interval_ms, user_state_debounce_ms=0)
    result: dict[str, float] = {"commit_interval_s": commit_interval_ms / 1000}
    earlier: Visible | None = None
    try:
        await settled(procs, source_partitions(settings.partitions))
        for k, rate in enumerate(rates):
            visible = earlier = await measure_load(settings, work, rate, seconds, f"f{commit_interval_ms}r{k}",
                                                   earlier)
            if not visible.user_seen or not visible.trend_seen:
                raise RuntimeError(f"nothing showed in user-state or genre-trends; see {procs[0].log}")
            users = visible.latencies_ms(visible.user_seen, visible.gave_up_at)
            trends = visible.latencies_ms(visible.trend_seen, visible.gave_up_at)
            both = np.maximum(users, trends)  # a listen is fresh once both its effects show
            suffix = "" if k == 0 else f"_at_{rate:.0f}_per_s"
            result |= {f"user_state_p50_ms{suffix}": float(np.percentile(users, 50)),
                       f"user_state_p99_ms{suffix}": float(np.percentile(users, 99)),
                       f"genre_trends_p50_ms{suffix}": float(np.percentile(trends, 50)),
                       f"genre_trends_p99_ms{suffix}": float(np.percentile(trends, 99)),
                       f"freshness_p50_ms{suffix}": float(np.percentile(both, 50)),
                       f"freshness_p99_ms{suffix}": float(np.percentile(both, 99)),
                       f"unseen_listens{suffix}": float(visible.expected - visible.both_seen)}
    finally:
        for proc in procs:
            proc.stop()
    return result


async def run(args: argparse.Namespace, broker: LocalKafka, workdir: Path) -> dict[str, Any]:
    def prefixed(phase: str) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix=f"bench.{phase}.",
                             partitions=args.partitions)

    work = workload(args.events)
    await warm_group_coordinator(prefixed("warm"))
    intervals = [int(x) for x in args.intervals.split(",")]
    # a fresh broker's JVM compiles its hot paths during the first seconds of load, at up to twice the CPU it takes
    # once warm (0.8-0.9 against 0.35-0.5 of a core at 1,000 listens/s here), and the first phase measured paid
    # for it: an untimed run of the same load goes first
    await freshness(prefixed("jit"), work, [args.rate], args.warm_up_seconds, intervals[0], workdir)
    per_interval = []
    for interval in intervals:
        per_interval.append(await freshness(prefixed(f"fresh{interval}"), work, [args.rate, args.calm_rate],
                                            args.seconds, interval, workdir))
        print(json.dumps(per_interval[-1]), flush=True)
    meets = [r for r in per_interval if r["freshness_p99_ms"] < args.target_p99_ms]
    # the longest interval that meets the target: fewer, larger transactions for the same freshness promise
    chosen = max(meets, key=lambda r: r["commit_interval_s"]) if meets else \
        min(per_interval, key=lambda r: r["freshness_p99_ms"])
    interval_ms = int(chosen["commit_interval_s"] * 1000)
    # one worker folds every delta where it was made; with two, about half of them take a second transaction
    two_fresh = await freshness(prefixed("fresh-two"), work, [args.rate], args.seconds, interval_ms, workdir, 2)
    print(json.dumps({"two_workers": two_fresh}), flush=True)

    rounds = [await pipeline_round(prefixed, i, work, interval_ms, workdir, broker.pid()) for i in range(args.rounds)]
    median_of = {case: medians([r[case] for r in rounds]) for case in PIPELINE_WORKERS}
    pipeline_one, pipeline_two = median_of[ONE]["events_per_s"], median_of[TWO]["events_per_s"]
    one = prefixed(round_phase(0, ONE))
    raw = await raw_consumer(one, args.events, work.genre_of)
    noop = await noop_agent(one, args.events, workdir)
    return {
        "raw_consumer_events_per_s": raw, "noop_agent_events_per_s": noop, "pipeline_events_per_s": pipeline_one,
        "pipeline_two_workers_events_per_s": pipeline_two,
        "freshness_p50_ms": chosen["freshness_p50_ms"], "freshness_p99_ms": chosen["freshness_p99_ms"],
        "freshness_load_events_per_s": args.rate, "commit_interval_s": chosen["commit_interval_s"],
        "ratios": {"pipeline_to_noop_agent": pipeline_one / noop, "pipeline_to_raw_consumer": pipeline_one / raw,
                   "two_workers_to_one": statistics.median(r["two_workers_to_one"] for r in rounds)},
        "freshness_by_commit_interval": per_interval,
        "freshness_two_workers": two_fresh,
        "cores_used": {case: cores_of(median_of[case]) for case in PIPELINE_WORKERS},
        "pipeline_rounds": rounds,
        "conditions": {"events": args.events, "partitions": args.partitions, "event_protobuf_bytes": work.listen_bytes,
                       "tracks": N_TRACKS, "users": N_USERS, "kafka": broker.version,
                       "processing_guarantee": "exactly_once (one Kafka transaction per flush: outputs, state "
                                               "changelog and offsets)",
                       "freshness_seconds_per_interval": args.seconds,
                       "freshness_calm_load_events_per_s": args.calm_rate,
                       "freshness_definition": "produce -> first read_committed sight of the listen's user in "
                                               "user-state and of a 1m genre-trends snapshot counting it; "
                                               "freshness_p*_ms is the later of the two per listen",
                       "machine": describe(),
                       "load_average_at_end": os.getloadavg()[0]},
    }


def table(result: dict[str, Any]) -> str:
    r, c = result["ratios"], result["conditions"]
    load, calm = result["freshness_load_events_per_s"], c["freshness_calm_load_events_per_s"]
    at = f"_at_{calm:.0f}_per_s"
    lines = [
        "| measure | value | target |", "|---|---:|---|",
        f"| raw aiokafka loop, decode + count per genre (ceiling) | {result['raw_consumer_events_per_s']:,.0f} "
        "events/s | |",
        f"| no-op Faust agent (baseline) | {result['noop_agent_events_per_s']:,.0f} events/s | |",
        f"| full pipeline, 1 worker, exactly-once | {result['pipeline_events_per_s']:,.0f} events/s "
        f"({r['pipeline_to_noop_agent']:.0%} of no-op agent) | >= 50% of no-op, >= 3,000/s |",
        f"| full pipeline, 2 workers | {result['pipeline_two_workers_events_per_s']:,.0f} events/s "
        f"(median round: {r['two_workers_to_one']:.2f}x one) | >= 1.7x |",
        "| 2 workers / 1 worker, each round (the median above) | "
        f"{', '.join(format(p['two_workers_to_one'], '.2f') + 'x' for p in result['pipeline_rounds'])} | |",
        *(f"| cores used with {n} (medians): workers / broker / producer | {u['workers_cores']:.2f} / "
          f"{u['broker_cores']:.2f} / {u['producer_cores']:.2f} | of {c['machine']['cores']} |"
          for n, u in (("1 worker", result["cores_used"]["one_worker"]),
                       ("2 workers", result["cores_used"]["two_workers"]))),
        f"| freshness p50 / p99 at {result['freshness_load_events_per_s']:,.0f} events/s, commit every "
        f"{result['commit_interval_s'] * 1000:.0f} ms | {result['freshness_p50_ms']:.0f} / "
        f"{result['freshness_p99_ms']:.0f} ms | p99 < 500 ms |",
        f"| same, 2 workers (about half the trend deltas take a second transaction) | "
        f"{result['freshness_two_workers']['freshness_p50_ms']:.0f} / "
        f"{result['freshness_two_workers']['freshness_p99_ms']:.0f} ms | |",
        "", f"| commit interval | user-state p50 / p99 at {load:,.0f}/s | genre-trends p50 / p99 at {load:,.0f}/s | "
        f"user-state p50 / p99 at {calm:,.0f}/s | genre-trends p50 / p99 at {calm:,.0f}/s |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {f['commit_interval_s'] * 1000:.0f} ms | {f['user_state_p50_ms']:.0f} / {f['user_state_p99_ms']:.0f}"
              f" ms | {f['genre_trends_p50_ms']:.0f} / {f['genre_trends_p99_ms']:.0f} ms | "
              f"{f[f'user_state_p50_ms{at}']:.0f} / {f[f'user_state_p99_ms{at}']:.0f} ms | "
              f"{f[f'genre_trends_p50_ms{at}']:.0f} / {f[f'genre_trends_p99_ms{at}']:.0f} ms |"
              for f in result["freshness_by_commit_interval"]]
    lines += ["", f"_Kafka {c['kafka']}, {c['partitions']} partitions, {c['events']:,} listens of "
              f"{c['event_protobuf_bytes']:.0f} B; {c['machine']['cores']} cores ({c['machine']['cpu']}), "
              f"load average {c.get('load_average_at_end', float('nan')):.1f} at the end. "
              "`uv run --frozen python -m bench.stream` "
              f"({c['machine']['measured_at']})._"]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "noop-agent":
        bootstrap, topic, expect, agent_dir = sys.argv[2:]
        sys.argv = [sys.argv[0], "worker"]  # what Faust's command line expects to find
        noop_agent_main(bootstrap, topic, int(expect), agent_dir)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000.0, help="freshness load, listens/s")
    parser.add_argument("--seconds", type=float, default=15.0, help="freshness run per commit interval")
    parser.add_argument("--warm-up-seconds", type=float, default=20.0,
                        help="untimed load before the first freshness run (the broker's JIT warm-up)")
    parser.add_argument("--calm-rate", type=float, default=250.0,
                        help="a second freshness load, one a loaded machine keeps up with")
    parser.add_argument("--intervals", default="50,100,250", help="commit intervals to measure freshness at, ms")
    parser.add_argument("--target-p99-ms", type=float, default=500.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="pipeline rounds, one worker and two in each; the figures are medians over the rounds")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, help="keep the broker's data and the workers' logs here")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    result = on_local_broker(lambda broker, home: run(args, broker, home), args.workdir)
    publish(result, args.out, RESULTS, "bench:stream", table)


if __name__ == "__main__":
    main()
