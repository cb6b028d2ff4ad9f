"""Stream a dataset's listens into Kafka at a chosen rate: ``botify replay SOURCE --rate N``.

Sources: ``synthetic`` (the demo world's listeners, live and endless unless ``--limit``), ``lastfm1k`` (real
timestamps), ``hetrec`` (play counts expanded into a dated log; see ``botify_datasets.listening_log``). The catalog
goes to ``tracks`` first, then listens go to ``listens`` directly or through the ingest service's HTTP API.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx

from botify_core.clock import now_ms
from botify_core.ids import new_id
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings, PathSettings
from botify_core.topics import Topic
from botify_datasets.events import log_catalog, log_events, synth_event, world_catalog
from botify_datasets.hetrec import load_hetrec
from botify_datasets.jamendo import load_jamendo
from botify_datasets.lastfm1k import load_scrobbles
from botify_datasets.listening_log import hetrec_log, lastfm1k_log
from botify_datasets.synthetic import ListenSimulator, World, make_world
from botify_ingest.schemas import KIND_NAMES, SOURCE_NAMES

SOURCES = ("synthetic", "lastfm1k", "hetrec")


@dataclass
class ReplaySource:
    name: str
    tracks: list[TrackUpserted]
    events: Iterator[ListenEvent]
    total: int | None  # None: endless


def open_source(name: str, paths: PathSettings, *, seed: int = 0, hetrec_scale: float = 0.005,
                live: bool = True) -> ReplaySource:
    """The catalog and listens of a source. ``live`` stamps synthetic listens with the wall clock."""
    if name == "synthetic":
        demo = paths.var_dir / "demo"
        world = World.load(demo) if (demo / "world.json").exists() else make_world()
        run = new_id()[:8]
        stream = ListenSimulator(world, seed=seed).stream(now_ms())

        def synthetic() -> Iterator[ListenEvent]:
            for i, listen in enumerate(stream):
                event = synth_event(listen, i, f"syn-{run}")
                if live:
                    event.event_time_ms = now_ms()
                yield event

        return ReplaySource(name, world_catalog(world, demo / "audio"), synthetic(), None)
    data, verify = paths.data_dir, paths.verify_checksums
    if name == "lastfm1k":
        log = lastfm1k_log(load_scrobbles(data, verify=verify), load_hetrec(data, verify=verify))
    elif name == "hetrec":
        log = hetrec_log(load_hetrec(data, verify=verify), load_jamendo(data, verify=verify), scale=hetrec_scale,
                         seed=seed)
    else:
        raise ValueError(f"unknown source {name!r}; choose one of {', '.join(SOURCES)}")
    return ReplaySource(name, log_catalog(log), log_events(log), len(log.frame))


class ListenSink(Protocol):
    async def send(self, events: list[ListenEvent]) -> None: ...


class KafkaSink:
    def __init__(self, producer: EventProducer) -> None:
        self.producer = producer

    async def send(self, events: list[ListenEvent]) -> None:
        await self.producer.send_listens(events)


class HttpSink:
    """Posts batches to the ingest service, retrying while it answers 503 (as a well-behaved client does)."""

    def __init__(self, client: httpx.AsyncClient, retries: int = 30) -> None:
        self.client = client
        self.retries = retries

    async def send(self, events: list[ListenEvent]) -> None:
        body = {"events": [event_json(e) for e in events]}
        for _ in range(self.retries):
            response = await self.client.post("/v1/listens", json=body)
            if response.status_code == 202:
                return
            if response.status_code != 503:
                raise RuntimeError(f"ingest refused a batch: {response.status_code} {response.text[:500]}")
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        raise RuntimeError(f"ingest stayed unavailable after {self.retries} tries")


def event_json(event: ListenEvent) -> dict[str, object]:
    body: dict[str, object] = {
        "event_id": event.event_id, "user_id": event.user_id, "track_id": event.track_id, "ts": event.event_time_ms,
        "track_duration_ms": event.track_duration_ms, "ms_played": event.ms_played,
        "kind": KIND_NAMES[event.kind], "source": SOURCE_NAMES[event.source]}
    if event.session_id:
        body["session_id"] = event.session_id
    if event.recommendation_id:
        body["recommendation_id"] = event.recommendation_id
    return body


class Pacer:
    """Lets through ``rate`` events per second on average (0 = unlimited), in batches of at most ``max_batch``."""

    def __init__(self, rate: float, max_batch: int = 500) -> None:
        self.rate = rate
        self.batch = max_batch if rate <= 0 else max(1, min(max_batch, int(rate / 10)))
        self._start = time.monotonic()
        self._sent = 0

    async def wait(self, n: int) -> None:
        if self.rate > 0:
            due = self._start + (self._sent + n) / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # rate limiting: waiting for the schedule, not for an event
        self._sent += n


def batched(events: Iterable[ListenEvent], size: int) -> Iterator[list[ListenEvent]]:
    iterator = iter(events)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


async def replay(source: ReplaySource, producer: EventProducer, sink: ListenSink, *, rate: float,
                 limit: int | None = None, progress: bool = True) -> int:
    """Publish the catalog, then the listens at ``rate``; return how many listens were acknowledged."""
    from tqdm import tqdm

    await producer.send_many(Topic.TRACKS, ((t.track_id, t) for t in source.tracks))
    events: Iterable[ListenEvent] = source.events
    total = source.total
    if limit is not None:
        events = itertools.islice(events, limit)
        total = min(total, limit) if total is not None else limit
    pacer = Pacer(rate)
    sent = 0
    with tqdm(total=total, unit="ev", desc=f"replay {source.name}", disable=not progress, smoothing=0.1) as bar:
        for chunk in batched(events, pacer.batch):
            await pacer.wait(len(chunk))
            await sink.send(chunk)
            sent += len(chunk)
            bar.update(len(chunk))
    return sent


async def run_replay(name: str, kafka: KafkaSettings, paths: PathSettings, *, rate: float, limit: int | None,
                     via: str, seed: int, hetrec_scale: float, live: bool, progress: bool = True,
                     token: str | None = None) -> int:
    source = open_source(name, paths, seed=seed, hetrec_scale=hetrec_scale, live=live)
    async with EventProducer(kafka) as producer:
        if via == "kafka":
            return await replay(source, producer, KafkaSink(producer), rate=rate, limit=limit, progress=progress)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=via, timeout=30.0, headers=headers) as client:
            return await replay(source, producer, HttpSink(client), rate=rate, limit=limit, progress=progress)

