"""The engine's short cut for internal records: a delta bound for a partition the same worker owns is folded there in
the same flush instead of being produced; one bound elsewhere is produced. Engine without Kafka: partitions opened
by hand, records handed to ``_fold`` as the consumer would."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord, TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind
from botify_core.proto.botify.v1.stream_pb2 import TrendDelta
from botify_core.proto.botify.v1.trends_pb2 import TrendSnapshot
from botify_core.topics import Topic
from botify_recommender.engine import Engine, key_slot
from botify_recommender.stages import Emit, Keyed, PartitionContext, PartitionState
from botify_recommender.trend_totals import TrendTotalsStage
from botify_recommender.trends import TrendsStage
from tests.unit.test_stream_fold import SETTINGS, catalog, snapshot_totals

PARTITIONS = 4


@given(st.text(min_size=1, max_size=40), st.integers(1, 64))
def test_key_slot_is_where_the_producer_puts_the_key(key: str, partitions: int) -> None:
    everyone = list(range(partitions))
    assert key_slot(key, partitions) == DefaultPartitioner()(key.encode(), everyone, everyone)


def engine(trend_partitions_owned: range) -> Engine:
    """An engine owning ``listens`` partition 0 and the given ``trend-deltas`` partitions."""
    e = Engine(SETTINGS, [TrendsStage(), TrendTotalsStage()], catalog())
    e._changelog_partitions = PARTITIONS
    e._internal = {Topic.TREND_DELTAS: list(range(PARTITIONS))}
    owned = [(Topic.LISTENS, 0)] + [(Topic.TREND_DELTAS, p) for p in trend_partitions_owned]
    for topic, partition in owned:
        e.owned[TopicPartition(SETTINGS.kafka.topic(topic), partition)] = e._open(topic, partition)
    return e


def listens(n: int) -> list[ConsumerRecord[bytes, bytes]]:
    codec = codec_for(ListenEvent)
    return [ConsumerRecord(SETTINGS.kafka.topic(Topic.LISTENS), 0, i, 0, 0, b"u1", codec.encode(ListenEvent(
        event_id=f"e{i}", user_id="u1", track_id="abc"[i % 3], event_time_ms=1_000 + i, ms_played=500,
        track_duration_ms=1000, kind=ListenKind.LISTEN_KIND_PLAY)), None, 2, 0, []) for i in range(n)]


def trend_owners(e: Engine) -> list[PartitionState]:
    return [o.states["trend-totals"] for o in e.owned.values() if o.source is Topic.TREND_DELTAS]


def totals(states: list[PartitionState]) -> dict[tuple[str, int, str], tuple[int, int]]:
    return {k: v for state in states for k, v in snapshot_totals(state).items()}   # a key has one owner


def test_deltas_for_owned_partitions_are_folded_there_and_the_rest_produced() -> None:
    alone = engine(range(PARTITIONS))
    alone._fold(TopicPartition(SETTINGS.kafka.topic(Topic.LISTENS), 0), listens(9))
    out = alone._collect(0)
    assert not [e for e in out if e.topic is Topic.TREND_DELTAS]
    snapshots = {(s.window, s.window_start_ms, s.genre): s.plays
                 for e in out if isinstance(s := e.value, TrendSnapshot)}
    assert snapshots[("1m", 0, "rock")] == 6 and snapshots[("1m", 0, "jazz")] == 3   # in the listens' own flush

    half = engine(range(2))
    half._fold(TopicPartition(SETTINGS.kafka.topic(Topic.LISTENS), 0), listens(9))
    produced = [e for e in half._collect(0) if e.topic is Topic.TREND_DELTAS]
    assert produced and all(key_slot(e.key, PARTITIONS) >= 2 for e in produced)
    assert totals(trend_owners(half)), "some keys land on the owned partitions"
    elsewhere = TrendTotalsStage().open(2, PartitionContext(2, SETTINGS, half.catalog))
    elsewhere.fold([Keyed(e.key, e.value) for e in produced], [])
    assert totals([*trend_owners(half), elsewhere]) == totals(trend_owners(alone))   # every delta counted once


def test_a_record_for_a_source_that_ticked_already_or_a_tombstone_is_produced() -> None:
    e = engine(range(PARTITIONS))
    delta = Emit(Topic.TREND_DELTAS, "1m/0/rock", TrendDelta())
    local: dict[TopicPartition, list[Keyed]] = {}
    assert e._route([delta], e._rank[Topic.TREND_DELTAS], local) == [delta] and not local
    tombstone = Emit(Topic.TREND_DELTAS, "1m/0/rock", None)
    assert e._route([tombstone], e._rank[Topic.LISTENS], local) == [tombstone] and not local
    assert e._route([delta], e._rank[Topic.LISTENS], local) == []
    assert [k.key for k in local[TopicPartition(SETTINGS.kafka.topic(Topic.TREND_DELTAS),
                                                key_slot("1m/0/rock", PARTITIONS))]] == ["1m/0/rock"]


class _Exploding:
    """A listens stage whose tick raises, after the trends stage has already handed its deltas over."""

    name, source = "explodes", Topic.LISTENS

    def open(self, partition: int, context: PartitionContext) -> PartitionState:
        return self  # type: ignore[return-value]

    def restore(self, key: str, entry: object) -> None: ...

    def fold(self, batch: object, out: list[Emit]) -> None: ...

    def changes(self) -> dict[str, None]:
        return {}

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        raise ValueError("a bug in a stage")


class _Producer:
    def __init__(self) -> None:
        self.began = 0

    async def begin_transaction(self) -> None:
        self.began += 1


async def test_a_flush_whose_collect_raises_commits_nothing_after_it() -> None:
    e = Engine(SETTINGS, [TrendsStage(), _Exploding(), TrendTotalsStage()], catalog())
    e._changelog_partitions = PARTITIONS
    e._internal = {Topic.TREND_DELTAS: list(range(PARTITIONS))}
    for topic, partition in [(Topic.LISTENS, 0), *((Topic.TREND_DELTAS, p) for p in range(PARTITIONS))]:
        e.owned[TopicPartition(SETTINGS.kafka.topic(topic), partition)] = e._open(topic, partition)
    e.producer = producer = _Producer()
    e._fold(TopicPartition(SETTINGS.kafka.topic(Topic.LISTENS), 0), listens(3))
    with pytest.raises(ValueError, match="a bug in a stage"):
        await e._flush()
    # the deltas the trends stage gave up are in no pending output now: a later flush (a revoke, the shutdown) must
    # not commit the listens' offsets without them
    with pytest.raises(RuntimeError, match="a transaction failed"):
        await e._flush()
    assert producer.began == 0
