"""The gateway's parts, built from settings and shared by every route: the read model and what it feeds (catalog,
user states, transitions, trends, vector store), the candidate sources, the recommender, the session memory and the
outbox. :meth:`Gateway.run` keeps the background tasks going for the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections.abc import AsyncIterator

from aiokafka.errors import KafkaError

from botify_api import metrics
from botify_api.catalog import Catalog, TrackInfo
from botify_api.experiments import load_experiment
from botify_api.outbox import Outbox
from botify_api.popularity import GenreHeat
from botify_api.read_model import ReadModel
from botify_api.recommend import Recommendation, Recommender, Request
from botify_api.sessions import Sessions
from botify_api.settings import ApiSettings
from botify_api.sources import SOURCES, World
from botify_api.trends_feed import TrendFeed
from botify_api.workers import Pool
from botify_core.clock import now_ms
from botify_core.heap import HeapSettler
from botify_core.ids import new_id
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind, ListenSource
from botify_core.proto.botify.v1.serving_pb2 import RecommendationServed, ServedItem
from botify_core.topics import Topic
from botify_core.vectors import VectorStore, open_vector_store
from botify_core.vectors.sink import VectorSink

log = logging.getLogger(__name__)

#: users warmed between two turns of the event loop (a few ms of searches)
WARM_SLICE = 8


class Gateway:
    def __init__(self, settings: ApiSettings, store: VectorStore | None = None, pool: Pool | None = None) -> None:
        self.settings = settings
        self.store = store
        self.pool = pool          # one of several processes on the port (botify_api.workers), or None
        self.store_error: str | None = None
        self.catalog = Catalog(settings.int_track_format)
        self.outbox = Outbox(settings.kafka, capacity=settings.served_queue, linger_ms=settings.outbox_linger_ms)
        self.read_model = ReadModel(settings.kafka, self.catalog, sink=None, poll_ms=settings.poll_ms,
                                    on_dead_letter=self._dead_letter)
        self.trends = TrendFeed()     # genre-trends for /v1/trends/* and the dashboard
        self.read_model.register(Topic.GENRE_TRENDS, self.trends.on_record)
        self.heat = GenreHeat(self.trends.board, settings.trending_window)  # what the trending sources read
        self.world = World(settings, self.catalog, self.read_model.users, self.read_model.successors, self.heat,
                           store, store_health=self.store_problem)
        self.sources = {name: make(self.world) for name, make in SOURCES.items()}
        self.experiment = load_experiment(settings.experiments_path, set(self.sources))
        self.recommender = Recommender(self.world, self.sources, self.experiment)
        self.sessions = Sessions()
        #: set once the read model caught up and the warm-up (:meth:`_warm_up`) is done: /readyz is then 200
        self.ready = asyncio.Event()
        self.warmed_users = 0
        self.warm_s: float | None = None

    def store_problem(self) -> str | None:
        if self.store is None:
            return f"vector store unavailable: {self.store_error or 'not open'}"
        if self.read_model.sink_error:
            return f"vector store unavailable: {self.read_model.sink_error}"
        return None

    def open_store(self) -> None:
        """Open the configured vector store, unless one was given; on failure the vector sources degrade."""
        if self.store is None:
            try:
                vectors = self.settings.vectors
                if self.settings.search_ef is not None:
                    vectors = vectors.model_copy(update={"hnsw_ef": self.settings.search_ef})
                if self.pool is not None and not vectors.qdrant_url:   # an Edge store is one process's own
                    vectors = vectors.model_copy(update={"path": self.pool.vectors_path})
                self.store = open_vector_store(vectors, self.settings.paths)
            except Exception as exc:  # serve without vector sources rather than not at all
                self.store_error = f"{type(exc).__name__}: {exc}"
                log.warning("vector store did not open, serving without it: %s", self.store_error)
        self.world.store = self.store
        if self.store is not None:
            self.read_model.sink = VectorSink(self.store, self.settings.kafka, self.settings.vectors,
                                              consumer="gateway")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Open the store, run the read model and the outbox; stop both and close the store on exit."""
        self.open_store()
        tasks = [asyncio.create_task(self._keep_reading(), name="read-model"),
                 asyncio.create_task(self._warm_up(), name="warm-up"),
                 asyncio.create_task(self.outbox.run(), name="outbox"),
                 asyncio.create_task(self._settle_heap(HeapSettler()), name="heap")]
        if self.pool is not None:
            tasks.append(asyncio.create_task(self._mark_ready(self.pool), name="pool-ready"))
        try:
            yield
        finally:
            self.read_model.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.store is not None:
                self.store.close()
            if self.pool is not None:
                self.pool.forget()

    @staticmethod
    async def _settle_heap(settler: HeapSettler) -> None:
        """Keep full garbage collections from walking the read model (100+ ms pauses under load otherwise)."""
        while True:
            await asyncio.sleep(settler.every_s)
            settler.settle()

    async def _warm_up(self) -> None:
        """Once the read model caught up: fill the candidate cache for the ``warm_users`` most recently updated
        users (the vector searches of their plain requests), a few at a time between requests; then ready. A vector
        store that fails meanwhile ends the warm-up (the gateway serves, degraded, rather than not at all)."""
        await self.read_model.ready.wait()
        started = time.monotonic()
        states = self.read_model.users.states
        users = heapq.nlargest(self.settings.warm_users, states, key=lambda user: states[user].updated_at_ms)
        for done, user_id in enumerate(users, 1):
            problem = self.world.store_problem()
            if problem:
                log.warning("candidates of %d of %d users computed; stopped: %s", self.warmed_users, len(users),
                            problem)
                break
            self.recommender.warm(user_id)
            self.warmed_users = done
            if done % WARM_SLICE == 0:
                await asyncio.sleep(0)   # let requests (and health checks) in
        self.warm_s = time.monotonic() - started
        if users and self.warmed_users == len(users):
            log.warning("candidates of %d users computed in %.2f s", len(users), self.warm_s)
        self.ready.set()

    async def _mark_ready(self, pool: Pool) -> None:
        await self.ready.wait()
        pool.mark_ready()

    def workers(self) -> tuple[int, int]:
        """(processes on the port, those of them that caught up once): the gateway is ready when they are equal."""
        if self.pool is None:
            return 1, int(self.ready.is_set())
        return self.pool.size, self.pool.ready_count()

    async def _keep_reading(self) -> None:
        while True:
            try:
                await self.read_model.run()
                return
            except KafkaError as exc:
                log.warning("read model: Kafka failed, restarting in 1 s: %s", exc)
                await asyncio.sleep(1.0)

    def _dead_letter(self, key: str, letter: DeadLetter) -> None:
        self.outbox.put(Topic.DEAD_LETTERS, key, letter)

    def recommend(self, request: Request) -> Recommendation:
        """Recommend and log the answer to ``recs-served`` (queued: the answer does not wait for Kafka)."""
        user_id = request.user_id
        answer = self.recommender.recommend(request, self.sessions.recent(user_id),
                                            self.sessions.last_played_ms(user_id))
        self.sessions.served(user_id, answer.recommendation_id, [i.track_id for i in answer.items])
        self.outbox.put(Topic.RECS_SERVED, user_id, RecommendationServed(
            recommendation_id=answer.recommendation_id, user_id=user_id,
            items=[ServedItem(track_id=i.track_id, score=i.score, sources=list(i.sources)) for i in answer.items],
            experiment=answer.experiment, arm=answer.arm, latency_ms=answer.latency_ms,
            model_versions=answer.model_versions, degraded=bool(answer.degraded),
            missing_sources=[d.source for d in answer.degraded], served_at_ms=now_ms()))
        return answer

    def report_listen(self, user_id: str, track: TrackInfo, fraction: float) -> ListenEvent:
        """A listen reported through the session API: remembered for the next answer and produced to ``listens``
        with the recommendation it follows."""
        at = now_ms()
        follows = self.sessions.follows(user_id, track.track_id)
        duration = max(track.duration_ms, 1)
        event = ListenEvent(event_id=new_id(), user_id=user_id, track_id=track.track_id, event_time_ms=at,
                            ms_played=round(fraction * duration), track_duration_ms=duration,
                            kind=ListenKind.LISTEN_KIND_SKIP if fraction < self.settings.skip_fraction
                            else ListenKind.LISTEN_KIND_PLAY,
                            source=ListenSource.LISTEN_SOURCE_RECOMMENDATION if follows
                            else ListenSource.LISTEN_SOURCE_USER,
                            recommendation_id=follows)
        self.sessions.played(user_id, track.track_id, fraction, at)
        self.outbox.put(Topic.LISTENS, user_id, event)
        return event

    def update_gauges(self) -> None:
        metrics.READ_MODEL_RECORDS.set(self.read_model.records)
        if self.read_model.rebuild_s is not None:
            metrics.REBUILD_SECONDS.set(self.read_model.rebuild_s)
        for name, lag in self.read_model.lag().items():
            if lag.behind is not None:
                metrics.LAG.labels(name).set(lag.behind)
