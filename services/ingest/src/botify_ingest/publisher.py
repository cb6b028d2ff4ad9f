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
    """Kafka did not acknowledge the events in time; the client should retry later."""


class ListenPublisher:
    """Owns one idempotent producer, started lazily so the service comes up (and answers 503) without Kafka."""

    def __init__(self, kafka: KafkaSettings, timeout_s: float) -> None:
        self.kafka = kafka
        self.timeout_s = timeout_s
        self._producer: EventProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> EventProducer:
        if self._producer is not None:
            return self._producer
        async with self._lock:
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

    async def publish(self, events: list[ListenEvent]) -> None:
        """Return once Kafka acknowledged every event, or raise BrokerUnavailableError."""
        producer = await self._started()
        try:
            await asyncio.wait_for(producer.send_listens(events), self.timeout_s)
        except TimeoutError as exc:
            raise BrokerUnavailableError(f"Kafka did not acknowledge {len(events)} events within {self.timeout_s} s") \
                from exc
        except KafkaError as exc:
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
        topic = self.kafka.topic(Topic.LISTENS)
        if topic not in metadata.topics():
            return f"topic {topic} does not exist: run `botify kafka init`"
        return None

    async def stop(self) -> None:
        if self._producer is not None:
            await self._close(self._producer)
            self._producer = None

    async def _close(self, producer: EventProducer) -> None:
        # stopping flushes what is still queued; with Kafka gone that would wait for the full request timeout
        try:
            await asyncio.wait_for(producer.stop(), self.timeout_s)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("producer did not stop cleanly: %r", exc)
