"""The description of this machine that every benchmark saves beside its figures."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import tempfile
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botify_core.local_kafka import LocalKafka
from botify_core.settings import REPO_ROOT


def describe() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages * size / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory_gib, "python": platform.python_version(),
            "platform": platform.platform(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (0 for a process that is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _markers(marker: str) -> tuple[str, str]:
    return f"<!-- {marker} -->", f"<!-- /{marker} -->"


def readme_table(text: str, marker: str) -> str | None:
    """The table :func:`update_readme_table` put between the markers in ``text``; None if they are absent."""
    start, end = _markers(marker)
    if start not in text or end not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0].removeprefix("\n").removesuffix("\n")


def update_readme_table(readme: Path, marker: str, table: str) -> bool:
    """Replace the text between ``<!-- marker -->`` and ``<!-- /marker -->`` in the README; False if absent."""
    text = readme.read_text()
    start, end = _markers(marker)
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{table}\n{end}{tail}")
    return True


def on_local_broker(run: Callable[[LocalKafka, Path], Coroutine[Any, Any, dict[str, Any]]],
                    workdir: Path | None = None) -> dict[str, Any]:
    """``run(broker, workdir)`` against a fresh local Kafka broker, stopped by its PID afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        home = workdir or Path(tmp)
        broker = LocalKafka(home / "kafka", port=0)
        broker.start()
        try:
            return asyncio.run(run(broker, home))
        finally:
            broker.stop()


def publish(result: dict[str, Any], out: Path, default_out: Path, marker: str,
            table: Callable[[dict[str, Any]], str]) -> None:
    """Save ``result`` as JSON, print its table, and put the table in the README when saved where it belongs."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    markdown = table(result)
    print(markdown)
    if out == default_out and update_readme_table(REPO_ROOT / "README.md", marker, markdown):
        print("README table updated")
