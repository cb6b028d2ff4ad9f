"""Run the gateway: ``python -m botify_api.main`` (``botify up`` runs it so)."""

from __future__ import annotations

import logging

import uvicorn

from botify_api.app import create_app
from botify_api.settings import ApiSettings
from botify_api.workers import reset_pool


def serve(settings: ApiSettings | None = None) -> None:
    settings = settings or ApiSettings()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                    access_log=False)
        return
    reset_pool(settings)   # uvicorn binds the port once and runs (and restarts) the children: botify_api.workers
    uvicorn.run("botify_api.workers:worker_app", factory=True, workers=settings.workers, host=settings.host,
                port=settings.port, log_level="warning", access_log=False,
                timeout_worker_healthcheck=settings.worker_healthcheck_s)


if __name__ == "__main__":
    serve()
