"""Run the real ingest app under uvicorn on a socket bound up front, so tests need not wait for it to listen."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from botify_ingest.app import create_app
from botify_ingest.settings import IngestSettings


@asynccontextmanager
async def running_ingest(settings: IngestSettings) -> AsyncIterator[str]:
    """Serve ingest with ``settings``; yield its base URL; stop it on exit."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
