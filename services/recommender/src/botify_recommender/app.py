"""The stream processor's Faust app: web server, lifecycle and logging, hosting the transactional engine.

``botify recommender worker`` runs :func:`main`. The Faust app owns the process: its web server answers ``/healthz``,
``/readyz`` and ``/metrics``, its worker handles signals and logging (without the terminal spinner, which turns on
debug logging everywhere), and it starts :class:`StreamService`, which loads the catalog and then runs
:class:`~botify_recommender.engine.Engine`: the consume-fold-produce loop that commits state, outputs and offsets in
one Kafka transaction. Faust's own agents and tables are not used for the state: in the measurements behind issue 8
they were neither exact after ``kill -9`` nor fast enough (see docs/architecture.md, "Stream processor").

Extension point: :func:`stages` is the registration list. A stage is one module with a class that has a ``name``, a
``source`` topic (``listens``, or an internal topic of ``botify_core.topics``) and ``open(partition, context)``
returning a :class:`~botify_recommender.stages.PartitionState` (``restore``, ``fold``, ``tick``, ``changes``); see
:mod:`botify_recommender.stages` for the contract. For every partition of ``listens`` the worker owns, each listens
stage gets the partition's batches of decoded, validated, deduplicated, catalog-joined
:class:`~botify_recommender.stages.Listen` values; a stage on an internal topic gets its decoded records
(:class:`~botify_recommender.stages.Keyed`). Stages on the same partition are opened in list order and can find the
earlier ones in ``context.peers`` by name (the user-state stage takes factors from a stage named ``models``
offering :class:`~botify_recommender.user_state.UserFactorSource`, and cluster ids from ``taste-clusters``).
Adding a stage is one module plus one line here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
import mode
from faust.app.base import BootStrategy
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from botify_recommender.catalog import Catalog
from botify_recommender.catalog_feed import CatalogFeed
from botify_recommender.engine import Engine
from botify_recommender.model_stages import OnlineModels
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Stage
from botify_recommender.taste_clusters import TasteClustersStage
from botify_recommender.transitions import TransitionsStage
from botify_recommender.trend_totals import TrendTotalsStage
from botify_recommender.trends import TrendsStage
from botify_recommender.user_state import UserStateStage

log = logging.getLogger(__name__)


def stages() -> list[Stage]:
    """Every stage of the processor, in the order they fold a partition's batch."""
    models = OnlineModels()  # the user step and the item owner share the process's item read model
    return [
        TrendsStage(),
        models.users,           # before user-state: it offers the user factors
        TasteClustersStage(),   # before user-state: it offers the cluster ids
        UserStateStage(),
        TrendTotalsStage(),
        TransitionsStage(),
        models.items,
    ]


class StreamService(mode.Service):
    """Loads the catalog, then runs the engine until the worker stops; a failed engine crashes the worker."""

    def __init__(self, settings: RecommenderSettings, stage_list: list[Stage], **kwargs: Any) -> None:
        self.settings = settings
        self.catalog = Catalog()
        self.feed = CatalogFeed(settings.kafka, self.catalog)
        self.engine = Engine(settings, stage_list, self.catalog)
        self._workers: list[asyncio.Task[None]] = []
        super().__init__(**kwargs)

    @property
    def ready(self) -> bool:
        return self.feed.loaded.is_set() and self.engine.started.is_set()

    async def on_start(self) -> None:
        self._workers = [asyncio.create_task(self._guard(self.feed.run())),
                       asyncio.create_task(self._guard(self._run_engine()))]

    async def _run_engine(self) -> None:
        await self.feed.loaded.wait()
        log.info("catalog loaded: %d tracks; consuming", len(self.catalog))
        await self.engine.run()

    async def _guard(self, work: Any) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            log.exception("the stream processor failed")
            await self.crash(exc)

    async def on_stop(self) -> None:
        await self.engine.stop()
        engine_task = self._workers[1] if len(self._workers) > 1 else None
        if engine_task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(engine_task), timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                engine_task.cancel()
        for task in self._workers:
            task.cancel()


class _WebOnly(BootStrategy):
    """Start Faust's web server, sensors and services, not its Kafka consumer and producer: the engine has its own,
    and Faust's consumer group would make a restarted worker wait out its dead predecessor's session."""

    enable_kafka = False


class _App(faust.App):
    BootStrategy = _WebOnly


def create_app(settings: RecommenderSettings, stage_list: list[Stage] | None = None) -> faust.App:
    datadir = settings.paths.var_dir / "recommender" / f"worker-{settings.worker_id}"
    datadir.mkdir(parents=True, exist_ok=True)
    app = _App(
        f"{settings.group_id}-web",
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        web_host=settings.host, web_port=settings.port, web_bind=settings.host,
        datadir=str(datadir),
        processing_guarantee="exactly_once", autodiscover=False, web_enabled=True,
        topic_partitions=settings.kafka.partitions, topic_replication_factor=settings.kafka.replication_factor,
    )
    service = StreamService(settings, stages() if stage_list is None else stage_list)
    app.service(service)  # type: ignore[arg-type]

    @app.page("/healthz")
    async def healthz(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        body = {"catalog_loaded": service.feed.loaded.is_set(), "tracks": len(service.catalog),
                "consuming": service.engine.started.is_set(), "partitions": len(service.engine.owned)}
        return web.json(body, status=200 if service.ready else 503)

    @app.page("/metrics")
    async def prometheus(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


class _Worker(faust.Worker):
    """Faust's worker without the spinner (it sets the root logger to DEBUG: ~9% CPU in the issue's probe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spinner = None

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        super().on_setup_root_logger(logger, level)


def main() -> None:
    """Run one worker until SIGINT/SIGTERM (``BOTIFY_RECOMMENDER_*`` and ``BOTIFY_KAFKA_*`` settings)."""
    settings = RecommenderSettings()
    app = create_app(settings)
    _Worker(app, loglevel="INFO", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
