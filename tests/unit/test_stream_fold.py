"""Folding batches through the stages, as the engine does, without Kafka: partial trend counts from several
partitions sum to the exact totals whatever the batching and interleaving, and state rebuilt from the changelog
entries carries on exactly where it stopped."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind
from botify_core.proto.botify.v1.stream_pb2 import StateEntry, TrendDelta
from botify_core.topics import Topic
from botify_recommender.catalog import Catalog
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Keyed, Listen, PartitionContext, PartitionState
from botify_recommender.trend_totals import TrendTotalsStage
from botify_recommender.trends import TrendsStage

SETTINGS = RecommenderSettings(windows="1m,1h:30m", grace_ms=10 * 3_600_000, snapshot_interval_ms=0)
GENRES = {"a": ("rock",), "b": ("jazz", "pop"), "c": ("rock",)}


def catalog() -> Catalog:
    cat = Catalog()
    for track, genres in GENRES.items():
        cat.apply(track, TrackUpserted(track_id=track, genres=genres, duration_ms=1000))
    return cat


def listen(i: int, track: str, t: int, cat: Catalog) -> Listen:
    event = ListenEvent(event_id=f"e{i}", user_id=f"u{i % 3}", track_id=track, event_time_ms=t, ms_played=100 + i,
                        track_duration_ms=1000, kind=ListenKind.LISTEN_KIND_PLAY)
    info = cat.get(track)
    return Listen(event, info.genres if info else ("unknown",), info is not None, event.ms_played, 1000)


def brute_force(listens: list[Listen]) -> dict[tuple[str, int, str], tuple[int, int]]:
    totals: Counter[tuple[str, int, str]] = Counter()
    ms: Counter[tuple[str, int, str]] = Counter()
    for x in listens:
        for name, size, step in (("1m", 60_000, 60_000), ("1h", 3_600_000, 1_800_000)):
            for start in range(x.time_ms - x.time_ms % step - size + step, x.time_ms + 1, step):
                for genre in x.genres:
                    totals[(name, start, genre)] += 1
                    ms[(name, start, genre)] += x.ms_played
    return {k: (totals[k], ms[k]) for k in totals}


def snapshot_totals(owner: PartitionState) -> dict[tuple[str, int, str], tuple[int, int]]:
    return {k: (v.plays, v.ms_played) for k, v in owner.totals.items() if v.plays or v.ms_played}  # type: ignore[attr-defined]


def track_counts(owner: PartitionState) -> dict[tuple[str, int, str], dict[str, list[int]]]:
    return {k: dict(v.tracks) for k, v in owner.totals.items()}  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 4 * 3_600_000)), min_size=1, max_size=60),
       st.integers(1, 3), st.randoms(use_true_random=False))
def test_partials_from_any_partitions_and_batches_sum_to_the_exact_totals(
        events: list[tuple[str, int]], partitions: int, rnd: random.Random) -> None:
    cat = catalog()
    listens = [listen(i, track, t, cat) for i, (track, t) in enumerate(events)]
    parts = [TrendsStage().open(p, PartitionContext(p, SETTINGS, cat)) for p in range(partitions)]
    owner = TrendTotalsStage().open(0, PartitionContext(0, SETTINGS, cat))
    deltas: list[TrendDelta] = []
    for i, x in enumerate(listens):
        out: list[Emit] = []
        state = parts[i % partitions]
        state.fold([x], out)
        if rnd.random() < 0.3:     # a flush of that partition
            state.tick(0, out)
        deltas += [e.value for e in out if isinstance(e.value, TrendDelta)]
    for state in parts:
        out = []
        state.tick(0, out)
        deltas += [e.value for e in out if isinstance(e.value, TrendDelta)]
    rnd.shuffle(deltas)           # the owner sees them in any interleaving
    owner.fold([Keyed("", d) for d in deltas], [])
    assert snapshot_totals(owner) == brute_force(listens)


def test_a_listen_of_an_unknown_track_moves_to_its_genres_when_the_track_arrives() -> None:
    cat = catalog()
    state = TrendsStage().open(0, PartitionContext(0, SETTINGS, cat))
    owner = TrendTotalsStage().open(0, PartitionContext(0, SETTINGS, cat))
    out: list[Emit] = []
    state.fold([listen(1, "z", 1_000, cat)], out)
    state.tick(0, out)
    cat.apply("z", TrackUpserted(track_id="z", genres=["blues"], duration_ms=1000))
    state.tick(0, out)
    owner.fold([Keyed("", e.value) for e in out if e.topic is Topic.TREND_DELTAS], [])
    assert snapshot_totals(owner) == {("1m", 0, "blues"): (1, 101), ("1h", 0, "blues"): (1, 101),
                                      ("1h", -1_800_000, "blues"): (1, 101)}
    assert state.changes() == {"watermark": StateEntry(watermark_ms=1_000), "pending/z": None}


def test_state_rebuilt_from_the_changelog_continues_exactly() -> None:
    cat = catalog()
    rng = random.Random(4)
    listens = [listen(i, rng.choice("abc"), rng.randrange(0, 7_200_000), cat) for i in range(200)]
    codec = codec_for(StateEntry)

    def run(crash_at: int | None) -> tuple[dict[tuple[str, int, str], tuple[int, int]], object]:
        owner = TrendTotalsStage().open(0, PartitionContext(0, SETTINGS, cat))
        changelog: dict[str, bytes | None] = {}
        for start in range(0, len(listens), 50):
            if start == crash_at:     # a new owner: restore from the changelog (as bytes, like Kafka)
                owner = TrendTotalsStage().open(0, PartitionContext(0, SETTINGS, cat))
                for key, value in changelog.items():
                    if value is not None:
                        owner.restore(key, codec.decode(value))
            part = TrendsStage().open(0, PartitionContext(0, SETTINGS, cat))
            out: list[Emit] = []
            part.fold(listens[start:start + 50], out)
            part.tick(0, out)
            owner.fold([Keyed("", e.value) for e in out if e.topic is Topic.TREND_DELTAS], [])
            owner.tick(0, [])
            changelog.update({k: None if v is None else codec.encode(v) for k, v in owner.changes().items()})
        return snapshot_totals(owner), track_counts(owner)

    restored, not_crashed = run(crash_at=100), run(crash_at=None)
    assert restored == not_crashed
    assert restored[0] == brute_force(listens)
