"""The transactional consume-fold-produce loop: state, outputs and consumed offsets committed together.

One :class:`Engine` per worker process. Its consumer (group ``group_id``, ``read_committed``) subscribes to every
stage's source topic; its producer is transactional with the id ``<group_id>-<worker_id>``. Each flush (every
``commit_interval_ms``, or sooner after ``max_batch`` records) it produces, in ONE transaction:

* the outputs of the stages (``genre-trends``, ``user-state``, ``transitions``, internal deltas, dead letters);
* the state entries they changed, to the changelog ``recommender-state``, keyed
  ``<source>/<partition>/<stage>/<key>`` on partition ``<partition> mod <changelog partitions>``;
* the consumed offsets (``send_offsets_to_transaction``).

A record a stage sends to an internal topic (the deltas) whose partition this worker owns does not travel through
Kafka: the owner folds it in the same flush, before it ticks, and its state changes commit in the same transaction
as the sender's offsets, as they would had the record gone round. With one worker every delta takes this short
cut, so a listen reaches ``genre-trends`` in one transaction, not two; with N workers about 1/N of them do.

A transaction's commit (waiting for the broker to write its markers) overlaps the folding of the next records:
the next flush waits for it before it begins its own transaction, and a revoke or a shutdown waits for both. The
outputs are grouped into one record batch per topic partition before they are handed to the producer.

So after any crash the committed offsets and the changelog agree: the next owner restores the partition's state
from the changelog (``read_committed``: an aborted transaction's entries are never seen) and resumes at the
committed offsets, and nothing is counted twice or lost. Fencing: a restarted worker reuses its ``worker_id``, so
its producer's ``init_transactions`` aborts whatever its killed predecessor left open before it reads anything.
On a rebalance the worker commits what it holds before giving partitions up (the revoke callback takes the same
lock as the loop) and restores the ones it gains before folding any of their records.

What this does not cover: aiokafka sends offsets without the consumer's group generation (no KIP-447), so a worker
that stalls past the session timeout while a transaction is open, then wakes and commits, is not fenced; the
group has moved on and its partitions' new owner may count that batch again. ``transaction_timeout_ms`` bounds
the window. A failed commit stops the worker (its state may be ahead of Kafka's); restart it. So does a stage
that raises while a flush collects its outputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import IllegalStateError
from aiokafka.structs import ConsumerRecord, TopicPartition

from botify_core.codecs import CodecError, codec_for
from botify_core.heap import HeapSettler
from botify_core.producer import key_partition, producer_config, send_in_batches
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.stream_pb2 import StateEntry
from botify_core.topics import Topic, spec
from botify_recommender import metrics
from botify_recommender.catalog import Catalog
from botify_recommender.listens import ListenIntake, Raw
from botify_recommender.partitions import partition_ids
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Keyed, PartitionContext, PartitionState, Stage

log = logging.getLogger(__name__)

INTAKE = "intake"          # the stage name of the listens intake (dedup ids and watermark) in the changelog
# aiokafka waits its retry backoff (100 ms by default) when the coordinator answers that the previous transaction's
# markers are still being written, which it does to most transactions that follow another at once
RETRY_BACKOFF_MS = 10
_STATE_CODEC = codec_for(StateEntry)
_DEAD_CODEC = codec_for(DeadLetter)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def dead_letter(tp: TopicPartition, raw: Raw, error: str) -> Emit:
    return Emit(Topic.DEAD_LETTERS, (raw.key or b"").decode(errors="replace"),
                DeadLetter(topic=tp.topic, partition=tp.partition, offset=raw.offset, error=error,
                           consumer="recommender", raw_key=raw.key or b"", raw_value=raw.value or b"",
                           failed_at_ms=now_ms()))


@functools.lru_cache(maxsize=1 << 16)
def key_slot(key: str, partitions: int) -> int:
    """The partition the engine's producer would send a record keyed ``key`` to, among ``partitions`` (cached: a
    flush routes the same trend and track keys over and over)."""
    return key_partition(key.encode(), range(partitions))


def state_key(source: Topic, partition: int, stage: str, key: str) -> str:
    return f"{source.value}/{partition}/{stage}/{key}"


@dataclass
class Owned:
    """What the worker holds for one source partition."""

    source: Topic
    partition: int
    states: dict[str, PartitionState]
    intake: ListenIntake | None = None
    committed: int = -1     # the offset this worker last committed for it (-1: none yet)


@dataclass
class Pending:
    """What the open flush will commit."""

    emits: list[Emit] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    timestamps: list[int] = field(default_factory=list)     # Kafka timestamps of (some) records, for latency
    records: int = 0


class Engine:
    def __init__(self, settings: RecommenderSettings, stages: Sequence[Stage], catalog: Catalog) -> None:
        self.settings = settings
        self.kafka = settings.kafka
        self.stages = list(stages)
        self.catalog = catalog
        self.sources: list[Topic] = list(dict.fromkeys([Topic.LISTENS, *(s.source for s in self.stages)]))
        self._by_name = {self.kafka.topic(t): t for t in self.sources}
        self.owned: dict[TopicPartition, Owned] = {}
        self.pending = Pending()
        self.lock = asyncio.Lock()
        self.started = asyncio.Event()
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self._changelog_partitions = 0
        self._rank = {topic: i for i, topic in enumerate(self.sources)}   # partitions tick in this order
        self._internal: dict[Topic, list[int]] = {}                     # partitions of the internal sources
        self._last_flush = time.monotonic()
        self._heap = HeapSettler()   # full GC pauses of a big state would stall every flush (botify_core.heap)
        self._stopping = False
        self._committing: asyncio.Task[None] | None = None   # the commit of the last transaction, until it ends
        self._failed = False                                 # a transaction failed: commit nothing more

    # ---- lifecycle -------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Consume, fold and commit until :meth:`stop`; a Kafka error that leaves state unsure raises."""
        s = self.settings
        self.producer = AIOKafkaProducer(**(producer_config(self.kafka) | {
            "transactional_id": f"{s.group_id}-{s.worker_id}",
            "transaction_timeout_ms": s.transaction_timeout_ms, "retry_backoff_ms": RETRY_BACKOFF_MS}))
        await self.producer.start()   # init_transactions: aborts what a killed predecessor left open
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka.bootstrap_servers, group_id=s.group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", isolation_level="read_committed", fetch_max_wait_ms=s.fetch_max_wait_ms,
            max_partition_fetch_bytes=4 << 20, request_timeout_ms=self.kafka.request_timeout_ms)
        await self.consumer.start()
        try:
            self._changelog_partitions = len(await partition_ids(self.kafka, Topic.RECOMMENDER_STATE))
            for topic in self.sources[1:]:
                self._internal[topic] = sorted(await partition_ids(self.kafka, topic))
            self.consumer.subscribe(list(self._by_name), listener=_Listener(self))
            self.started.set()
            while not self._stopping:
                wait_ms = max(0, int((self._last_flush + s.commit_interval_ms / 1000 - time.monotonic()) * 1000))
                batch = await self.consumer.getmany(timeout_ms=wait_ms, max_records=s.max_batch)
                async with self.lock:
                    for tp, records in batch.items():
                        self._fold(tp, records)
                    due = time.monotonic() - self._last_flush >= s.commit_interval_ms / 1000
                    if due or self.pending.records >= s.max_batch:
                        await self._flush()
                        self._heap.settle()   # right after a flush: the pause, if any, delays no output
        finally:
            await self._close()

    async def stop(self) -> None:
        """Commit what is pending and stop (a clean shutdown; a kill is handled by the next owner)."""
        self._stopping = True

    async def _close(self) -> None:
        try:
            if self.producer is not None:
                async with self.lock:
                    if self.owned and not self._failed:
                        await self._flush()
                    await self._committed()   # raises what a failed commit raised
        finally:
            if self.consumer is not None:
                await self.consumer.stop()
            if self.producer is not None:
                await self.producer.stop()

    # ---- folding ---------------------------------------------------------------------------------------------
    def _fold(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        owned = self.owned.get(tp)
        if owned is None or not records:   # fetched before a revoke: the new owner reads them again
            return
        out = self.pending.emits
        metrics.RECORDS.labels(owned.source.value).inc(len(records))
        if owned.intake is not None:
            taken = owned.intake.take([Raw(r.key, r.value, r.offset) for r in records])
            for rejected in taken.dead:
                out.append(dead_letter(tp, rejected.raw, rejected.error))
            metrics.EVENTS.labels("counted").inc(len(taken.listens))
            metrics.EVENTS.labels("duplicate").inc(taken.duplicates)
            metrics.EVENTS.labels("dead_letter").inc(len(taken.dead))
            inputs: Sequence[Any] = taken.listens
        else:
            codec = codec_for(spec(owned.source).value)
            inputs = []
            for r in records:
                try:
                    inputs.append(Keyed(r.key.decode() if r.key else "", codec.decode(r.value)))
                except (CodecError, UnicodeDecodeError) as exc:   # ours, but a bad record must not stop the worker
                    out.append(dead_letter(tp, Raw(r.key, r.value, r.offset), str(exc)))
        for state in owned.states.values():
            state.fold(inputs, out)
        self.pending.offsets[tp] = records[-1].offset + 1
        self.pending.timestamps += [records[0].timestamp, records[-1].timestamp]
        self.pending.records += len(records)

    # ---- committing ------------------------------------------------------------------------------------------
    def _collect(self, now: int) -> list[Emit]:
        """Tick every owned partition and add its state changes to the pending outputs. Partitions tick in the order
        of their sources (``listens`` first); a tick's record for a later source's partition that this worker owns
        is folded there before that partition ticks, instead of being produced (:meth:`_route`)."""
        out = self.pending.emits
        local: dict[TopicPartition, list[Keyed]] = {}
        for tp, o in sorted(self.owned.items(), key=lambda item: self._rank[item[1].source]):
            inputs = local.pop(tp, [])
            if inputs:
                metrics.LOCAL_RECORDS.labels(o.source.value).inc(len(inputs))
                for state in o.states.values():
                    state.fold(inputs, out)
            ticked = len(out)
            for state in o.states.values():
                state.tick(now, out)
            out[ticked:] = self._route(out[ticked:], self._rank[o.source], local)
            changes = [(name, state.changes()) for name, state in o.states.items()]
            if o.intake is not None:
                changes.append((INTAKE, o.intake.changes()))
            partition = o.partition % self._changelog_partitions
            out.extend(Emit(Topic.RECOMMENDER_STATE, state_key(o.source, o.partition, name, key), entry, partition)
                       for name, entries in changes for key, entry in entries.items())
        return out

    def _route(self, emits: list[Emit], rank: int, local: dict[TopicPartition, list[Keyed]]) -> list[Emit]:
        """Move the records of ``emits`` bound for an owned partition of a source ranked after ``rank`` into
        ``local`` (by partition); answer the others, to be produced."""
        produced = []
        for emit in emits:
            partitions = self._internal.get(emit.topic)
            if partitions is not None and self._rank[emit.topic] > rank and emit.value is not None:
                partition = emit.partition
                if partition is None:
                    partition = partitions[key_slot(emit.key, len(partitions))]
                tp = TopicPartition(self.kafka.topic(emit.topic), partition)
                if tp in self.owned:
                    local.setdefault(tp, []).append(Keyed(emit.key, emit.value))
                    continue
            produced.append(emit)
        return produced

    async def _flush(self) -> None:
        """Produce the pending outputs and state changes with the offsets in one transaction and start its commit
        (:meth:`_committed` waits for it); the previous transaction's commit ends first."""
        assert self.producer is not None
        self._check()
        await self._committed()
        started = time.monotonic()
        self._last_flush = started
        with self._failing_stops():   # a tick that raised may have taken records out of the pending outputs
            emits = self._collect(now_ms())
        offsets = dict(self.pending.offsets)
        if self.consumer is not None:
            # a transactional input ends with a commit marker the consumer skips: commit its position past it
            for tp, o in self.owned.items():
                try:
                    position = await self.consumer.position(tp)
                except IllegalStateError:   # mid-rebalance: the folded records' offsets are in `offsets` already
                    continue
                if position > max(o.committed, offsets.get(tp, -1)):
                    offsets[tp] = position
        if not emits and not offsets:
            return
        with self._failing_stops():
            await self.producer.begin_transaction()
            await self._produce(emits)
            if offsets:
                await self.producer.send_offsets_to_transaction(offsets, self.settings.group_id)
        for tp, offset in offsets.items():
            if tp in self.owned:
                self.owned[tp].committed = offset   # if this transaction fails, the worker stops
        timestamps, self.pending = self.pending.timestamps, Pending()
        self._committing = asyncio.create_task(self._commit(started, offsets, timestamps))

    async def _produce(self, emits: list[Emit]) -> None:
        """Hand the records to the producer as one batch per topic partition (one ``send`` each costs more)."""
        assert self.producer is not None
        # the acknowledgements come with the transaction's commit, which fails if any send did
        await send_in_batches(self.producer, (
            (self.kafka.topic(emit.topic), emit.key.encode(),
             None if emit.value is None else codec_for(type(emit.value)).encode(emit.value), emit.partition)
            for emit in emits))

    async def _commit(self, started: float, offsets: dict[TopicPartition, int], timestamps: list[int]) -> None:
        assert self.producer is not None
        with self._failing_stops():
            await self.producer.commit_transaction()
        metrics.TRANSACTIONS.inc()
        metrics.COMMIT_SECONDS.observe(time.monotonic() - started)
        wall = now_ms()
        for ts in timestamps:
            metrics.LATENCY.observe(max(0, wall - ts) / 1000)
        if self.consumer is not None:
            for tp, offset in offsets.items():
                high = self.consumer.highwater(tp)
                if high is not None:
                    metrics.LAG.labels(tp.topic, str(tp.partition)).set(max(0, high - offset))

    @contextlib.contextmanager
    def _failing_stops(self) -> Iterator[None]:
        """A step of a transaction: if it fails, log it, commit nothing more (see :meth:`_check`) and raise."""
        try:
            yield
        except BaseException:
            self._failed = True
            log.exception("a transaction failed; the worker stops (its state may be ahead of Kafka's)")
            raise

    def _check(self) -> None:
        """Raise if a transaction failed: its error may have surfaced in a rebalance callback, which aiokafka only
        logs, and nothing may be committed after it."""
        if self._failed:
            raise RuntimeError("a transaction failed (logged above); the worker stops")

    async def _committed(self) -> None:
        """Wait for the last transaction's commit to end; raise what it raised."""
        task, self._committing = self._committing, None
        if task is not None:
            await task

    # ---- rebalancing -----------------------------------------------------------------------------------------
    async def revoke(self, revoked: set[TopicPartition]) -> None:
        async with self.lock:
            if self.producer is not None and self.owned:
                await self._flush()
            await self._committed()   # the partitions' state is in Kafka before another worker restores it
            for tp in revoked:
                self.owned.pop(tp, None)
            metrics.PARTITIONS.set(len(self.owned))

    async def assign(self, assigned: set[TopicPartition]) -> None:
        async with self.lock:
            await self._committed()
            new = [tp for tp in assigned if tp not in self.owned]
            started = time.monotonic()
            restored = await self._restore(new)
            self.owned.update(restored)
            metrics.PARTITIONS.set(len(self.owned))
            if new:
                metrics.RESTORE_SECONDS.observe(time.monotonic() - started)
                log.info("restored %d partitions in %.2f s", len(new), time.monotonic() - started)

    def _open(self, source: Topic, partition: int) -> Owned:
        context = PartitionContext(partition, self.settings, self.catalog)
        states: dict[str, PartitionState] = {}
        for stage in self.stages:
            if stage.source is source:
                states[stage.name] = context.peers[stage.name] = stage.open(partition, context)
        intake = ListenIntake(self.catalog, self.settings.dedup_horizon_ms) if source is Topic.LISTENS else None
        return Owned(source, partition, states, intake)

    async def _restore(self, tps: list[TopicPartition]) -> dict[TopicPartition, Owned]:
        """Open the states of the given partitions and load their changelog entries (committed ones only)."""
        opened = {tp: self._open(self._by_name[tp.topic], tp.partition) for tp in tps}
        if not opened:
            return opened
        prefixes = {f"{o.source.value}/{o.partition}/": o for o in opened.values()}
        name = self.kafka.topic(Topic.RECOMMENDER_STATE)
        wanted = sorted({o.partition % self._changelog_partitions for o in opened.values()})
        reader = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap_servers, group_id=None,
                                  enable_auto_commit=False, isolation_level="read_committed",
                                  fetch_max_wait_ms=10, max_partition_fetch_bytes=8 << 20)
        await reader.start()
        try:
            parts = [TopicPartition(name, p) for p in wanted]
            reader.assign(parts)
            await reader.seek_to_beginning(*parts)
            ends = await reader.end_offsets(parts)
            latest: dict[str, bytes | None] = {}
            remaining = {tp for tp in parts if ends[tp] > 0}
            while remaining:
                for records in (await reader.getmany(*remaining, timeout_ms=200)).values():
                    for r in records:
                        latest[r.key.decode()] = r.value
                for tp in list(remaining):
                    if await reader.position(tp) >= ends[tp]:
                        remaining.discard(tp)
        finally:
            await reader.stop()
        for full_key, value in latest.items():
            if value is None:
                continue
            source, partition, stage, key = full_key.split("/", 3)
            owned = prefixes.get(f"{source}/{partition}/")
            if owned is None:
                continue
            entry = _STATE_CODEC.decode(value)
            if stage == INTAKE and owned.intake is not None:
                owned.intake.restore(key, entry)
            elif stage in owned.states:
                owned.states[stage].restore(key, entry)
        return opened


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.engine.revoke(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.engine.assign(set(assigned))
