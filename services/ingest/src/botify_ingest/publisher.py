"""Produce validated listens to Kafka and report, per request, whether Kafka acknowledged all of them."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic

log = logging.getLogger(__name__)


class BrokerUnavailableError(Exception):
    """Kafka did not acknowledge every event in time. Some may have been written; the client resends them all with
    the same event ids, and consumers drop what arrives twice."""


class ListenPublisher:
    """Owns one idempotent producer, started lazily so the service comes up (and answers 503) without Kafka, and
    replaced when it fails for good."""

    def __init__(self, kafka: KafkaSettings, timeout_s: float) -> None:
        self.kafka = kafka
        self.timeout_s = timeout_s
        self.topic = kafka.topic(Topic.LISTENS)
        self._producer: EventProducer | None = None
        self._topic_seen = False
        self._lock = asyncio.Lock()

    async def _started(self) -> EventProducer:
        if self._producer is not None and not self._producer.failed:
            return self._producer
        async with self._lock:
            if self._producer is not None and self._producer.failed:
                log.warning("the Kafka producer failed for good; starting a new one")
                await self._discard()
            if self._producer is None:
                producer = EventProducer(self.kafka)
                try:
                    await asyncio.wait_for(producer.start(), self.timeout_s)
                except (KafkaError, OSError, TimeoutError) as exc:
                    await self._close(producer)
                    where = self.kafka.bootstrap_servers
                    raise BrokerUnavailableError(f"cannot reach Kafka at {where}: {exc!r}") from exc
                self._producer = producer
            return self._producer

    async def _missing_topic(self, producer: EventProducer) -> str | None:
        """Why the listens topic cannot take events (it does not exist), or None. Asked until it is seen once."""
        if self._topic_seen:
            return None
        metadata = await asyncio.wait_for(producer.client.client.fetch_all_metadata(), self.timeout_s)
        if self.topic not in metadata.topics():
            return f"topic {self.topic} does not exist: run `botify kafka init`"
        self._topic_seen = True
        return None

    async def publish(self, events: list[ListenEvent]) -> None:
        """Return once Kafka acknowledged every event, or raise BrokerUnavailableError."""
        producer = await self._started()
        try:
            missing = await self._missing_topic(producer)
            if missing:  # without it a send would wait for metadata that never comes
                raise BrokerUnavailableError(missing)
            await asyncio.wait_for(producer.send_listens(events), self.timeout_s)
        except TimeoutError as exc:
            raise BrokerUnavailableError(f"Kafka did not acknowledge {len(events)} events within {self.timeout_s} s") \
                from exc
        except KafkaError as exc:
            # retriable errors are retried inside the idempotent producer; what surfaces here is fatal for it
            await self._discard()
            raise BrokerUnavailableError(f"Kafka refused the events: {exc!r}") from exc

    async def ready(self) -> str | None:
        """None when Kafka answers a metadata request now, else why not."""
        try:
            producer = await self._started()
            metadata = await asyncio.wait_for(producer.client.client.fetch_all_metadata(), min(self.timeout_s, 2.0))
        except (BrokerUnavailableError, KafkaError, TimeoutError, OSError) as exc:
            return str(exc) or type(exc).__name__
        if not metadata.brokers():
            return "Kafka answered with no brokers"
        if self.topic not in metadata.topics():
            return f"topic {self.topic} does not exist: run `botify kafka init`"
        return None

    async def stop(self) -> None:
        await self._discard()

    async def _discard(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await self._close(producer)

    async def _close(self, producer: EventProducer) -> None:
        # stopping flushes what is still queued; with Kafka gone that would wait for the full request timeout
        try:
            await asyncio.wait_for(producer.stop(), self.timeout_s)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("producer did not stop cleanly: %r", exc)
