"""The gateway's read model: the compacted topics consumed from the beginning into local state, and the vector
store fed through botify_core's sink. Requests read this state only; they never call another service.

Each topic has handlers ``(key, value)`` (value ``None``: a tombstone), registered with :meth:`ReadModel.register`;
a module that keeps its own state from a topic adds one line where the app is built::

    read_model.register(Topic.GENRE_TRENDS, my_trends.on_snapshot)

Records of the vector sink's topics (``tracks``, ``track-embeddings``, ``item-factors``) also go, in batches, to
:meth:`VectorSink.apply <botify_core.vectors.sink.VectorSink.apply>` on a worker thread. There is no consumer group:
every start rebuilds from the topics, and :attr:`ReadModel.rebuild_s` says how long that took. A record a handler
cannot decode is counted and handed to ``on_dead_letter``; the rest goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from botify_api.catalog import Catalog
from botify_core.clock import now_ms
from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.models_pb2 import Transitions, UserState
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_core.vectors.indexing import SINK_TOPICS
from botify_core.vectors.sink import VectorSink

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes | None], None]

#: what the gateway reads
READ_TOPICS = (Topic.TRACKS, Topic.TRACK_EMBEDDINGS, Topic.ITEM_FACTORS, Topic.USER_STATE, Topic.GENRE_TRENDS,
               Topic.TRANSITIONS)


@dataclass(frozen=True)
class TopicLag:
    """How far behind the read model is on one topic: records not yet applied (``None``: topic not found)."""

    topic: str
    behind: int | None
    caught_up: bool


class UserStates:
    """``user-state`` by user id, and what the request path reads of each state, derived once when it arrives."""

    def __init__(self) -> None:
        self.states: dict[str, UserState] = {}
        #: the state's recent listens as (track id, listened fraction), newest first
        self.histories: dict[str, tuple[tuple[str, float], ...]] = {}
        #: the same tracks without repeats, newest first
        self.recent_ids: dict[str, tuple[str, ...]] = {}
        #: newest update time seen (the stream processor's clock)
        self.newest_ms = 0

    def on_state(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.states.pop(key, None)
            self.histories.pop(key, None)
            self.recent_ids.pop(key, None)
            return
        state = codec_for(UserState).decode(value)
        user_id = key or state.user_id
        self.states[user_id] = state
        history = tuple((r.track_id, float(r.fraction)) for r in state.recent)
        self.histories[user_id] = history
        self.recent_ids[user_id] = tuple(dict.fromkeys(track_id for track_id, _ in history))
        self.newest_ms = max(self.newest_ms, int(state.updated_at_ms))

    def get(self, user_id: str) -> UserState | None:
        return self.states.get(user_id)


class Successors:
    """``transitions``: the top successors of each track, highest weight first."""

    def __init__(self) -> None:
        self.successors: dict[str, list[tuple[str, float]]] = {}

    def on_transitions(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.successors.pop(key, None)
            return
        message = codec_for(Transitions).decode(value)
        self.successors[key or message.track_id] = [(s.track_id, float(s.weight)) for s in message.successors]

    def of(self, track_id: str) -> list[tuple[str, float]]:
        return self.successors.get(track_id, [])


class ReadModel:
    def __init__(self, kafka: KafkaSettings, catalog: Catalog, sink: VectorSink | None,
                 poll_ms: int = 100, max_records: int = 2000,
                 on_dead_letter: Callable[[str, DeadLetter], None] | None = None) -> None:
        self.kafka = kafka
        self.catalog = catalog
        self.users = UserStates()
        self.successors = Successors()
        self.sink = sink
        self.poll_ms = poll_ms
        self.max_records = max_records
        self.on_dead_letter = on_dead_letter
        self._handlers: dict[Topic, list[Handler]] = defaultdict(list)
        self._names = {kafka.topic(topic): topic for topic in READ_TOPICS}
        self.register(Topic.TRACKS, catalog.on_track)
        self.register(Topic.TRACK_EMBEDDINGS, catalog.on_embedding)
        self.register(Topic.USER_STATE, self.users.on_state)
        self.register(Topic.TRANSITIONS, self.successors.on_transitions)
        #: set once every topic has been read up to where it ended when the read model started
        self.ready = asyncio.Event()
        #: seconds from start until ready (the rebuild from the topics)
        self.rebuild_s: float | None = None
        self.records = 0
        self.bad_records = 0
        #: the vector sink failed on its last batch (the store is gone or refused writes)
        self.sink_error: str | None = None
        self._lag: dict[Topic, TopicLag] = {t: TopicLag(kafka.topic(t), None, False) for t in READ_TOPICS}
        self._stopping = asyncio.Event()
        self._applied = asyncio.Condition()

    def register(self, topic: Topic, handler: Handler) -> None:
        """Call ``handler(key, value)`` for every record of ``topic``, in order, after those registered before."""
        if topic not in READ_TOPICS:
            raise ValueError(f"the read model reads {[t.value for t in READ_TOPICS]}, not {topic.value!r}")
        self._handlers[topic].append(handler)

    def lag(self) -> dict[str, TopicLag]:
        return {topic.value: lag for topic, lag in self._lag.items()}

    def stop(self) -> None:
        self._stopping.set()

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float) -> None:
        """Wait until ``condition()`` holds after a batch was applied; TimeoutError after ``timeout_s``."""
        async with asyncio.timeout(timeout_s), self._applied:
            await self._applied.wait_for(condition)

    async def run(self) -> None:
        """Consume until :meth:`stop`."""
        started = time.monotonic()
        consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap_servers, group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    isolation_level="read_committed", metadata_max_age_ms=5000,
                                    request_timeout_ms=self.kafka.request_timeout_ms)
        consumer.subscribe(list(self._names))
        await consumer.start()
        try:
            ends: dict[TopicPartition, int] | None = None
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=self.poll_ms, max_records=self.max_records)
                records = [r for part in batches.values() for r in part]
                if records:
                    await self._apply(records)
                if ends is None:
                    ends = await self._start_ends(consumer)
                await self._measure(consumer, ends or {})
                if not self.ready.is_set() and ends is not None and all(
                        lag.caught_up for lag in self._lag.values()):
                    if self.sink is not None and self.sink.settings.sink_build_index:
                        await self._build_indexes(self.sink)
                    self.rebuild_s = time.monotonic() - started
                    log.warning("read model rebuilt from the topics in %.2f s (%d records)", self.rebuild_s,
                                self.records)
                    self.ready.set()
        finally:
            await consumer.stop()

    async def _apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            topic = self._names.get(record.topic)
            if topic is None:
                continue
            key = record.key.decode("utf-8", errors="replace") if record.key else ""
            for handler in self._handlers[topic]:
                try:
                    handler(key, record.value)
                except (CodecError, ValueError) as exc:
                    self._bad(record, key, f"{getattr(handler, '__qualname__', handler)}: {exc}")
        self.records += len(records)
        if self.sink is not None:
            sink_names = {self.kafka.topic(topic) for topic in SINK_TOPICS}
            for_sink = [r for r in records if r.topic in sink_names]
            if for_sink:
                await self._feed_sink(self.sink, for_sink)
        async with self._applied:
            self._applied.notify_all()

    async def _feed_sink(self, sink: VectorSink, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Write a batch to the store without building indexes: an Edge index build holds the whole process (see
        docs/operations.md), so the read model builds once, when it has caught up (:meth:`_build_indexes`); later
        writes stay in the appendable segment, which searches scan."""
        try:
            dead = await asyncio.to_thread(sink.indexer.apply, records)
        except Exception as exc:  # the store is gone: keep the rest of the read model alive
            if self.sink_error is None:
                log.warning("vector sink failed, answers go without vector sources: %s", exc)
            self.sink_error = f"{type(exc).__name__}: {exc}"
            return
        self.sink_error = None
        if self.on_dead_letter is not None:
            for key, letter in dead:
                self.on_dead_letter(key, letter)

    async def _build_indexes(self, sink: VectorSink) -> None:
        """Build the store's due HNSW indexes once, before the gateway says it is ready."""
        built = time.monotonic()
        try:
            await asyncio.to_thread(sink.indexer.store.optimize)
        except Exception as exc:  # the store is gone: the vector sources degrade, the rest goes on
            self.sink_error = f"{type(exc).__name__}: {exc}"
            log.warning("vector index build failed: %s", self.sink_error)
            return
        log.warning("vector indexes built in %.2f s", time.monotonic() - built)

    def _bad(self, record: ConsumerRecord[bytes, bytes], key: str, error: str) -> None:
        self.bad_records += 1
        log.warning("read model: %s[%d]@%d unusable: %s", record.topic, record.partition, record.offset, error)
        if self.on_dead_letter is not None:
            self.on_dead_letter(key, DeadLetter(
                topic=record.topic, partition=record.partition, offset=record.offset, error=error,
                consumer="gateway", raw_key=record.key or b"", raw_value=record.value or b"", failed_at_ms=now_ms()))

    async def _start_ends(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, int] | None:
        """End offsets of every partition once all topics are assigned (None before)."""
        assigned = consumer.assignment()
        if {tp.topic for tp in assigned} != set(self._names):
            return None
        return dict(await consumer.end_offsets(list(assigned)))

    async def _measure(self, consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> None:
        behind: dict[str, int] = {}
        caught_up: dict[str, bool] = {}
        for tp in consumer.assignment():
            position = await consumer.position(tp)
            end = consumer.last_stable_offset(tp)
            start_end = ends.get(tp)
            end = max(end if end is not None else 0, start_end or 0)
            behind[tp.topic] = behind.get(tp.topic, 0) + max(0, end - position)
            reached = start_end is not None and position >= start_end
            caught_up[tp.topic] = caught_up.get(tp.topic, True) and reached
        for name, topic in self._names.items():
            was = self._lag[topic].caught_up
            self._lag[topic] = TopicLag(name, behind.get(name), was or caught_up.get(name, False))
