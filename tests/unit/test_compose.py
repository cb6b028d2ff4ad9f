"""docker-compose.yml cannot run here (no Docker engine), so these checks keep it in step with the local run."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from botify_api.settings import ApiSettings
from botify_audio.settings import AudioSettings
from botify_cli.main import app
from botify_core.local_kafka import INFRA_DIR, kafka_version
from botify_core.settings import REPO_ROOT, KafkaSettings, VectorSettings
from botify_ingest.settings import IngestSettings
from botify_recommender.settings import RecommenderSettings

COMPOSE: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
BOTIFY_SERVICES = {name: s for name, s in COMPOSE["services"].items() if s.get("build")}


def test_the_broker_image_is_the_pinned_kafka_version() -> None:
    assert COMPOSE["services"]["kafka"]["image"] == f"apache/kafka:{kafka_version()}"


def test_the_broker_settings_match_the_local_broker() -> None:
    local = {}
    for line in (INFRA_DIR / "server.properties").read_text().splitlines():
        if line and not line.startswith("#") and "$" not in line:
            key, value = line.split("=", 1)
            local[key] = value
    env = COMPOSE["services"]["kafka"]["environment"]
    networking = {"listener.security.protocol.map"}  # compose adds a listener for clients on the host
    shared = [k for k in local if f"KAFKA_{k.upper().replace('.', '_')}" in env and k not in networking]
    assert len(shared) >= 10
    for key in shared:
        assert str(env[f"KAFKA_{key.upper().replace('.', '_')}"]) == local[key], key


@pytest.mark.parametrize("name", sorted(BOTIFY_SERVICES))
def test_each_service_runs_a_real_botify_command(name: str) -> None:
    command = BOTIFY_SERVICES[name]["command"]
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output


def test_environment_variables_are_settings_botify_reads() -> None:
    known = {f"BOTIFY_KAFKA_{f.upper()}" for f in KafkaSettings.model_fields}
    known |= {f"BOTIFY_INGEST_{f.upper()}" for f in IngestSettings.model_fields}
    known |= {f"BOTIFY_AUDIO_{f.upper()}" for f in AudioSettings.model_fields}
    known |= {f"BOTIFY_API_{f.upper()}" for f in ApiSettings.model_fields}
    known |= {f"BOTIFY_RECOMMENDER_{f.upper()}" for f in RecommenderSettings.model_fields}
    known |= {"QDRANT_URL", "QDRANT_API_KEY"} | {f"BOTIFY_VECTORS_{f.upper()}" for f in VectorSettings.model_fields}
    for name, service in BOTIFY_SERVICES.items():
        for variable in service["environment"]:
            assert variable in known, f"{name}: {variable} is not a Botify setting"


def test_the_gateway_serves_on_its_default_port_and_is_healthy_when_ready() -> None:
    gateway = BOTIFY_SERVICES["gateway"]
    port = ApiSettings().port
    assert gateway["environment"]["BOTIFY_API_PORT"] == str(port)
    assert gateway["ports"] == [f"{port}:{port}"]
    assert gateway["healthcheck"]["test"][-1] == f"http://localhost:{port}/readyz"
    assert set(gateway["depends_on"]) == {"topics", "qdrant"}


def test_the_stream_processor_serves_health_on_its_default_port_and_keeps_a_stable_worker_id() -> None:
    worker = BOTIFY_SERVICES["recommender"]
    port = RecommenderSettings().port
    assert worker["command"] == ["recommender", "worker"]
    assert worker["environment"]["BOTIFY_RECOMMENDER_PORT"] == str(port)
    assert worker["ports"] == [f"{port}:{port}"]
    assert worker["healthcheck"]["test"][-1] == f"http://localhost:{port}/readyz"
    assert worker["environment"]["BOTIFY_RECOMMENDER_WORKER_ID"] == "0"   # its transactional id: fences a crashed self
