"""The audio worker's loop: consume ``tracks``, decode in a process pool, embed in batches, produce results.

    reader task:  getmany(tracks) -> parse -> submit hear(uri) to the decode pool -> bounded queue (in order)
    main loop:    take a batch from the queue -> await its decodes -> CNN in a thread -> produce TrackEmbedded
                  and DeadLetters, await the acks -> remember what was embedded -> commit the offsets

Decoding for the next batch runs in the pool while the CNN works on this one, so both cores stay busy. Offsets are
committed only after Kafka acknowledged what the batch produced (at-least-once; the topic is compacted and keyed by
track, so a repeat overwrites itself). A record that cannot be used goes to ``dead-letters`` with the reason, and
the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from botify_audio import metrics
from botify_audio.embedder import Embedder
from botify_audio.failures import AudioError, Failure
from botify_audio.fetch import FetchLimits
from botify_audio.intake import Heard, IntakeSpec, Unchanged, hear
from botify_audio.ledger import Ledger
from botify_audio.settings import AudioSettings
from botify_core.clock import now_ms
from botify_core.codecs import CodecError, codec_for
from botify_core.processes import arm_parent_death_signal
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.topics import Topic

log = logging.getLogger(__name__)

CONSUMER = "audio-worker"
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


@dataclass
class Pending:
    """One record of ``tracks`` on its way through the worker."""

    record: Record
    track: TrackUpserted | None = None
    decoding: asyncio.Future[Heard | Unchanged] | None = None
    failure: AudioError | None = None


@dataclass
class BatchOutcome:
    embedded: list[str] = field(default_factory=list)
    failed: dict[str, Failure] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    no_audio: list[str] = field(default_factory=list)


def intake_spec(settings: AudioSettings, embedder: Embedder) -> IntakeSpec:
    return IntakeSpec(sample_rate=embedder.sample_rate, segment_seconds=embedder.segment_seconds,
                      max_segments=settings.max_segments, min_seconds=settings.min_seconds,
                      max_seconds=settings.max_seconds,
                      fetch=FetchLimits(settings.max_bytes, settings.download_timeout_s,
                                        settings.allowed_content_types))


def decode_pool(workers: int) -> ProcessPoolExecutor:
    """Decode processes: fresh interpreters (forking a process that runs torch threads is unsafe), children of this
    process that end with it, however it ends (a forkserver's would outlive a worker killed with SIGKILL)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=arm_parent_death_signal, initargs=(os.getpid(),))


class AudioWorker:
    """Consumes ``tracks`` until :meth:`stop`; see the module docstring for the flow."""

    def __init__(self, settings: AudioSettings, embedder: Embedder, *, pool: Executor | None = None,
                 on_batch: Callable[[BatchOutcome], None] | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.spec = intake_spec(settings, embedder)
        self.ledger = Ledger(settings.state_path)
        self._own_pool = pool is None
        self.pool = pool or decode_pool(settings.decode_workers)
        self.on_batch = on_batch
        self.ready = False
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        metrics.MODEL.labels(embedder.version).set(1)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume, embed and produce until :meth:`stop`; clean up the consumer, producer and pool."""
        kafka = self.settings.kafka
        consumer = AIOKafkaConsumer(kafka.topic(Topic.TRACKS), bootstrap_servers=kafka.bootstrap_servers,
                                    group_id=self.settings.group_id, enable_auto_commit=False,
                                    auto_offset_reset="earliest", isolation_level="read_committed",
                                    max_poll_records=self.settings.batch_size)
        producer = EventProducer(kafka)
        queue: asyncio.Queue[Pending] = asyncio.Queue(maxsize=2 * self.settings.batch_size)
        await consumer.start()
        self._consumer = consumer
        try:
            await producer.start()
            self.ready = True
            log.info("audio worker consuming %s as %s with %s", kafka.topic(Topic.TRACKS), self.settings.group_id,
                     self.embedder.version)
            reader = asyncio.create_task(self._read(consumer, queue))
            stopping = asyncio.create_task(self._stopping.wait())
            try:
                while not self._stopping.is_set():
                    batch = await self._next_batch(queue, reader, stopping)
                    if batch:
                        await self._process(batch, producer, consumer)
            finally:
                for task in (reader, stopping):
                    task.cancel()
                await asyncio.gather(reader, stopping, return_exceptions=True)
        finally:
            self.ready = False
            await producer.stop()
            await consumer.stop()
            if self._own_pool:
                self.pool.shutdown(wait=False, cancel_futures=True)
            self.ledger.close()

    async def _next_batch(self, queue: asyncio.Queue[Pending], reader: asyncio.Task[None],
                          stopping: asyncio.Task[bool]) -> list[Pending]:
        getter = asyncio.create_task(queue.get())
        done, _ = await asyncio.wait({getter, reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            if reader in done:
                reader.result()  # the reader died: raise its error here
            return []
        batch = [getter.result()]
        while len(batch) < self.settings.batch_size and not queue.empty():
            batch.append(queue.get_nowait())
        return batch

    async def _read(self, consumer: AIOKafkaConsumer, queue: asyncio.Queue[Pending]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            fetched = await consumer.getmany(timeout_ms=500, max_records=self.settings.batch_size)
            for records in fetched.values():
                for record in records:
                    pending = self._parse(record)
                    if pending.track is not None and pending.track.audio_uri:
                        known = self.ledger.known(pending.track.track_id, self.embedder.version)
                        uri = pending.track.audio_uri
                        try:
                            pending.decoding = loop.run_in_executor(self._live_pool(), hear, uri, known, self.spec)
                        except BrokenProcessPool:  # it broke since we looked: the next look replaces it
                            pending.decoding = loop.run_in_executor(self._live_pool(), hear, uri, known, self.spec)
                    await queue.put(pending)
            await self._update_lag(consumer, queue.qsize())

    def _live_pool(self) -> Executor:
        """The decode pool, replaced when one of its processes died (a decoder crash must not stop the worker)."""
        if isinstance(self.pool, ProcessPoolExecutor) and getattr(self.pool, "_broken", False) and self._own_pool:
            log.warning("a decode process died; starting a new decode pool")
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = decode_pool(self.settings.decode_workers)
        return self.pool

    @staticmethod
    def _parse(record: Record) -> Pending:
        try:
            track = codec_for(TrackUpserted).decode(record.value)
        except CodecError as exc:
            return Pending(record, failure=AudioError(Failure.BAD_MESSAGE, str(exc)))
        if not track.track_id:
            return Pending(record, failure=AudioError(Failure.BAD_MESSAGE, "TrackUpserted without a track_id"))
        return Pending(record, track)

    async def _process(self, batch: list[Pending], producer: EventProducer, consumer: AIOKafkaConsumer) -> None:
        started = time.perf_counter()
        outcome = BatchOutcome()
        heard: list[tuple[Pending, Heard]] = []
        for pending in batch:
            if pending.decoding is not None:
                try:
                    result = await self._decoded(pending)
                except AudioError as exc:
                    pending.failure = exc
                except Exception as exc:  # a decoder that crashed twice on this track: the track's failure
                    pending.failure = AudioError(Failure.UNREADABLE, f"decoder failed: {type(exc).__name__}: {exc}")
                else:
                    if isinstance(result, Unchanged):
                        outcome.unchanged.append(_key(pending.record))
                    else:
                        heard.append((pending, result))
            elif pending.failure is None:
                outcome.no_audio.append(_key(pending.record))
        embedded = await self._embed(heard)
        records = [(track_id, message) for track_id, message in embedded]
        letters = [(_key(p.record), self._dead_letter(p)) for p in batch if p.failure is not None]
        sends = [producer.send_many(Topic.TRACK_EMBEDDINGS, records)] if records else []
        if letters:
            sends.append(producer.send_many(Topic.DEAD_LETTERS, letters))
        await asyncio.gather(*sends)
        stamp = now_ms()
        self.ledger.record((p.track.track_id, h.fingerprint, self.embedder.version, stamp)
                           for p, h in heard if p.track is not None)
        await self._commit(consumer, batch)
        for pending in batch:
            if pending.failure is not None:
                outcome.failed[_key(pending.record)] = pending.failure.reason
                metrics.FAILURES.labels(pending.failure.reason.value).inc()
                log.warning("dead letter for %s (%s[%d]@%d): %s", _key(pending.record), pending.record.topic,
                            pending.record.partition, pending.record.offset, pending.failure)
        outcome.embedded = [track_id for track_id, _ in embedded]
        metrics.CLIPS.inc(len(embedded))
        metrics.SKIPPED.labels("unchanged").inc(len(outcome.unchanged))
        metrics.SKIPPED.labels("no_audio").inc(len(outcome.no_audio))
        elapsed = time.perf_counter() - started
        metrics.BATCH_SECONDS.observe(elapsed)
        if embedded:
            metrics.CLIPS_PER_SECOND.set(len(embedded) / max(elapsed, 1e-6))
        if self.on_batch:
            self.on_batch(outcome)

    async def _decoded(self, pending: Pending) -> Heard | Unchanged:
        """The decode's result; when a decode process died meanwhile (this track's fault or another's), once more
        in a fresh pool, so the tracks that were only in flight beside a crash are not refused."""
        assert pending.decoding is not None and pending.track is not None
        try:
            return await pending.decoding
        except BrokenProcessPool:
            known = self.ledger.known(pending.track.track_id, self.embedder.version)
            return await asyncio.get_running_loop().run_in_executor(self._live_pool(), hear, pending.track.audio_uri,
                                                                    known, self.spec)

    async def _embed(self, heard: list[tuple[Pending, Heard]]) -> list[tuple[str, TrackEmbedded]]:
        if not heard:
            return []
        vectors, probabilities = await asyncio.to_thread(self.embedder.embed_batch, [h.segments for _, h in heard])
        stamp = now_ms()
        genres = self.embedder.genres
        results = []
        for (pending, _), vector, probs in zip(heard, vectors, probabilities, strict=True):
            assert pending.track is not None
            results.append((pending.track.track_id, TrackEmbedded(
                track_id=pending.track.track_id, embedding=np.asarray(vector, np.float32).tolist(),
                genre_probabilities={g: float(p) for g, p in zip(genres, probs, strict=True)},
                model_version=self.embedder.version, embedded_at_ms=stamp)))
        return results

    @staticmethod
    def _dead_letter(pending: Pending) -> DeadLetter:
        record, failure = pending.record, pending.failure
        assert failure is not None
        return DeadLetter(topic=record.topic, partition=record.partition, offset=record.offset, error=str(failure),
                          consumer=CONSUMER, raw_key=record.key or b"", raw_value=record.value or b"",
                          failed_at_ms=now_ms())

    async def _commit(self, consumer: AIOKafkaConsumer, batch: list[Pending]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for pending in batch:
            tp = TopicPartition(pending.record.topic, pending.record.partition)
            offsets[tp] = max(offsets.get(tp, 0), pending.record.offset + 1)
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:  # a rebalance took the partition: its next owner redoes the batch (at-least-once)
            log.warning("could not commit %s: %s", offsets, exc)

    @staticmethod
    async def _update_lag(consumer: AIOKafkaConsumer, in_flight: int) -> None:
        """Records not processed yet: those still on the broker plus those fetched and waiting here."""
        lag = in_flight
        for tp in consumer.assignment():
            end: int | None = consumer.highwater(tp)
            if end is not None:
                lag += max(0, end - await consumer.position(tp))
        metrics.QUEUE_LAG.set(lag)


def _key(record: Record) -> str:
    return (record.key or b"").decode("utf-8", errors="replace")
