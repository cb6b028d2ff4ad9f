"""Run the audio worker: ``botify audio worker`` (or ``python -m botify_audio.main``).

Exits with status 1 when the worker dies, so ``botify up`` (or any supervisor) notices.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from botify_audio.app import create_app
from botify_audio.settings import AudioSettings


def serve(settings: AudioSettings | None = None) -> int:
    settings = settings or AudioSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    failed = False
    server: uvicorn.Server | None = None

    def on_failure() -> None:
        nonlocal failed
        failed = True
        if server is not None:
            server.should_exit = True

    config = uvicorn.Config(create_app(settings, on_failure), host=settings.host, port=settings.port,
                            log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.run()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(serve())
