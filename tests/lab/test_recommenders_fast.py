"""The recommender comparison: one contract every registered model keeps (on a small synthetic matrix), and the
``--fast`` section end to end on the real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from botify_lab.context import LabContext
from botify_lab.recsys import section
from botify_lab.recsys.data import Interactions
from botify_lab.recsys.models.base import IncrementalRecommender
from botify_lab.recsys.models.registry import MODELS, SEQUENCE_MODELS
from botify_lab.recsys.protocol import evaluate
from botify_lab.recsys.splits import holdout


def block_interactions(n_users: int = 90, n_items: int = 90, blocks: int = 3, seed: int = 0) -> Interactions:
    """Users listen to 12 items of their own block: structure every model should find."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    per_block = n_items // blocks
    for user in range(n_users):
        block = user % blocks
        items = rng.choice(np.arange(block * per_block, (block + 1) * per_block), 12, replace=False)
        rows += [user] * len(items)
        cols += items.tolist()
    confidence = np.log1p(rng.integers(1, 500, len(rows))).astype(np.float32)
    matrix = sp.csr_matrix((confidence, (rows, cols)), shape=(n_users, n_items))
    genres = (np.arange(n_items) // per_block).astype(np.int64)
    return Interactions(matrix, np.arange(n_users), np.arange(n_items), genres, ("a", "b", "c"), "blocks")


@pytest.fixture(scope="module")
def blocks() -> Interactions:
    return block_interactions()


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_keeps_the_contract(name: str, blocks: Interactions) -> None:
    spec = MODELS[name]
    split = holdout(blocks.matrix, 0.25, seed=1)
    model = spec.build(spec.grid[0], seed=0, data=blocks)
    model.fit(split.train)
    users = np.arange(10)
    top = model.recommend(users, 5, split.train[users])
    assert top.shape == (10, 5) and top.dtype == np.int64
    assert ((top >= 0) & (top < blocks.n_items)).all()
    for user, row in zip(users, top, strict=True):
        assert not set(row) & set(split.train[user].indices), f"{name} recommended a training item"
        assert len(set(row)) == 5
    if name != "MostPop":
        # random lists find about 0.12 of the held-out items; anything that sees the blocks finds more
        assert evaluate(model, split).recall_at_10 > 0.2, name
    assert isinstance(model, IncrementalRecommender) == (spec.incremental == "per event" and name != "MostPop")


@pytest.mark.parametrize("name", [n for n, s in MODELS.items() if s.incremental == "per event"])
def test_incremental_models_learn_a_new_users_taste_from_events(name: str, blocks: Interactions) -> None:
    spec = MODELS[name]
    model = spec.build(spec.grid_for(fast=True)[0], seed=0, data=blocks)
    train = blocks.matrix[:-1]  # the last user is new to the model
    model.fit(sp.vstack([train, sp.csr_matrix((1, blocks.n_items))]).tocsr())
    newcomer = blocks.n_users - 1
    items = blocks.matrix[newcomer].indices
    before = model.scores(np.array([newcomer]))[0]
    for _ in range(20):
        model.partial_fit(np.full(len(items), newcomer), items.astype(np.int64), np.ones(len(items)))
    after = model.scores(np.array([newcomer]))[0]
    block = newcomer % 3
    in_block = np.zeros(blocks.n_items, dtype=bool)
    in_block[block * 30:(block + 1) * 30] = True

    def gap(scores: np.ndarray) -> float:
        return float(scores[in_block].mean() - scores[~in_block].mean())

    assert gap(after) > gap(before)


@pytest.mark.parametrize("name", list(SEQUENCE_MODELS))
def test_sequence_models_rank_the_whole_catalog(name: str) -> None:
    spec = SEQUENCE_MODELS[name]
    model = spec.build(spec.grid_for(fast=True)[0], seed=0)
    cycle = np.tile(np.arange(8), 20)  # 0, 1, ..., 7, 0, 1, ...
    model.fit([cycle], n_items=8)
    top = model.recommend([cycle[:13], np.array([], dtype=np.int64)], 3)
    assert top.shape == (2, 3) and ((top >= 0) & (top < 8)).all()
    if name.startswith("Markov"):
        assert top[0, 0] == 5  # after 4 always came 5


@pytest.mark.data
def test_fast_section_writes_every_model_with_every_key(data_dir: Path, tmp_path: Path) -> None:
    ctx = LabContext(out_dir=tmp_path, data_dir=data_dir, fast=True)
    result = section.run(ctx)

    rows = json.loads((tmp_path / "results.json").read_text())
    assert [r["model"] for r in rows] == [*MODELS, *SEQUENCE_MODELS]
    for row in rows:
        assert set(section.RESULT_KEYS) <= set(row), row["model"]
        assert row["family"] in {"classical", "neural", "streaming"}
        for key in ("recall_at_10", "ndcg_at_10", "map_at_10", "coverage"):
            assert 0.0 <= row[key] <= 1.0, (row["model"], key)
        assert row["train_s"] >= 0 and row["infer_ms_per_user"] > 0
        assert 50 < row["peak_mb"] < 8000 and row["loc"] > 5
        assert [p["share"] for p in row["scaling"]] == [0.25, 0.5, 1.0]
    by_name = {r["model"]: r for r in rows}
    assert by_name["EASE"]["ndcg_at_10"] > 1.5 * by_name["MostPop"]["ndcg_at_10"]
    assert by_name["Markov chain (time split)"]["recall_at_10"] > by_name["MostPop (time split)"]["recall_at_10"]
    assert by_name["Streaming MF (ours)"]["incremental"] and not by_name["EASE"]["incremental"]
    # the fresh process per model: EASE's process never loads PyTorch, Mult-VAE's does
    assert by_name["EASE"]["peak_mb"] < by_name["Mult-VAE"]["peak_mb"]

    assert "| EASE |" in result.markdown and "recommenders_scaling.png" in result.markdown
    assert (tmp_path / "figures" / "recommenders_scaling.png").stat().st_size > 5_000
    assert "Best model beats EASE" in result.summary
    assert set(result.data["targets"]) == {"beat_ease", "neural_close"}
