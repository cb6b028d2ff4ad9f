"""Records the gateway produces on the side (``recs-served``, ``listens``, ``dead-letters``): queued without
waiting, produced by one background task, so an answer never waits for Kafka and never fails because of it.
A full queue drops the record and counts it (``botify_api_produce_dropped_total``). The task waits ``linger_ms``
after a record for others to queue, then hands them over as one record batch per topic partition.

    outbox = Outbox(kafka, capacity=10_000)
    task = asyncio.create_task(outbox.run())
    outbox.put(Topic.RECS_SERVED, user_id, served)   # returns at once
    await outbox.drained()                            # tests: everything queued so far was acknowledged
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError
from google.protobuf.message import Message

from botify_api import metrics
from botify_core.producer import EventProducer
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, kafka: KafkaSettings, capacity: int = 10_000, batch: int = 500,
                 retry_s: float = 1.0, linger_ms: int | None = None) -> None:
        self.kafka = kafka
        self.linger_ms = kafka.linger_ms if linger_ms is None else linger_ms
        self.batch = batch
        self.retry_s = retry_s
        self._queue: asyncio.Queue[tuple[Topic, str, Message]] = asyncio.Queue(maxsize=capacity)
        self._producer: EventProducer | None = None
        self.sent = 0

    def put(self, topic: Topic, key: str, message: Message) -> bool:
        """Queue one record; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait((topic, key, message))
        except asyncio.QueueFull:
            metrics.DROPPED.labels(topic.value).inc()
            return False
        return True

    @property
    def connected(self) -> bool:
        return self._producer is not None and not self._producer.failed

    async def drained(self) -> None:
        """Return once every record queued so far was produced (or dropped)."""
        await self._queue.join()

    async def run(self) -> None:
        """Produce until cancelled; (re)connect to Kafka as needed."""
        try:
            while True:
                producer = await self._connect()
                try:
                    await self._drain(producer)
                except KafkaError as exc:
                    log.warning("outbox: producer failed, reconnecting: %s", exc)
                    self._producer = None
                    await producer.stop()
        finally:
            if self._producer is not None:
                await self._producer.stop()

    async def _connect(self) -> EventProducer:
        while True:
            producer = EventProducer(self.kafka, linger_ms=0)   # the outbox lingers itself (_drain)
            try:
                await producer.start()
            except KafkaError as exc:
                log.warning("outbox: Kafka unreachable, retrying in %.1f s: %s", self.retry_s, exc)
                await producer.stop()
                await asyncio.sleep(self.retry_s)
                continue
            self._producer = producer
            return producer

    async def _drain(self, producer: EventProducer) -> None:
        while True:
            records = [await self._queue.get()]
            if self.linger_ms:
                await asyncio.sleep(self.linger_ms / 1000)   # let a batch gather
            while len(records) < self.batch and not self._queue.empty():
                records.append(self._queue.get_nowait())
            try:
                by_topic: dict[Topic, list[tuple[str, Message]]] = {}
                for topic, key, message in records:
                    by_topic.setdefault(topic, []).append((key, message))
                for topic, pairs in by_topic.items():
                    try:
                        await producer.send_batched(topic, pairs)
                        self.sent += len(pairs)
                    except KafkaError as exc:
                        metrics.DROPPED.labels(topic.value).inc(len(pairs))
                        log.warning("outbox: %d records to %s dropped: %s", len(pairs), topic.value, exc)
                        if producer.failed:
                            raise
            finally:
                for _ in records:
                    self._queue.task_done()
