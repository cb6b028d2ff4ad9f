"""Run ``botify up`` as a child process in tests: its own var/, Kafka and service ports, read as it prints."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from botify_core.processes import free_port

#: the port setting of every service ``botify up`` starts; each test run gets free ports for all of them
SERVICE_PORT_SETTINGS = ("BOTIFY_INGEST_PORT", "BOTIFY_RECOMMENDER_PORT", "BOTIFY_AUDIO_PORT", "BOTIFY_API_PORT")


def up_env(var_dir: Path, kafka_port: int | None = None) -> dict[str, str]:
    """The environment of a ``botify up`` that shares nothing with any other: var/, Kafka and services' ports."""
    return os.environ | {name: str(free_port()) for name in SERVICE_PORT_SETTINGS} | {
        "BOTIFY_VAR_DIR": str(var_dir), "BOTIFY_KAFKA_TOPIC_PREFIX": "",
        "BOTIFY_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port or free_port()}"}


def service_ports(env: dict[str, str]) -> dict[str, int]:
    """The ports of an :func:`up_env`: ``kafka`` and each service's port setting."""
    ports = {name: int(env[name]) for name in SERVICE_PORT_SETTINGS}
    return ports | {"kafka": int(env["BOTIFY_KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])}


async def start_up(env: dict[str, str], rate: float = 50) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "botify_cli.main", "up", "--rate", str(rate),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                env=env)


async def read_until(process: asyncio.subprocess.Process, marker: str, timeout_s: float = 300.0) -> str:
    """Everything the process printed up to the line holding ``marker``."""
    assert process.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(timeout_s):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise AssertionError(f"botify up ended before {marker!r}:\n{''.join(seen)}")
            seen.append(line)
            if marker in line:
                return "".join(seen)


async def stop_with_ctrl_c(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGINT)
    assert process.stdout is not None
    rest = (await asyncio.wait_for(process.stdout.read(), 120)).decode()
    assert await process.wait() == 0, rest
    return rest
