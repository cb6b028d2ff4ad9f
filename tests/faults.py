"""Faults to inject in tests, in one place: freeze a process, kill it hard and restart it, take its console away.

Each works on a PID we started (never on a process found by name) and leaves nothing running behind it:

- :func:`frozen`: SIGSTOP a process (a broker that stops answering, a GC pause, a stuck disk) and SIGCONT it when
  the block ends, whatever happened inside;
- :func:`kill_hard`: SIGKILL, as a crash or the OOM killer would, and wait until the PID is gone;
- :func:`kill_and_restart`: SIGKILL a child, then start it again with the same command;
- :func:`close_console`: close our end of a child's stdout pipe, as when ``tee`` or a terminal goes away;
- :func:`pids_in` / :func:`await_gone`: the PIDs a supervisor reported, and waiting until each has exited (every
  process below one: :func:`botify_core.processes.descendants`).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from botify_core.processes import pid_alive


@contextmanager
def frozen(pid: int, timeout_s: float = 10.0) -> Iterator[None]:
    """The process ``pid`` is stopped (SIGSTOP) inside the block and continued (SIGCONT) after it.

    The block starts only once every thread of the process is stopped: a thread inside a system call stops when
    it returns from it, and until then it may still, say, answer a request.
    """
    os.kill(pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + timeout_s
        while (running := _running_threads(pid)) and time.monotonic() < deadline:
            time.sleep(0.01)  # the kernel stops each thread on its own schedule; its state is all we can read
        assert not running, f"threads {running} of PID {pid} did not stop within {timeout_s:.0f} s"
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _running_threads(pid: int) -> list[int]:
    """The threads of ``pid`` that are not stopped yet (state T)."""
    running = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # the thread ended meanwhile
        if state not in ("T", "t"):
            running.append(int(task.name))
    return running


def kill_hard(pid: int, timeout_s: float = 30.0) -> None:
    """SIGKILL ``pid`` and return once it is gone (reaped, if it is our child)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    await_gone([pid], timeout_s)


def kill_and_restart(process: subprocess.Popen[bytes], start: Callable[[], subprocess.Popen[bytes]],
                     ) -> subprocess.Popen[bytes]:
    """Crash ``process`` (SIGKILL) and return the new process ``start`` gives."""
    process.kill()
    process.wait()
    return start()


def close_console(process: asyncio.subprocess.Process) -> None:
    """Close our end of ``process``'s stdout pipe: its next write fails with EPIPE, as after ``| tee`` died."""
    assert process.stdout is not None
    transport = getattr(process, "_transport", None)
    assert transport is not None, "asyncio's Process keeps the pipes in its transport"
    stdout = transport.get_pipe_transport(1)
    assert stdout is not None, "the process was started without stdout=PIPE"
    stdout.close()


PID_PATTERN = re.compile(r"\(PID (\d+)\)")


def pids_in(text: str) -> list[int]:
    """Every ``(PID n)`` a supervisor printed, in order."""
    return [int(pid) for pid in PID_PATTERN.findall(text)]


def alive(pids: Iterable[int]) -> list[int]:
    return [pid for pid in pids if pid_alive(pid)]


def await_gone(pids: Iterable[int], timeout_s: float = 60.0) -> None:
    """Return when every PID has exited; fail naming the ones still running after ``timeout_s``."""
    pending = list(pids)
    deadline = time.monotonic() + timeout_s
    while (pending := alive(pending)) and time.monotonic() < deadline:
        time.sleep(0.1)  # other processes exiting: nothing to await but their PIDs
    assert not pending, f"still running after {timeout_s:.0f} s: PIDs {pending}"
