"""The extension point of the stream processor: a :class:`Stage` folds batches of one source topic into state.

The worker (:mod:`botify_recommender.engine`) consumes ``listens`` and the internal topics in one consumer group
and, for every partition it owns, keeps one :class:`PartitionState` per stage whose ``source`` is that topic. Each
transaction it

1. takes a batch of records per partition (up to ``max_batch``, or what arrived within the commit interval);
2. for ``listens``: decodes and validates each record (bad ones go to ``dead-letters``), drops event ids seen
   before, joins the catalog, and hands the batch of :class:`Listen` to every listens stage, in registration order;
   for another topic: hands the decoded ``(key, message)`` records to that topic's stages;
3. asks every state of the partition for ``changes()`` (the state entries written since the last call) and
   ``tick(now)`` (outputs due on a cadence, e.g. debounced snapshots);
4. produces the outputs, the state entries (changelog ``recommender-state``) and the consumed offsets in ONE Kafka
   transaction. So the state, what it emitted, and the offsets it reflects become visible together or not at all.

After a crash or a rebalance the new owner of a partition calls ``restore(key, entry)`` for every entry of the
changelog written for that partition and stage, then carries on from the committed offsets: no event is lost or
counted twice.

Adding a stage is one module plus one line in :func:`botify_recommender.app.stages`: a class with ``name``,
``source`` and ``open(partition, context)`` returning a :class:`PartitionState`. Rules a stage must keep:

* ``fold`` and ``tick`` are pure functions of the restored state and the inputs (no wall clock in the state, no
  randomness unless seeded by the input), so a replay after a crash rebuilds exactly the state that was lost;
* every key written since the last ``changes()`` must be returned by the next ``changes()`` (``None`` deletes);
* a stage fold batches: update Python objects per event, write each touched key once per ``changes()``.

>>> from botify_core.topics import Topic
>>> class Counter:
...     name, source = "count", Topic.LISTENS
...     def open(self, partition, context):
...         return CountState()
>>> class CountState:
...     def __init__(self): self.n, self.dirty = 0, False
...     def restore(self, key, entry): self.n = entry.watermark_ms
...     def fold(self, batch, out): self.n += len(batch); self.dirty = True
...     def tick(self, now_ms, out): pass
...     def changes(self):
...         dirty, self.dirty = self.dirty, False
...         return {"n": StateEntry(watermark_ms=self.n)} if dirty else {}
>>> state = Counter().open(0, None)
>>> state.fold([object(), object()], [])
>>> state.changes()
{'n': watermark_ms: 2
}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from google.protobuf.message import Message

from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.proto.botify.v1.stream_pb2 import StateEntry
from botify_core.topics import Topic
from botify_recommender.catalog import Catalog
from botify_recommender.settings import RecommenderSettings


@dataclass(frozen=True, slots=True)
class Emit:
    """A record to produce in the current transaction: ``value`` None is a tombstone; ``partition`` None = by key
    (Kafka's default partitioner)."""

    topic: Topic
    key: str
    value: Message | None
    partition: int | None = None


@dataclass(frozen=True, slots=True)
class Listen:
    """A decoded, valid, first-seen listen joined to the catalog."""

    event: ListenEvent
    genres: tuple[str, ...]
    known: bool              # False: the track was not in the catalog; genres is ("unknown",)
    ms_played: int           # clamped to [0, duration]
    duration_ms: int

    @property
    def fraction(self) -> float:
        return self.ms_played / self.duration_ms if self.duration_ms > 0 else 0.0

    @property
    def user_id(self) -> str:
        return self.event.user_id

    @property
    def track_id(self) -> str:
        return self.event.track_id

    @property
    def time_ms(self) -> int:
        return self.event.event_time_ms

    @property
    def kind(self) -> int:
        return self.event.kind


@dataclass(frozen=True, slots=True)
class Keyed:
    """A decoded record of an internal topic."""

    key: str
    value: Any


class Cadence:
    """A periodic publication, judged at flushes: due once ``interval_ms`` has passed since the last one, less half a
    commit interval, so the jitter of flush times never defers it by a whole commit interval.

    >>> c = Cadence(1000, commit_interval_ms=250)
    >>> c.due(10_000), c.due(10_500), c.due(10_900), c.due(11_600)
    (True, False, True, False)
    """

    def __init__(self, interval_ms: int, commit_interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self.slack_ms = commit_interval_ms // 2
        self._last_ms = -(2**62)

    def due(self, now_ms: int) -> bool:
        if now_ms - self._last_ms < self.interval_ms - self.slack_ms:
            return False
        self._last_ms = now_ms
        return True


@dataclass
class PartitionContext:
    """What a stage's state may read besides its own inputs: settings, the catalog, and the states of the stages
    opened before it on the same partition (by stage name), e.g. the user-state stage asks the models for factors."""

    partition: int
    settings: RecommenderSettings
    catalog: Catalog
    peers: dict[str, PartitionState] = field(default_factory=dict)


class PartitionState(Protocol):
    """One stage's state for one partition of its source topic."""

    def restore(self, key: str, entry: StateEntry) -> None:
        """Load one entry of the changelog (called before any fold, for every entry of this partition and stage)."""

    def fold(self, batch: Sequence[Any], out: list[Emit]) -> None:
        """Fold a batch (``Listen`` for ``listens``, ``Keyed`` otherwise) into state; append records to emit."""

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        """Append the outputs due at wall-clock ``now_ms`` (debounced or periodic publications)."""

    def changes(self) -> dict[str, StateEntry | None]:
        """The state entries written since the last call (None: deleted), then forget them."""


class Stage(Protocol):
    name: str
    source: Topic

    def open(self, partition: int, context: PartitionContext) -> PartitionState: ...
