"""The vector sink: consumes ``tracks``, ``track-embeddings`` and ``item-factors`` into the ``audio`` and ``cf``
collections. The gateway hosts it next to its queries.

    sink = VectorSink(open_vector_store(), KafkaSettings(), VectorSettings())
    task = asyncio.create_task(sink.run())
    await sink.ready.wait()          # caught up with what the topics held when it started
    ...
    sink.stop(); await task

The topics are compacted, so the sink reads them from the beginning on every start (no consumer group): the store
converges to the topics' latest state; upserts are idempotent. Records are applied in batches
(``BOTIFY_VECTORS_SINK_BATCH_SIZE``) on a worker thread; records it cannot use go to ``dead-letters`` with the
reason. Topics that do not exist yet are waited for. After each batch it builds the HNSW indexes that are due
(``BOTIFY_VECTORS_SINK_BUILD_INDEX``): with Qdrant Edge that call keeps the interpreter to itself, so the hosting
event loop stalls for the build (measured: 50 s for 22,000 vectors of 128 floats on a loaded 2-core machine);
below the indexing threshold (``BOTIFY_VECTORS_INDEXING_THRESHOLD_KB``) nothing is built and searches are
exhaustive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.settings import KafkaSettings, VectorSettings
from botify_core.topics import Topic
from botify_core.vectors.contract import VectorStore
from botify_core.vectors.indexing import SINK_TOPICS, IndexStats, KafkaRecord, VectorIndexer

log = logging.getLogger(__name__)


class VectorSink:
    def __init__(self, store: VectorStore, kafka: KafkaSettings, settings: VectorSettings,
                 consumer: str = "vector-sink", poll_ms: int = 200) -> None:
        self.kafka = kafka
        self.settings = settings
        self.indexer = VectorIndexer(store, kafka, settings, consumer)
        self.poll_ms = poll_ms
        #: set once the sink has applied everything the topics held when it started
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._applied = asyncio.Condition()

    @property
    def stats(self) -> IndexStats:
        return self.indexer.stats

    def apply(self, records: Sequence[KafkaRecord]) -> list[tuple[str, DeadLetter]]:
        """Apply one batch and, with ``sink_build_index``, build due indexes (blocking; :meth:`run` calls it on a
        worker thread, but a Qdrant Edge build holds the interpreter: the event loop stalls until it ends); return
        the dead letters (key, message) of the records that could not be used."""
        dead = self.indexer.apply(records)
        if self.settings.sink_build_index:
            self.indexer.store.optimize()
        return dead

    async def run(self) -> None:
        """Consume until :meth:`stop`; the consumer and the dead-letter producer stop with it."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap_servers, group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    isolation_level="read_committed",
                                    request_timeout_ms=self.kafka.request_timeout_ms)
        producer = EventProducer(self.kafka)
        consumer.subscribe([self.kafka.topic(topic) for topic in SINK_TOPICS])
        await consumer.start()
        try:
            await producer.start()
            ends: dict[TopicPartition, int] | None = None
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=self.poll_ms, max_records=self.settings.sink_batch_size)
                records: list[KafkaRecord] = [r for part in batches.values() for r in part]
                if records:
                    dead = await asyncio.to_thread(self.apply, records)
                    if dead:
                        log.warning("vector sink: %d records to dead-letters, first: %s", len(dead), dead[0][1].error)
                        await producer.send_many(Topic.DEAD_LETTERS, dead)
                    async with self._applied:
                        self._applied.notify_all()
                if not self.ready.is_set():
                    ends = ends or await self._start_ends(consumer)
                    if ends and all([await consumer.position(tp) >= end for tp, end in ends.items()]):
                        self.ready.set()
        finally:
            await consumer.stop()
            await producer.stop()

    async def _start_ends(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, int] | None:
        """The end offsets of every partition once all the sink's topics are assigned (None before)."""
        assigned = consumer.assignment()
        if {tp.topic for tp in assigned} != {self.kafka.topic(topic) for topic in SINK_TOPICS}:
            return None
        return dict(await consumer.end_offsets(list(assigned)))

    def stop(self) -> None:
        self._stopping.set()

    async def wait_until(self, condition: Callable[[IndexStats], bool], timeout_s: float) -> IndexStats:
        """Wait until ``condition(stats)`` holds after a batch; TimeoutError after ``timeout_s``."""
        async with asyncio.timeout(timeout_s), self._applied:
            await self._applied.wait_for(lambda: condition(self.stats))
        return self.stats
