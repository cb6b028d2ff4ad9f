"""`botify lab genre --fast` on the real GTZAN data: both models on the same splits, its tables, plots and data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from botify_lab.cli import app
from botify_lab.genre_leakage import duplicate_groups, grouped_splits, index_blocks
from botify_lab.genre_metrics import expected_calibration_error, precision_at_k, reliability_bins


@pytest.mark.data
def test_fast_genre_section_compares_both_models_with_tables_plots_and_data(data_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["genre", "--fast", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output

    page = (tmp_path / "genre.md").read_text()
    assert "fast mode" in page and "`botify lab genre --fast`" in page
    assert "| classical (rbf-logistic on our features) |" in page and "| CNN (log-mel) |" in page
    assert "**Verdict.**" in page and "## GTZAN's faults and how the splits avoid leakage" in page
    figures = re.findall(r"\(figures/([^)]+\.png)\)", page)
    assert {"genre-confusion-audio.png", "genre-reliability.png", "genre-confusion-table.png",
            "genre-nearest-distances.png"} <= set(figures)
    assert all((tmp_path / "figures" / f).stat().st_size > 5_000 for f in figures)

    data = json.loads((tmp_path / "genre.json").read_text())
    head = data["head_to_head"]
    for model in ("classical", "cnn"):
        assert head[model]["splits"] == 3  # the same three folds for both
        assert 0.0 <= head[model]["mean"]["accuracy"] <= 1.0 and head[model]["mean"]["log_loss"] > 0
        assert 0.0 <= head[model]["mean"]["ece"] <= 1.0
        assert np.array(head[model]["confusion"]).sum() == 30  # every fast clip tested exactly once
    assert head["classical"]["mean"]["accuracy"] > 0.2  # chance is 0.1, even on 8-s excerpts
    assert set(head["precision_at_10"]) == {"handcrafted features (standardised)", "CNN embedding",
                                            "untrained log-mel statistics (logmel-stats-v1-untrained)"}
    assert head["costs"]["cnn"]["lines"] > 0 and head["costs"]["classical"]["infer_ms"] > 0
    assert len(data["table"]["leakage"]) == 3 and data["table"]["rows"] == 300


def test_calibration_error_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident() -> None:
    truth = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 1])
    honest = np.tile([0.8, 0.2], (10, 1))
    honest[truth == 1] = [0.2, 0.8]
    honest[[0, 4]] = honest[[0, 4]][:, ::-1]  # 2 of 10 wrong at confidence 0.8: accuracy 0.8
    assert expected_calibration_error(honest, truth) == pytest.approx(0.0)
    overconfident = np.where(honest > 0.5, 0.99, 0.01)
    assert expected_calibration_error(overconfident, truth) == pytest.approx(0.19)
    bins = reliability_bins(overconfident, truth)
    assert sum(b.count for b in bins) == 10 and bins[-1].accuracy == pytest.approx(0.8)


def test_neighbour_precision_counts_same_label_neighbours_excluding_the_query() -> None:
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99], [0.6, 0.8]])
    labels = np.array(["a", "a", "b", "b", "a"])
    assert precision_at_k(vectors, labels, k=1) == pytest.approx(0.8)  # the last clip's nearest is a "b"
    assert precision_at_k(vectors, labels, k=1, queries=np.array([0, 2])) == 1.0


def test_splits_keep_repeated_recordings_and_excerpt_blocks_on_one_side() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 5))
    points[1] = points[0]          # an exact repeat
    points[3] = points[2] + 1e-4   # a re-encoding
    groups, links = duplicate_groups(points, threshold=0.01)
    assert {(a, b) for a, b, _ in links} == {(0, 1), (2, 3)} and groups[0] == groups[1] != groups[2] == groups[3]
    labels = ["x", "y"] * 20
    for train, test in grouped_splits(labels, groups, folds=4, repeats=2, seed=0):
        assert not set(groups[train]) & set(groups[test])
    names = [f"pop.{i:05d}.wav" for i in range(20)]
    assert index_blocks(names, size=10).tolist() == [0] * 10 + [1] * 10
    with pytest.raises(ValueError, match="GTZAN clip name"):
        index_blocks(["song.wav"], size=10)
