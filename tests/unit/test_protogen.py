"""The committed protobuf code matches proto/, and the check notices when a .proto changes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from botify_core.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "protogen.py"


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", *args], capture_output=True, text=True,
                          check=False)


def test_committed_generated_code_is_fresh() -> None:
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_changing_a_proto_makes_the_check_fail(tmp_path: Path) -> None:
    protos = tmp_path / "proto"
    shutil.copytree(REPO_ROOT / "proto", protos)
    listen = protos / "botify" / "v1" / "listen.proto"
    listen.write_text(listen.read_text().replace("string recommendation_id = 11;",
                                                 "string recommendation_id = 11;\n  string device = 12;"))
    result = run_check("--proto-dir", str(protos))
    assert result.returncode == 1
    assert "listen_pb2.py" in result.stdout and "make proto" in result.stdout
    assert "catalog_pb2.py" not in result.stdout
