"""The stream processor on the real broker: exact trends per window, crash and rebalance safety, resends, dead letters.

Each test starts real worker processes (``python -m botify_recommender.app worker``) against its own topics and
consumer group, produces a known stream, and checks what landed in ``genre-trends``, ``user-state`` and
``dead-letters`` against values computed here, independently, from the produced records (partition and offset
included, so the late-event policy is simulated per partition in Kafka's order).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from botify_core.codecs import codec_for
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.proto.botify.v1.trends_pb2 import TrendSnapshot
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_recommender.settings import RecommenderSettings
from botify_recommender.taste_clusters import Centroids
from botify_recommender.worker_process import WorkerProcess
from tests.kafka_helpers import consume

pytestmark = [pytest.mark.kafka]

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000       # an hour boundary (2023-11-14 22:00 UTC)
GRACE_MS = 30_000
WINDOWS = ((("1m"), 60_000, 60_000), ("1h", 3_600_000, 1_800_000))
WORKER_SETTINGS: dict[str, str | int] = {"windows": "1m,1h:30m", "grace_ms": GRACE_MS, "commit_interval_ms": 100,
                                         "snapshot_interval_ms": 100, "user_state_debounce_ms": 0, "top_tracks": 5}

WKey = tuple[str, int, str]
N = 12_000   # listens of the crash and scale-out tests


@dataclass
class Sent:
    event: ListenEvent
    partition: int
    offset: int


def catalog(n: int = 30) -> dict[str, list[str]]:
    genres = ["rock", "jazz", "pop", "electronic", "classical"]
    return {f"t{i:02d}": [genres[i % 5]] + ([genres[(i + 2) % 5]] if i % 4 == 0 else []) for i in range(n)}


def listen(event_id: str, user: str, track: str, t_ms: int, rng: random.Random) -> ListenEvent:
    duration = rng.choice([120_000, 180_000, 240_000])
    kind = rng.choice([ListenKind.LISTEN_KIND_PLAY] * 6 + [ListenKind.LISTEN_KIND_SKIP, ListenKind.LISTEN_KIND_LIKE])
    return ListenEvent(event_id=event_id, user_id=user, track_id=track, event_time_ms=t_ms,
                       ms_played=rng.randrange(0, duration + 1), track_duration_ms=duration, kind=kind)


async def produce(settings: KafkaSettings, events: Sequence[ListenEvent]) -> list[Sent]:
    async with EventProducer(settings) as producer:
        metadata = await producer.send_listens(events)
    return [Sent(e, m.partition, m.offset) for e, m in zip(events, metadata, strict=True)]


async def publish_tracks(settings: KafkaSettings, tracks: dict[str, list[str]]) -> None:
    async with EventProducer(settings) as producer:
        await producer.send_many(Topic.TRACKS, [(t, TrackUpserted(track_id=t, genres=g, duration_ms=200_000))
                                                for t, g in tracks.items()])


def expected_trends(sent: Iterable[Sent], genres_at_time: dict[str, list[str]],
                    resolved: dict[str, list[str]] | None = None) -> dict[WKey, tuple[int, int, Counter[str]]]:
    """Brute force: per partition in offset order, a listen counts in each window holding it whose end + grace is
    after the partition's newest event time; unknown tracks count as ``unknown``. ``resolved``: tracks published
    after everything was processed, moved to their genres in the windows still open at the end."""
    totals: dict[WKey, list[int]] = defaultdict(lambda: [0, 0])
    tracks: dict[WKey, Counter[str]] = defaultdict(Counter)
    by_partition: dict[int, list[Sent]] = defaultdict(list)
    seen: set[str] = set()
    for s in sent:
        by_partition[s.partition].append(s)
    final_watermark: dict[int, int] = {}
    counted: list[tuple[int, ListenEvent, str, int]] = []
    for partition, records in by_partition.items():
        watermark = -(2**62)
        for s in sorted(records, key=lambda r: r.offset):
            e = s.event
            if e.event_id in seen:
                continue
            seen.add(e.event_id)
            watermark = max(watermark, e.event_time_ms)
            for name, size, step in WINDOWS:
                start = (e.event_time_ms - size) // step * step
                while start <= e.event_time_ms:
                    if start <= e.event_time_ms < start + size and watermark < start + size + GRACE_MS:
                        counted.append((partition, e, name, start))
                    start += step
        final_watermark[partition] = watermark
    sizes = {name: size for name, size, _ in WINDOWS}
    for partition, e, name, start in counted:
        genres = genres_at_time.get(e.track_id, ["unknown"])
        if resolved and e.track_id in resolved and final_watermark[partition] < start + sizes[name] + GRACE_MS:
            genres = resolved[e.track_id]
        for genre in genres:
            key = (name, start, genre)
            totals[key][0] += 1
            totals[key][1] += e.ms_played
            tracks[key][e.track_id] += 1
    return {k: (v[0], v[1], tracks[k]) for k, v in totals.items()}


async def committed_everything(settings: KafkaSettings, group_id: str, timeout_s: float = 90.0) -> None:
    """Wait until the group's committed offsets on listens and the internal delta topics reach their ends."""
    names = [settings.topic(t) for t in (Topic.LISTENS, Topic.TREND_DELTAS, Topic.TRANSITION_DELTAS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    await admin.start()
    await reader.start()
    try:
        parts = [TopicPartition(n, p) for n in names for p in range(settings.partitions)]
        async with asyncio.timeout(timeout_s):
            while True:
                ends = await reader.end_offsets(parts)
                done = await admin.list_consumer_group_offsets(group_id)
                caught_up = all(ends[tp] == 0 or (tp in done and done[tp].offset >= ends[tp]) for tp in parts)
                # the deltas topics may have grown meanwhile: done when a second look agrees
                if caught_up and ends == await reader.end_offsets(parts):
                    return
                await asyncio.sleep(0.1)  # progress of another process; nothing to await on but its offsets
    finally:
        await reader.stop()
        await admin.close()


async def latest_snapshots(settings: KafkaSettings) -> dict[WKey, TrendSnapshot]:
    codec = codec_for(TrendSnapshot)
    records = await read_all(settings, Topic.GENRE_TRENDS)
    latest: dict[WKey, TrendSnapshot] = {}
    for value in records:
        s = codec.decode(value)
        latest[(s.window, s.window_start_ms, s.genre)] = s
    return latest


async def read_all(settings: KafkaSettings, topic: Topic) -> list[bytes]:
    """Every committed record of ``topic`` now (read_committed up to the last stable offset)."""
    name = settings.topic(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    values: list[bytes] = []
    try:
        parts = [TopicPartition(name, p) for p in range(settings.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        async with asyncio.timeout(30):
            while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    values += [r.value for r in records if r.value is not None]
    finally:
        await consumer.stop()
    return values


async def settled_snapshots(settings: KafkaSettings, group: str, expected: dict[WKey, tuple[int, int, Counter[str]]],
                            timeout_s: float = 60.0) -> dict[WKey, TrendSnapshot]:
    """The latest snapshots once everything is consumed and they match ``expected``, or the last seen on timeout.

    Snapshots follow the state by up to one snapshot interval, and a late catalog entry is resolved at the next
    flush, so this reads until they agree (each read awaits the committed records, no fixed sleep)."""
    want = {k: v[0] for k, v in expected.items() if v[0]}
    latest: dict[WKey, TrendSnapshot] = {}
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                await committed_everything(settings, group)
                latest = await latest_snapshots(settings)
                if {k: s.plays for k, s in latest.items() if s.plays} == want:
                    return latest
                await asyncio.sleep(0.1)   # the next snapshot interval
    except TimeoutError:
        return latest


def assert_trends(latest: dict[WKey, TrendSnapshot], expected: dict[WKey, tuple[int, int, Counter[str]]]) -> None:
    got = {k: (s.plays, s.minutes) for k, s in latest.items() if s.plays or s.minutes}
    want = {k: (plays, ms / 60_000.0) for k, (plays, ms, _) in expected.items() if plays or ms}
    assert got == want, {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
    for key, (_, _, tracks) in expected.items():
        if not tracks:
            continue
        top = [(t.track_id, t.plays) for t in latest[key].top_tracks]
        assert [p for _, p in top] == sorted(tracks.values(), reverse=True)[:5], key
        assert all(tracks[t] == p for t, p in top), key


async def latest_user_states(settings: KafkaSettings) -> dict[str, UserState]:
    codec = codec_for(UserState)
    latest: dict[str, UserState] = {}
    for value in await read_all(settings, Topic.USER_STATE):
        state = codec.decode(value)
        if state.listens >= latest.get(state.user_id, state).listens:
            latest[state.user_id] = state
    return latest


async def user_listens(settings: KafkaSettings) -> dict[str, int]:
    return {user: state.listens for user, state in (await latest_user_states(settings)).items()}


@pytest.fixture
def group() -> str:
    return f"g-{uuid.uuid4().hex[:8]}"


async def test_known_stream_gives_exact_plays_and_minutes_per_window(
        topics: KafkaSettings, group: str, tmp_path: Path) -> None:
    rng = random.Random(8)
    tracks = catalog()
    await publish_tracks(topics, tracks)
    events = [listen(f"unk{i}", "u3", "tz", T0 + 10_000 + i, rng) for i in range(3)]   # tz: not in the catalog yet
    for i in range(400):   # five minutes of listens, out of order by up to 45 s (some beyond the 30 s grace)
        t = T0 + i * 750 + rng.randrange(-45_000, 45_000)
        events.append(listen(f"e{i}", f"u{i % 13}", rng.choice(list(tracks)), t, rng))
    edges = [T0 + 60_000, T0 + 59_999, T0 + 120_000, T0 + 1_800_000 - 1]   # first and last ms of windows
    events += [listen(f"edge{i}", "u0", "t01", t, rng) for i, t in enumerate(edges)]
    sent = await produce(topics, events)
    producer = AIOKafkaProducer(bootstrap_servers=topics.bootstrap_servers)
    await producer.start()
    try:
        bad = codec_for(ListenEvent).encode(ListenEvent(event_id="bad", user_id="u1", track_id="", event_time_ms=T0,
                                                         ms_played=1, track_duration_ms=10))
        for value in (b"\xff\xff\xff", ListenEvent(user_id="u1").SerializeToString(), bad):
            await producer.send_and_wait(topics.topic(Topic.LISTENS), value, key=b"u1")
    finally:
        await producer.stop()
    sent += await produce(topics, [s.event for s in rng.sample(sent, 60)])     # ingest-style resends
    sent += await produce(topics, [listen(f"late{i}", f"u{i}", "t02", T0 + 5_000, rng) for i in range(5)])

    with WorkerProcess(topics, "0", group, tmp_path / "w0.log", var_dir=tmp_path, **WORKER_SETTINGS) as worker:
        await worker.ready()
        await committed_everything(topics, group)
        await publish_tracks(topics, {"tz": ["blues"]})        # the unknown track arrives late
        expected = expected_trends(sent, tracks, resolved={"tz": ["blues"]})
        assert any(k[2] == "blues" for k in expected)
        latest = await settled_snapshots(topics, group, expected)
        assert_trends(latest, expected)
        assert any(k[2] == "unknown" and k[0] == "1m" for k in expected), "tz stays unknown in closed 1m windows"
        assert expected[("1m", T0 + 60_000, tracks["t01"][0])][0] >= 1
        metrics = await worker.metrics()
        assert 'botify_recommender_listens_total{outcome="duplicate"} 60.0' in metrics
        # one worker owns every partition: each delta is folded where it was made, none goes through Kafka
        assert metric(metrics, 'botify_recommender_local_records_total{topic="trend-deltas"}') > 0
        assert await read_all(topics, Topic.TREND_DELTAS) == []
        assert 'botify_recommender_listens_total{outcome="dead_letter"} 3.0' in metrics
        assert worker.stop() == 0, worker.tail()     # SIGTERM: a clean shutdown

    dead = [codec_for(DeadLetter).decode(r.value) for r in await consume(topics, Topic.DEAD_LETTERS, 3)]
    assert len({(d.partition, d.offset) for d in dead}) == 3 and {d.raw_key for d in dead} == {b"u1"}
    errors = " | ".join(d.error for d in dead)
    assert "cannot decode" in errors and "no schema_version" in errors and "track_id is empty" in errors
    per_user = Counter(s.event.user_id for s in {s.event.event_id: s for s in sent}.values())
    assert await user_listens(topics) == dict(per_user)
    clusters = len(Centroids.load(RecommenderSettings().taste_centroids or Path()).centroids)
    assigned = {u: s.cluster_id for u, s in (await latest_user_states(topics)).items() if u[1:].isdigit()}
    assert len(assigned) == 13 and set(assigned.values()) <= set(range(clusters)), assigned   # the lab's ids


def stream(n: int, users: int, tracks: Sequence[str], seed: int, prefix: str = "e") -> list[ListenEvent]:
    """``n`` listens over three hours of event time, roughly in order."""
    rng = random.Random(seed)
    return [listen(f"{prefix}{i}", f"u{rng.randrange(users)}", rng.choice(tracks),
                   T0 + i * 10_800_000 // n + rng.randrange(-20_000, 20_000), rng) for i in range(n)]


async def committed_listens(settings: KafkaSettings, group_id: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        done = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    return sum(o.offset for tp, o in done.items() if tp.topic == settings.topic(Topic.LISTENS))


async def wait_committed(settings: KafkaSettings, group_id: str, at_least: int, worker: WorkerProcess) -> int:
    async with asyncio.timeout(60):
        while (done := await committed_listens(settings, group_id)) < at_least:
            if worker.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{worker.tail()}")
            await asyncio.sleep(0.05)   # another process's progress: poll its committed offsets
    return done


async def assert_exact(settings: KafkaSettings, group: str, sent: Sequence[Sent], tracks: dict[str, list[str]]) -> None:
    expected = expected_trends(sent, tracks)
    assert_trends(await settled_snapshots(settings, group, expected), expected)
    per_user = Counter(s.event.user_id for s in {s.event.event_id: s for s in sent}.values())
    assert await user_listens(settings) == dict(per_user)


async def test_kill_9_halfway_then_restart_counts_every_event_once(
        topics: KafkaSettings, group: str, tmp_path: Path) -> None:
    tracks = catalog()
    await publish_tracks(topics, tracks)
    sent = await produce(topics, stream(N, 60, list(tracks), seed=1))
    first = WorkerProcess(topics, "0", group, tmp_path / "w0.log", var_dir=tmp_path, **WORKER_SETTINGS)
    with first:
        await first.ready()
        done = await wait_committed(topics, group, N // 2, first)
        first.kill()
    assert done < N, "the worker finished before the kill: nothing was tested"
    sent += await produce(topics, [s.event for s in random.Random(2).sample(sent, N // 10)])   # resends
    with WorkerProcess(topics, "0", group, tmp_path / "w0-again.log", var_dir=tmp_path, **WORKER_SETTINGS) as again:
        await again.ready()
        await assert_exact(topics, group, sent, tracks)


def metric(text: str, name: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


async def owns_partitions(worker: WorkerProcess) -> None:
    async with asyncio.timeout(60):
        while True:  # the group's rebalance runs in the worker: poll its metrics
            if metric(await worker.metrics(), "botify_recommender_partitions") > 0:
                return
            await asyncio.sleep(0.1)


async def produce_steadily(settings: KafkaSettings, events: Sequence[ListenEvent], joined: asyncio.Event,
                           chunk: int = 200, after: int = 10) -> list[Sent]:
    """Produce chunks until ``joined`` is set, then ``after`` chunks more (fewer if ``events`` runs out)."""
    sent: list[Sent] = []
    left = after
    for start in range(0, len(events), chunk):
        sent += await produce(settings, events[start:start + chunk])
        await asyncio.sleep(0.05)   # pace the stream: the point is to be mid-stream during the rebalance
        if joined.is_set():
            left -= 1
            if left == 0:
                break
    return sent


async def test_a_second_worker_joining_mid_stream_keeps_totals_exact(
        topics: KafkaSettings, group: str, tmp_path: Path) -> None:
    tracks = catalog()
    await publish_tracks(topics, tracks)
    events = stream(5 * N, 60, list(tracks), seed=3)
    sent = await produce(topics, events[:N // 3])
    with WorkerProcess(topics, "0", group, tmp_path / "w0.log", var_dir=tmp_path, **WORKER_SETTINGS) as first:
        await first.ready()
        await wait_committed(topics, group, N // 6, first)
        joined = asyncio.Event()
        more = asyncio.create_task(produce_steadily(topics, events[N // 3:], joined))
        with WorkerProcess(topics, "1", group, tmp_path / "w1.log", var_dir=tmp_path, **WORKER_SETTINGS) as second:
            await second.ready()
            await owns_partitions(second)
            joined.set()
            assert not more.done(), "the stream ended before the second worker joined: nothing was tested"
            sent += await more
            await assert_exact(topics, group, sent, tracks)
            counted = metric(await second.metrics(), 'botify_recommender_listens_total{outcome="counted"}')
            assert counted > 0, "the second worker counted nothing"
            assert await read_all(topics, Topic.TREND_DELTAS), "with two workers some deltas go through Kafka"
