"""Run the gateway: ``python -m botify_api.main`` (``botify up`` runs it so)."""

from __future__ import annotations

import logging

import uvicorn

from botify_api.app import create_app
from botify_api.settings import ApiSettings


def serve(settings: ApiSettings | None = None) -> None:
    settings = settings or ApiSettings()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    serve()
