"""`botify audio train`: finds labelled clips in each supported layout, trains, saves a model and its card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from botify_audio.clips import labelled_clips
from botify_cli.main import app


def clip(path: Path, hz: float, seconds: float = 3.5, rate: int = 16_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)
    return path


def test_clips_by_genre_folder_and_the_demo_layout(tmp_path: Path) -> None:
    for i in range(2):
        clip(tmp_path / "folders" / "low" / f"{i}.wav", 110.0 + i)
        clip(tmp_path / "folders" / "high" / f"{i}.flac", 1760.0 + i)
    found = labelled_clips(tmp_path / "folders")
    assert sorted(found.labels) == ["high", "high", "low", "low"] and all(p.is_file() for p in found.paths)

    demo = tmp_path / "demo"
    clip(demo / "audio" / "syn-t1.flac", 200.0)
    (demo / "tracks.csv").write_text("track_id,genre\nsyn-t1,rock\nsyn-t2,jazz\n")  # t2 has no audio: left out
    found = labelled_clips(demo)
    assert found.labels == ["rock"] and "demo" in found.name

    with pytest.raises(ValueError, match="no labelled clips"):
        labelled_clips(tmp_path / "nothing")


def test_train_command_saves_a_model_with_its_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        clip(tmp_path / "data" / "low" / f"{i}.wav", 110.0 * (1 + i / 10))
        clip(tmp_path / "data" / "high" / f"{i}.wav", 1760.0 * (1 + i / 10))
    monkeypatch.setenv("BOTIFY_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["audio", "train", "--data", str(tmp_path / "data"), "--epochs", "1",
                                      "--threads", "1", "--val-fraction", "0.25"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "var" / "models" / "audio"
    version = (root / "LATEST").read_text().strip()
    assert version in result.output and "validation accuracy" in result.output
    card = json.loads((root / version / "card.json").read_text())
    assert card["data"]["clips"] == 8 and card["split"]["validation"] == 2 and card["metrics"]["n"] == 2
    bad = CliRunner().invoke(app, ["audio", "train", "--data", str(tmp_path / "empty")])
    assert bad.exit_code != 0 and "no labelled clips" in bad.output
