"""Several gateway processes on one port (``BOTIFY_API_WORKERS``): Python answers one request at a time per process,
and a recommendation is CPU work (vector searches, blending), so one process tops out at one core.

``uvicorn`` binds the port once and hands it to ``workers`` child processes (and restarts one that dies). Each
child is a whole gateway: its own read model, built from the topics, and its own Qdrant Edge store in
``<var>/api-workers/<pid>/vectors`` (a Qdrant server, when configured, is shared). So memory and the rebuild's CPU
grow with the count, and an answer depends only on the process that took it. One thing does not carry across
processes: the listens a client reported through ``/next`` or ``/last`` are known at once only to the process that
took them (the others see them when ``user-state`` does, a fraction of a second later).

Readiness is the pool's: each child marks itself ready with a file ``<pid>.ready``, and ``/readyz`` (answered by
whichever child takes it) is 200 only when as many live children as configured are ready.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

from fastapi import FastAPI

from botify_api.settings import ApiSettings
from botify_core.processes import arm_parent_death_signal, pid_alive

#: set by the supervisor for its children
SUPERVISOR_PID = "BOTIFY_API_SUPERVISOR_PID"


def pool_dir(settings: ApiSettings) -> Path:
    return settings.paths.var_dir / "api-workers"


def reset_pool(settings: ApiSettings) -> None:
    """In the supervisor, before the children start: forget the folders and marks of an earlier run (every child
    rebuilds anyway; one killed outright leaves its own until then), and tell the children who supervises them."""
    shutil.rmtree(pool_dir(settings), ignore_errors=True)
    pool_dir(settings).mkdir(parents=True, exist_ok=True)
    os.environ[SUPERVISOR_PID] = str(os.getpid())


class Pool:
    """One child's view of the pool: where its store lives, and whether every child is ready."""

    def __init__(self, settings: ApiSettings) -> None:
        self.size = settings.workers
        self.folder = pool_dir(settings)
        self.pid = os.getpid()

    @property
    def vectors_path(self) -> Path:
        return self.folder / str(self.pid) / "vectors"

    def mark_ready(self) -> None:
        (self.folder / f"{self.pid}.ready").touch()

    def ready_count(self) -> int:
        """Live children that have caught up once."""
        pids = [int(mark.stem) for mark in self.folder.glob("*.ready") if mark.stem.isdigit()]
        return sum(1 for pid in pids if pid_alive(pid))

    def forget(self) -> None:
        """This child is stopping: take its mark and its store away."""
        (self.folder / f"{self.pid}.ready").unlink(missing_ok=True)
        shutil.rmtree(self.folder / str(self.pid), ignore_errors=True)


def worker_app() -> FastAPI:
    """The app of one child (uvicorn calls this factory in each); settings from the environment, as the parent's."""
    from botify_api.app import create_app

    # a killed supervisor takes its children with it (its PID from serve(): one that died before this ran is seen)
    arm_parent_death_signal(int(os.environ[SUPERVISOR_PID]), signal.SIGTERM)
    settings = ApiSettings()
    return create_app(settings, pool=Pool(settings))
