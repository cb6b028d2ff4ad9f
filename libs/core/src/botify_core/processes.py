"""Child processes and ports on this machine: started, watched and stopped by their own PID.

``signals_deferred`` closes the window between starting a child and recording its PID: a Ctrl-C that lands in
between would otherwise leave a child nobody knows about. ``die_with_parent`` makes a child end with the process
that started it, however that process ends (SIGKILL included), so a supervisor never leaves strays behind.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def arm_parent_death_signal(parent: int, signum: int = signal.SIGTERM) -> None:
    """In a child process: receive ``signum`` when ``parent`` (the process that started it) dies (Linux).

    The kernel sends it (``PR_SET_PDEATHSIG``) however the parent ends, SIGKILL included; it fires when the parent
    *thread* that started the child ends, so start such children from a thread that lives as long as the process.
    A parent that died before this ran is caught by comparing the parent PID. A module-level function, so it can
    also be a process pool's ``initializer`` (``initargs=(os.getpid(),)``). Elsewhere than Linux it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent is already gone: act as the kernel would have
        os.kill(os.getpid(), signum)


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child gets ``signum`` when the process starting it dies.

    See :func:`arm_parent_death_signal`. Elsewhere than Linux: ``None`` (no pre-exec function), and the
    supervisor's own clean-up is all there is.
    """
    if not sys.platform.startswith("linux"):
        return None
    return functools.partial(arm_parent_death_signal, os.getpid(), signum)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie child of ours is reaped and counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: ask /proc whether it is a zombie
        return _proc_state(pid) not in ("zombie", "gone")
    return reaped == 0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` now: its children, theirs, and so on (read from /proc; Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, pending = [], list(children.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending += children.get(child, [])
    return found


def _proc_state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    match = re.search(r"^State:\s+\S+\s+\((\w+)\)", status, re.MULTILINE)
    return match.group(1) if match else "unknown"


def terminate(pid: int, timeout_s: float = 30.0) -> None:
    """SIGTERM ``pid`` and wait for it to exit; SIGKILL when it does not in time (at once when timeout_s is 0).

    A process that is already gone is fine: there is nothing left to stop.
    """
    try:
        if timeout_s > 0:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)  # waiting for another process to exit: nothing to await but its PID
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            while pid_alive(pid):
                time.sleep(0.05)
    except ProcessLookupError:
        return


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends; they are delivered then, to the handlers of before, not lost.

    Python runs signal handlers in the main thread whichever thread the kernel picked, so swapping the handlers
    holds them reliably; blocking them with a thread's signal mask would not, once any other thread exists.
    Call it from the main thread.
    """
    held: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        held.append(signum)

    previous = {number: signal.signal(number, hold) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for signum in held:
            signal.raise_signal(signum)
