"""`botify up` leaves no process behind however it ends: Ctrl-C after its console went away (`make up | tee` with
tee killed by the same Ctrl-C), or SIGKILL of `botify up` itself; the next `botify up` then starts cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

from botify_core.processes import descendants, port_open
from tests.faults import await_gone, close_console, kill_hard, pids_in
from tests.up_process import read_until, service_ports, start_up, stop_with_ctrl_c, up_env


async def test_ctrl_c_after_the_console_went_away_stops_every_child(tmp_path: Path, audio_models: Path) -> None:
    env = up_env(tmp_path / "var", audio_models)
    process = await start_up(env)
    try:
        banner = await read_until(process, "Press Ctrl-C")
        children = pids_in(banner)
        assert len(children) >= 3, banner  # Kafka, ingest, demo traffic at least
        tree = descendants(process.pid)  # and whatever they started: decode pools, ...
        assert set(children) <= set(tree)
        close_console(process)  # tee is gone: every further print of botify up fails with EPIPE
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
    await_gone(tree)
    assert not any(port_open(port) for port in service_ports(env).values())
    journal = (tmp_path / "var" / "logs" / "up.log").read_text()
    assert "stopped ingest" in journal and "stopped Kafka" in journal  # what it could not print, it wrote down


async def test_sigkill_of_botify_up_takes_its_children_with_it_and_the_next_start_is_clean(
        tmp_path: Path, audio_models: Path) -> None:
    env = up_env(tmp_path / "var", audio_models)
    process = await start_up(env)
    try:
        children = pids_in(await read_until(process, "Press Ctrl-C"))
        assert len(children) >= 3
        tree = descendants(process.pid)
        assert set(children) <= set(tree)
    finally:
        kill_hard(process.pid)
        await process.wait()
    await_gone(tree)  # the kernel told each child that its parent died, and each of theirs
    assert not any(port_open(port) for port in service_ports(env).values())

    # the same var/, fresh ports: one picked before the first run may since serve an outgoing connection
    again = await start_up(up_env(tmp_path / "var", audio_models))
    try:
        banner = await read_until(again, "Press Ctrl-C")
        assert "already running" not in banner and "taken" not in banner
        assert "Kafka up" in banner  # its own broker, not a stray one from the killed run
        await stop_with_ctrl_c(again)
    finally:
        if again.returncode is None:
            again.kill()
    await_gone(pids_in(banner))
