"""Prequential evaluation: the loop scores every event before the model learns it, ranks and exclusions are right,
the streaming models learn something a popularity count does not, and the ``--fast`` section runs end to end on
the real data and writes its page, figure and figures file."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from botify_datasets.genres import GENRES
from botify_lab import prequential, prequential_loop
from botify_lab.context import LabContext
from botify_lab.prequential_clustering import stream_tastes
from botify_lab.prequential_loop import FloatArray, IntArray, Stream, replay, top_k_ranks
from botify_lab.prequential_models import OnlineParams, ParameterServerMF, Popularity, RiverMF
from botify_lab.report import write_section
from botify_models.online_kmeans import OnlineKMeans


def test_docstring_examples() -> None:
    result = doctest.testmod(prequential_loop)
    assert result.attempted > 0 and result.failed == 0


class LastLearned:
    """Ranks first the last item it learned, and logs every call: a model that would score perfectly if the loop
    ever let it learn an event before ranking for it."""

    def __init__(self, n_items: int) -> None:
        self.n_items, self.last, self.learned = n_items, -1, 0
        self.calls: list[tuple[str, int, int]] = []   # (call, events learned before it, events in it)

    def scores(self, users: IntArray, histories: sp.csr_matrix) -> FloatArray:
        self.calls.append(("scores", self.learned, len(users)))
        row = np.full(self.n_items, -np.inf)
        if self.last >= 0:
            row[self.last] = 1.0
        return np.tile(row, (len(users), 1))

    def learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        self.calls.append(("learn", self.learned, len(users)))
        self.learned += len(users)
        self.last = int(items[-1])


def toy_stream(users: list[int], items: list[int]) -> Stream:
    return Stream("toy", np.array(users, dtype=np.int64), np.array(items, dtype=np.int64),
                  np.ones(len(users)), max(users) + 1, max(items) + 1, "toy")


@pytest.mark.parametrize("batch", [1, 3])
def test_every_event_is_scored_before_it_is_learned(batch: int) -> None:
    stream = toy_stream([0, 1, 0, 2, 1, 0, 2], [0, 1, 2, 3, 4, 5, 6])   # every event a new item
    model = LastLearned(stream.n_items)
    scored = replay(stream, model, batch=batch)
    assert scored.events.tolist() == list(range(7))
    assert (scored.ranks == -1).all()   # it only ever knows items already played: never the one being asked
    starts = list(range(0, 7, batch))
    assert [c for c in model.calls if c[0] == "scores"] == [("scores", s, min(batch, 7 - s)) for s in starts]
    assert [c for c in model.calls if c[0] == "learn"] == [("learn", s, min(batch, 7 - s)) for s in starts]
    order = [c[0] for c in model.calls]
    assert order == ["scores", "learn"] * len(starts)


def test_repeats_are_learned_not_scored_and_a_batch_excludes_its_earlier_events() -> None:
    # user 0 plays item 0, then item 1, then item 0 again (all in one batch); user 1 then plays item 0
    stream = toy_stream([0, 0, 0, 1], [0, 1, 0, 0])
    popularity = Popularity(stream.n_items)
    scored = replay(stream, popularity, batch=3)
    assert scored.events.tolist() == [0, 1, 3]
    assert popularity.counts.tolist() == [3.0, 1.0]            # the repeat was learned
    assert scored.ranks.tolist() == [-1, -1, 0]                # user 1 gets item 0, the most played


def test_events_before_start_only_build_histories() -> None:
    stream = toy_stream([0, 0, 1, 0], [0, 1, 1, 1])
    model = LastLearned(stream.n_items)
    scored = replay(stream, model, start=2, batch=1)
    assert scored.events.tolist() == [2]                       # event 3 repeats item 1 for user 0 (seen at 1)
    assert model.calls == [("scores", 0, 1), ("learn", 0, 1), ("learn", 1, 1)]


@settings(max_examples=60, deadline=None)
@given(scores=arrays(np.float64, (4, 9), elements=st.sampled_from([-np.inf, 0.0, 0.5, 1.0, 2.0])),
       targets=arrays(np.int64, 4, elements=st.integers(0, 8)), k=st.integers(1, 9))
def test_rank_of_the_target_matches_a_full_sort(scores: np.ndarray, targets: np.ndarray, k: int) -> None:
    ranks = top_k_ranks(scores, targets, k)
    for row, target, rank in zip(scores, targets, ranks, strict=True):
        order = sorted(range(len(row)), key=lambda i: (-row[i], i))   # ties: lower index first
        expected = order.index(int(target))
        assert rank == (expected if expected < k and np.isfinite(row[target]) else -1)


def block_stream(n_users: int = 120, blocks: int = 4, per_block: int = 25, plays: int = 12,
                 seed: int = 0) -> Stream:
    """Users play items of their own block only, interleaved in time: structure a factor model can find."""
    rng = np.random.default_rng(seed)
    events = [(u, int(rng.integers(0, per_block)) + (u % blocks) * per_block) for u in range(n_users)
              for _ in range(plays)]
    order = rng.permutation(len(events))
    return Stream("blocks", np.array([events[i][0] for i in order]), np.array([events[i][1] for i in order]),
                  np.ones(len(events)), n_users, blocks * per_block, "blocks")


@pytest.mark.parametrize("build", [ParameterServerMF, RiverMF], ids=["ours", "river"])
def test_streaming_models_find_the_blocks_that_popularity_cannot(build: type) -> None:
    stream = block_stream()
    popular = replay(stream, Popularity(stream.n_items), batch=16)
    learned = replay(stream, build(stream.n_users, stream.n_items,
                                            OnlineParams(16, 0.2, 0.01, 4)), batch=16)
    late = len(stream) // 2
    # four equal blocks: popularity puts about a quarter of its top 10 in the user's block
    assert learned.between(late, len(stream)).recall() > popular.between(late, len(stream)).recall() + 0.2


def test_a_users_taste_is_learned_at_five_plays_and_each_time_they_double() -> None:
    genres = ["rock"] * 30 + ["unknown"] * 50 + ["jazz"] * 10        # 40 plays with a genre, 50 without
    log = pd.DataFrame({"user_id": ["ann"] * len(genres) + ["bob"] * 4, "genre": genres + ["pop"] * 4})
    model = OnlineKMeans(k=1, dim=len(GENRES), warmup=1)
    tastes, learned = stream_tastes(log, model)
    assert learned == 4                                              # at 5, 10, 20 and 40 plays
    assert tastes.index.tolist() == ["ann"]                          # bob has 4 plays: below the minimum
    assert tastes.loc["ann", "rock"] == pytest.approx(0.75) and tastes.loc["ann", "jazz"] == pytest.approx(0.25)
    assert model.counts.sum() == 4


@pytest.mark.data
def test_fast_section_writes_its_page_figure_and_figures(data_dir: Path, tmp_path: Path) -> None:
    ctx = LabContext(out_dir=tmp_path, data_dir=data_dir, fast=True)
    section = prequential.run(ctx)
    path = write_section(ctx, section, "botify lab prequential --fast")
    page = path.read_text()
    assert "## 30Music" in page and "## HetRec 2k" in page and "NDCG@10" in page
    assert "![prequential](figures/prequential.png)" in page and (tmp_path / "figures" / "prequential.png").is_file()
    data = json.loads((tmp_path / "prequential.json").read_text())
    assert [s["name"] for s in data["streams"]] == ["30Music", "HetRec 2k"]
    for stream in data["streams"]:
        assert len(stream["slices"]) == 2
        whole = stream["whole"]
        assert whole["Popularity"]["scored"] == whole["Streaming MF (ours)"]["scored"] > 100
        for model in whole.values():
            assert 0.0 <= model["ndcg_at_10"] <= model["recall_at_10"] <= 1.0
    assert {t["stream"] for t in data["targets"]} == {"30Music", "HetRec 2k"}
    clustering = data["clustering"]
    assert clustering["users"] > 100 and -1.0 <= clustering["online_vs_offline"] <= 1.0
