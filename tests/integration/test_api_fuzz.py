"""Property-based fuzzing of every HTTP service's OpenAPI with schemathesis: no 5xx, and every answer is one the
document promises (status code, content type, headers and body schema).

Each service runs as its own process (``python -m <module>``, as ``botify up`` runs it) on the real broker, with
this test's topics. Valid and invalid requests are generated from its OpenAPI document, a bounded number per
operation and mode, with a fixed seed. A new service is one more line in :data:`FUZZED`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from botify_core.processes import free_port, terminate
from botify_core.settings import KafkaSettings

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class FuzzedService:
    name: str
    module: str  # served by `python -m <module>`
    port_setting: str  # the environment variable of its port
    env: dict[str, str] = field(default_factory=dict)  # anything else it needs; "{var_dir}" is its own var/
    must_succeed: tuple[str, ...] = ()  # operations some generated request must get a 2xx from




FUZZED = [
    FuzzedService("ingest", "botify_ingest.main", "BOTIFY_INGEST_PORT", must_succeed=("POST /v1/listens",)),
    # no datasets: the worker starts on its instant fallback embedder (the HTTP surface is what is fuzzed here)
    FuzzedService("audio-worker", "botify_audio.main", "BOTIFY_AUDIO_PORT", env={"BOTIFY_DATA_DIR": "{var_dir}/none"}),
    FuzzedService("gateway", "botify_api.main", "BOTIFY_API_PORT", must_succeed=("GET /v1/recommendations",),
                  env={"BOTIFY_VECTORS_PATH": "{var_dir}/vectors",
                       "BOTIFY_API_TRENDS_STREAM_MAX_S": "0.5"}),  # each /v1/trends/stream call ends in 0.5 s
]

EXAMPLES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@contextmanager
def served(service: FuzzedService, kafka: KafkaSettings, var_dir: Path, timeout_s: float = 120.0) -> Iterator[str]:
    """Run ``service`` in its own process against ``kafka``; yield its base URL once it is ready; stop it by its PID.

    Fuzzing starts after ``/readyz`` answers 200: a 503 there before (loading a model, catching up) is by design.
    """
    port = free_port()
    own = {name: value.format(var_dir=var_dir) for name, value in service.env.items()}
    env = os.environ | own | {service.port_setting: str(port), "BOTIFY_VAR_DIR": str(var_dir),
                                      "BOTIFY_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                                      "BOTIFY_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
                                      "BOTIFY_KAFKA_PARTITIONS": str(kafka.partitions)}
    process = subprocess.Popen([sys.executable, "-m", service.module], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            assert process.poll() is None, f"{service.name} exited:\n{process.stdout.read().decode()}"  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{service.name} was not ready (/readyz) within {timeout_s:.0f} s"
            time.sleep(0.1)  # another process is starting; its readiness endpoint is all there is to poll
        yield url
    finally:
        terminate(process.pid)
        process.wait()


def fuzz(url: str) -> tuple[list[str], Counter[tuple[str, int]]]:
    """Run every operation of the service at ``url`` through both generation modes.

    Returns the failures, described, and how often each (operation, status code) was seen.
    """
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"an operation of the OpenAPI document is invalid: {result.err()}"
        operations.append(result.ok())
    assert operations, "the OpenAPI document lists no operation"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case: schemathesis.Case[Any]) -> None:
                response = case.call_and_validate(base_url=url, checks=CHECKS, timeout=30)
                seen[(case.operation.label, response.status_code)] += 1

            try:
                check()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    failures.append(f"{operation.label}: no valid request can be generated from its schema")
                # an operation that takes no input has no invalid request: nothing to send
            except Exception as exc:  # a failing example: collect it, go on with the other operations
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures, seen


@pytest.mark.parametrize("service", FUZZED, ids=[s.name for s in FUZZED])
async def test_fuzzed_requests_get_no_5xx_and_only_documented_answers(service: FuzzedService, topics: KafkaSettings,
                                                                     tmp_path: Path) -> None:
    with served(service, topics, tmp_path / "var") as url:
        failures, seen = await asyncio.to_thread(fuzz, url)
        assert not failures, "\n\n".join(failures)
        for operation in service.must_succeed:  # the fuzzer got through validation, not just bounced off it
            assert any(label == operation and status < 300 for label, status in seen), (operation, seen)
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/healthz")).status_code == 200  # and it is still serving
