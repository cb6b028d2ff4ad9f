"""Run the ingest service: ``botify ingest serve`` (or ``python -m botify_ingest.main``)."""

from __future__ import annotations

import uvicorn

from botify_ingest.app import create_app
from botify_ingest.settings import IngestSettings


def serve(settings: IngestSettings | None = None) -> None:
    settings = settings or IngestSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    serve()
