"""`botify lab report --fast` end to end on the real data, and `botify lab eda --log` on a listening-log file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from botify_datasets.synthetic import make_world, synthetic_log
from botify_lab.cli import app
from botify_lab.sections import SECTIONS
from botify_lab.time_window import parse_instant


def figures_of(page: Path) -> list[Path]:
    return [page.parent / "figures" / name for name in re.findall(r"\(figures/([^)]+\.png)\)", page.read_text())]


@pytest.mark.data
def test_fast_report_writes_every_page_with_its_figures_and_data(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "lab"
    result = CliRunner().invoke(app, ["report", "--fast", "--out", str(out)])
    assert result.exit_code == 0, result.output

    pages = re.findall(r"\]\(([\w-]+)\.md\)", (out / "README.md").read_text())
    assert len(pages) == len(SECTIONS) and {"eda", "clusters"} <= set(pages)
    for slug in pages:
        page = out / f"{slug}.md"
        assert "fast mode" in page.read_text()
        figures = figures_of(page)
        assert figures, f"{slug}.md shows no figure"
        assert all(f.is_file() and f.stat().st_size > 5_000 for f in figures), figures
        assert json.loads((out / f"{slug}.json").read_text())

    eda = (out / "eda.md").read_text()
    names = {f.name for f in figures_of(out / "eda.md")}
    for source in ("hetrec-2k", "lastfm-1k"):
        assert {f"eda-{source}-genre-plays.png", f"eda-{source}-genre-minutes.png",
                f"eda-{source}-long-tail.png"} <= names
    assert "Genre popularity in the window: plays and minutes listened" in eda
    assert re.search(r"### Top 5 tracks per genre per \w+", eda)
    assert "| ts_ms | simulated |" in eda and "| ts_ms | real |" in eda  # provenance of both logs
    data = json.loads((out / "eda.json").read_text())
    assert {r["genre"] for r in data["hetrec-2k"]["top_tracks"]} >= {"rock", "pop"}

    clusters = (out / "clusters.md").read_text()
    assert "clusters-map.png" in clusters and "clusters-k-selection.png" in clusters
    assert "## Clusters described" in clusters
    chosen = json.loads((out / "clusters.json").read_text())["chosen"]
    assert {c["method"] for c in chosen} >= {"k-means", "gaussian mixture"}
    assert all(c["k"] >= 2 for c in chosen if c["method"] != "HDBSCAN (density)")

    if "recommenders" in SECTIONS:  # the recommender section publishes its numbers as results.json
        assert list(out.rglob("results.json"))


def test_eda_runs_on_a_listening_log_file_with_a_window_and_period(tmp_path: Path) -> None:
    start = parse_instant("2024-03-01")
    log = synthetic_log(make_world(n_artists=8, n_users=20, seed=2), 3_000, start_ms=start, seed=2)
    path = tmp_path / "listens.csv"
    log.save(path)
    out = tmp_path / "out"
    last = int(log.frame["ts_ms"].max())
    window_end = (start + last) // 2

    refused = CliRunner().invoke(app, ["eda", "--log", str(path), "--to", "next week", "--out", str(out)])
    assert refused.exit_code != 0 and "expected an ISO date" in refused.output
    refused = CliRunner().invoke(app, ["eda", "--log", str(path), "--period", "fortnight", "--out", str(out)])
    assert refused.exit_code != 0 and "unknown period" in refused.output

    end_iso = pd.Timestamp(window_end, unit="ms", tz="UTC").isoformat()
    result = CliRunner().invoke(app, ["eda", "--log", str(path), "--from", "2024-03-01", "--to", end_iso,
                                      "--period", "day", "--top-n", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "eda.md").read_text()
    assert "`botify lab eda --from 2024-03-01" in page and "--period day" in page
    assert "## listens" in page and "### Top 2 tracks per genre per day" in page
    assert "Vocabularies" not in page  # a log file brings no tag data
    data = json.loads((out / "eda.json").read_text())["listens"]
    assert data["overview"]["plays"] == int((log.frame["ts_ms"] < window_end).sum())
    assert all(len(r["period"]) == 10 for r in data["genre_by_period"])  # days, like 2024-03-01
    assert max(r["rank"] for r in data["top_tracks"]) == 2
    assert all(f.is_file() for f in figures_of(out / "eda.md"))
