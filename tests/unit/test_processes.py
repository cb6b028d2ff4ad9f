"""Stopping processes by PID, and holding Ctrl-C while a child is started and recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from botify_core.processes import pid_alive, signals_deferred, terminate


def test_terminate_stops_a_process_and_tolerates_one_already_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    terminate(child.pid, timeout_s=10)
    assert not pid_alive(child.pid)
    terminate(child.pid, timeout_s=10)  # gone already: nothing to do, no error


def test_terminate_kills_a_process_that_ignores_sigterm() -> None:
    code = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
            "time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    terminate(child.pid, timeout_s=0.5)
    assert not pid_alive(child.pid)


def test_a_signal_raised_while_deferred_arrives_after_the_block() -> None:
    order: list[str] = []

    def handler(_signum: int, _frame: object) -> None:
        order.append("signal")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            order.append("block")
        order.append("after")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert order == ["block", "signal", "after"]


def test_interrupt_is_deferred_too() -> None:
    reached = []

    def interrupt_inside_block() -> None:
        with signals_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("end of block")

    with pytest.raises(KeyboardInterrupt):
        interrupt_inside_block()
    assert reached == ["end of block"]


def test_deferral_holds_even_with_other_threads_running() -> None:
    # a process-directed signal may be delivered to any thread; the hold must not depend on which
    stop = threading.Event()
    workers = [threading.Thread(target=stop.wait) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(20):
            test_a_signal_raised_while_deferred_arrives_after_the_block()
    finally:
        stop.set()
        for worker in workers:
            worker.join()
