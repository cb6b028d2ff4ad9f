"""`make up` (`botify up`): Kafka, topics, demo data, ingest and demo traffic come up; Ctrl-C stops them all;
a second run resumes the first one's state."""

from __future__ import annotations

from pathlib import Path

from botify_core.processes import port_open
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from tests.kafka_helpers import consume
from tests.up_process import read_until, service_ports, start_up, stop_with_ctrl_c, up_env


async def test_up_runs_the_system_and_ctrl_c_stops_everything(tmp_path: Path, audio_models: Path) -> None:
    env = up_env(tmp_path / "var", audio_models)
    ports = service_ports(env)
    kafka_port, ingest_port = ports["kafka"], ports["BOTIFY_INGEST_PORT"]
    process = await start_up(env)
    try:
        banner = await read_until(process, "Press Ctrl-C")
        assert f"({len(Topic)} created" in banner
        assert f"http://127.0.0.1:{ingest_port}/docs" in banner
        assert "accepts listens without a token" in banner
        listens = await consume(KafkaSettings(bootstrap_servers=f"127.0.0.1:{kafka_port}"), Topic.LISTENS, 25, 60)
        assert len(listens) >= 25
        stopped = await stop_with_ctrl_c(process)
    finally:
        if process.returncode is None:
            process.kill()
    assert "stopped ingest" in stopped and "stopped demo-traffic" in stopped and "stopped Kafka" in stopped
    assert not port_open(kafka_port) and not port_open(ingest_port)
    assert not (tmp_path / "var" / "kafka" / "broker.pid").exists()
    world = (tmp_path / "var" / "demo" / "tracks.csv").read_bytes()

    again = await start_up(env)
    try:
        banner = await read_until(again, "Press Ctrl-C")
        assert f"0 created, {len(Topic)} already there" in banner
        stopped = await stop_with_ctrl_c(again)
    finally:
        if again.returncode is None:
            again.kill()
    assert (tmp_path / "var" / "demo" / "tracks.csv").read_bytes() == world
    assert not port_open(kafka_port)

    interrupted = await start_up(env)  # Ctrl-C while Kafka is still starting: everything started stops too
    try:
        await read_until(interrupted, "starting Kafka")
        stopped = await stop_with_ctrl_c(interrupted)
    finally:
        if interrupted.returncode is None:
            interrupted.kill()
    assert "stopping" in stopped
    assert not port_open(kafka_port) and not port_open(ingest_port)
    assert not (tmp_path / "var" / "kafka" / "broker.pid").exists()
