"""Hyper-parameters are chosen by NDCG@10 on a validation split (never the test split): each configuration of a
model's grid is fitted on the validation split's training part and scored on its held-out part (the holdout
split's validation users' items, or the time split's later validation plays)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from botify_lab.recsys.data import Interactions
from botify_lab.recsys.models.base import Recommender, SequenceRecommender
from botify_lab.recsys.models.registry import ModelSpec, Params
from botify_lab.recsys.protocol import Quality, evaluate
from botify_lab.recsys.sessions import SessionSplit, evaluate_sessions
from botify_lab.recsys.splits import Split


@dataclass(frozen=True)
class Tuned:
    params: Params
    trials: list[dict[str, Any]]     # per configuration: params, validation NDCG@10, fit seconds

    @property
    def best_validation_ndcg(self) -> float:
        return max(float(t["ndcg_at_10"]) for t in self.trials)


def tune(spec: ModelSpec, seed: int, fast: bool, trial: Callable[[Any], Quality],
         data: Interactions | None = None) -> Tuned:
    """``trial(model)`` fits the model on the validation split's training part and scores it."""
    trials = []
    for params in tqdm(spec.grid_for(fast), desc=f"tuning {spec.name}", leave=False):
        model = spec.build(params, seed, data)
        started = time.perf_counter()
        ndcg = trial(model).ndcg_at_10
        trials.append({"params": params, "ndcg_at_10": ndcg, "fit_and_score_s": time.perf_counter() - started})
    best = max(trials, key=lambda t: float(t["ndcg_at_10"]))
    return Tuned(dict(best["params"]), trials)


def holdout_trial(validation: Split) -> Callable[[Recommender], Quality]:
    def trial(model: Recommender) -> Quality:
        model.fit(validation.train)
        return evaluate(model, validation)
    return trial


def session_trial(validation: SessionSplit) -> Callable[[SequenceRecommender], Quality]:
    def trial(model: SequenceRecommender) -> Quality:
        model.fit(validation.train, validation.n_items)
        return evaluate_sessions(model, validation)
    return trial
