"""Start a stream-processor worker as a child process, await its readiness, stop or kill it by its PID.

Used by the integration tests (``kill -9`` halfway, a second worker joining) and the stream benchmark.

    with WorkerProcess(kafka, worker_id="0", group_id="g1", log=Path("w0.log")) as worker:
        await worker.ready()
        ...
        worker.kill()       # SIGKILL: no clean shutdown, no final commit
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from botify_core.processes import die_with_parent, free_port, terminate
from botify_core.settings import KafkaSettings


class WorkerProcess:
    def __init__(self, kafka: KafkaSettings, worker_id: str, group_id: str, log: Path,
                 var_dir: Path | None = None, **settings: str | int) -> None:
        self.port = free_port()
        self.log = log
        env = dict(os.environ,
                   BOTIFY_KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap_servers, BOTIFY_KAFKA_TOPIC_PREFIX=kafka.topic_prefix,
                   BOTIFY_KAFKA_PARTITIONS=str(kafka.partitions), BOTIFY_RECOMMENDER_PORT=str(self.port),
                   BOTIFY_RECOMMENDER_WORKER_ID=worker_id, BOTIFY_RECOMMENDER_GROUP_ID=group_id,
                   OMP_NUM_THREADS="1")
        if var_dir is not None:
            env["BOTIFY_VAR_DIR"] = str(var_dir)
        env.update({f"BOTIFY_RECOMMENDER_{k.upper()}": str(v) for k, v in settings.items()})
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            self.process = subprocess.Popen([sys.executable, "-m", "botify_recommender.app", "worker"], env=env,
                                            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            preexec_fn=die_with_parent())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, timeout_s: float = 60.0) -> None:
        """Return once ``/readyz`` answers 200; raise with the log's tail if the worker exits or times out."""
        delay = 0.05
        async with httpx.AsyncClient(timeout=2.0) as client:
            async with asyncio.timeout(timeout_s):
                while True:
                    if self.process.poll() is not None:
                        raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.tail()}")
                    try:
                        if (await client.get(self.url + "/readyz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(delay)   # another process is starting: poll its endpoint with a backoff
                    delay = min(delay * 1.5, 0.5)

    async def metrics(self) -> str:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return (await client.get(self.url + "/metrics")).text

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or committed."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM (a clean shutdown commits what is pending), SIGKILL after ``timeout_s``; the exit code."""
        terminate(self.process.pid, timeout_s)
        return self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.process.poll() is None:
            self.stop(10.0)
