"""The audio worker's HTTP side: ``/healthz``, ``/readyz``, ``/metrics``, with the worker running in its lifespan.

The embedder loads in a thread at start-up (torch takes seconds to import), then the worker consumes until the
app stops. If the worker dies, ``/healthz`` says so and ``on_failure`` is called (``main`` stops the process, so a
supervisor sees it exit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from botify_audio.embedder import load_embedder
from botify_audio.settings import AudioSettings
from botify_audio.worker import AudioWorker

log = logging.getLogger(__name__)


def create_app(settings: AudioSettings | None = None, on_failure: Callable[[], None] | None = None) -> FastAPI:
    settings = settings or AudioSettings()
    state: dict[str, str | AudioWorker | None] = {"problem": "loading the embedder", "worker": None}

    async def run() -> None:
        import torch

        torch.set_num_threads(settings.torch_threads)
        embedder = await asyncio.to_thread(load_embedder, settings.model_root, settings.model_version,
                                           settings.embedding_dim, settings.paths.data_dir)
        worker = AudioWorker(settings, embedder)
        state["worker"], state["problem"] = worker, None
        try:
            await worker.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the audio worker stopped")
            state["problem"] = f"worker stopped: {type(exc).__name__}: {exc}"
            if on_failure:
                on_failure()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(run())
        yield
        worker = state["worker"]
        if isinstance(worker, AudioWorker):
            worker.stop()
        with suppress(asyncio.CancelledError):
            try:
                await asyncio.wait_for(task, timeout=15)
            except TimeoutError:
                log.warning("the audio worker did not stop within 15 s; cancelled")

    app = FastAPI(title="Botify audio worker", version="1.0.0", lifespan=lifespan,
                  description="Embeds every track published to `tracks` and produces `TrackEmbedded` to "
                              "`track-embeddings`; bad audio goes to `dead-letters`. HTTP is for operations only.")

    @app.get("/healthz", responses={503: {"description": "the worker stopped"}})
    async def healthz() -> JSONResponse:
        """The process is alive and its worker has not died."""
        problem = state["problem"]
        if isinstance(problem, str) and problem.startswith("worker stopped"):
            return JSONResponse({"status": "failed", "problem": problem}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", responses={503: {"description": "loading the model, or not connected to Kafka yet"}})
    async def readyz() -> JSONResponse:
        """Ready when the embedder is loaded and the worker consumes `tracks`."""
        worker = state["worker"]
        if not isinstance(worker, AudioWorker) or not worker.ready:
            problem = state["problem"] or f"connecting to Kafka at {settings.kafka.bootstrap_servers}"
            return JSONResponse({"status": "unavailable", "problem": problem}, status_code=503)
        return JSONResponse({"status": "ready", "model_version": worker.embedder.version,
                             "kafka": settings.kafka.bootstrap_servers})

    @app.get("/metrics", response_class=Response)
    async def prometheus_metrics() -> Response:
        """Prometheus metrics: clips embedded, failures by reason, queue lag, model version."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
