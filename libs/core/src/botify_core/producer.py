"""Idempotent, ``acks=all`` Kafka producers, and a small helper for services that write events directly.

    async with EventProducer(KafkaSettings()) as producer:
        await producer.send_listens([ListenEvent(user_id="u1", track_id="t1", ...)])

``send_listens`` returns once Kafka acknowledged every event; it keys each event by user_id so one user's listens
stay in order on one partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import RecordMetadata
from google.protobuf.message import Message

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic, spec

_PARTITIONER = DefaultPartitioner()


def key_partition(key: bytes, partitions: Sequence[int]) -> int:
    """Where Kafka's default partitioner (murmur2 of the key, as the Java client) puts a keyed record among
    ``partitions`` (sorted): where a Botify producer sends it, and where a worker that keeps a record in memory
    (the stream engine's local deltas) must agree it would have gone."""
    return int(_PARTITIONER(key, partitions, partitions))


def producer_config(settings: KafkaSettings) -> dict[str, Any]:
    """The producer settings every Botify producer uses: idempotent, acknowledged by all in-sync replicas."""
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": settings.linger_ms,
        "request_timeout_ms": settings.request_timeout_ms,
        "max_batch_size": 256 * 1024,
    }


class RecordBatches:
    """Records grouped into Kafka record batches, one open batch per topic partition: handing the producer a batch
    (``send_batch``) costs far less than one ``send`` per record. A record goes to the partition given, else where
    Kafka's default partitioner (murmur2 of the key) puts it.

    ``add`` answers a batch that is full (send it); :meth:`rest` the open ones once every record was added.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._partitions: dict[str, list[int]] = {}
        self._open: dict[tuple[str, int], Any] = {}

    async def add(self, topic: str, key: bytes, value: bytes | None,
                  partition: int | None = None) -> tuple[str, int, Any] | None:
        if partition is None:
            partitions = self._partitions.get(topic)
            if partitions is None:
                partitions = self._partitions[topic] = sorted(await self._producer.partitions_for(topic))
            partition = key_partition(key, partitions)
        batch = self._open.get((topic, partition))
        if batch is not None and batch.append(timestamp=None, key=key, value=value) is not None:
            return None
        self._open[(topic, partition)] = fresh = self._producer.create_batch()
        # an empty batch takes any record; the broker refuses one over its size limit (the send fails)
        fresh.append(timestamp=None, key=key, value=value)
        return None if batch is None else (topic, partition, batch)

    def rest(self) -> list[tuple[str, int, Any]]:
        """The open batches (each once: they are handed over)."""
        batches, self._open = self._open, {}
        return [(topic, partition, batch) for (topic, partition), batch in batches.items()]


async def send_in_batches(producer: AIOKafkaProducer, records: Iterable[tuple[str, bytes, bytes | None, int | None]]) \
        -> list[asyncio.Future[RecordMetadata]]:
    """Hand ``(topic, key, value, partition or None)`` records to ``producer`` as :class:`RecordBatches`, each
    batch sent as soon as it is full and the rest at the end; the futures of their acknowledgements."""
    batches = RecordBatches(producer)
    futures = []
    for topic, key, value, partition in records:
        full = await batches.add(topic, key, value, partition)
        if full is not None:
            futures.append(await producer.send_batch(full[2], full[0], partition=full[1]))
    for topic, partition, batch in batches.rest():
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    return futures


def make_producer(settings: KafkaSettings, **overrides: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**(producer_config(settings) | overrides))


class EventProducer:
    """Encodes Botify messages and produces them to their topics, awaiting Kafka's acknowledgement."""

    def __init__(self, settings: KafkaSettings, **overrides: Any) -> None:
        self.settings = settings
        self._producer = make_producer(settings, **overrides)

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.stop()

    @property
    def client(self) -> AIOKafkaProducer:
        return self._producer

    @property
    def failed(self) -> bool:
        """True when the producer's sender has died: it accepts sends but will never deliver them.

        aiokafka has no public flag for this, so read its sender task; a started, healthy producer has one running.
        """
        sender = getattr(self._producer, "_sender", None)
        task = getattr(sender, "sender_task", None)
        return task is not None and task.done()

    async def send_many(self, topic: Topic, records: Iterable[tuple[str, Message]]) -> list[RecordMetadata]:
        """Produce ``(key, message)`` pairs to ``topic`` in order; return their metadata once all are acknowledged."""
        value_type = spec(topic).value
        codec = codec_for(value_type)
        name = self.settings.topic(topic)
        futures = [await self._producer.send(name, codec.encode(message), key=key.encode())
                   for key, message in records]
        return list(await asyncio.gather(*futures))

    async def send_batched(self, topic: Topic, records: Iterable[tuple[str, Message]]) -> None:
        """Produce ``(key, message)`` pairs to ``topic`` as one record batch per partition (far less work per record
        than :meth:`send_many`, with no per-record metadata); return once all are acknowledged."""
        codec = codec_for(spec(topic).value)
        name = self.settings.topic(topic)
        await asyncio.gather(*await send_in_batches(
            self._producer, ((name, key.encode(), codec.encode(message), None) for key, message in records)))

    async def send(self, topic: Topic, key: str, message: Message) -> RecordMetadata:
        (metadata,) = await self.send_many(topic, [(key, message)])
        return metadata

    async def send_listens(self, events: Sequence[ListenEvent]) -> list[RecordMetadata]:
        return await self.send_many(Topic.LISTENS, ((event.user_id, event) for event in events))
