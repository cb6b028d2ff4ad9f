"""Run ``botify up`` as a child process in tests: its own var/, Kafka and service ports, read as it prints."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from botify_cli.stack import PORT_SETTINGS, isolated_env


def up_env(var_dir: Path, audio_models: Path) -> dict[str, str]:
    """:func:`~botify_cli.stack.isolated_env`, with the audio model kept in ``audio_models`` (shared by the run)."""
    return isolated_env(var_dir) | {"BOTIFY_AUDIO_MODELS_DIR": str(audio_models)}


def service_ports(env: dict[str, str]) -> dict[str, int]:
    """The ports of an :func:`~botify_cli.stack.isolated_env`: ``kafka`` and each service's port setting."""
    ports = {name: int(env[name]) for name in PORT_SETTINGS}
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
