"""Run the whole comparison: tune every model on its validation split, then fit the tuned model in a fresh process
and measure it on the test split. One row per model, with the keys ``docs/lab/results.json`` promises."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from botify_lab.context import LabContext
from botify_lab.recsys import sessions
from botify_lab.recsys.data import hetrec_interactions
from botify_lab.recsys.measure import Measured, holdout_job, in_fresh_process, session_job
from botify_lab.recsys.models.registry import MODELS, SEQUENCE_MODELS, ModelSpec
from botify_lab.recsys.source_lines import code_lines
from botify_lab.recsys.splits import protocol_splits
from botify_lab.recsys.tuning import Tuned, holdout_trial, session_trial, tune

HOLDOUT = "holdout"
TIME = "time"
FAST_USERS = 300


@dataclass(frozen=True)
class Evaluation:
    rows: list[dict[str, Any]]              # one per model, holdout split first
    descriptions: dict[str, str]            # split -> what data it is
    trials: dict[str, list[dict[str, Any]]]  # model -> every validation trial


def lines_of_code(spec: ModelSpec) -> int:
    """The model's own module, plus the project's own code it runs (our streaming MF's core)."""
    return code_lines(spec.module_path) + sum(code_lines(module) for module in spec.also_counts)


def result_row(spec: ModelSpec, split: str, tuned: Tuned, measured: Measured) -> dict[str, Any]:
    quality, timings = measured.quality, measured.timings
    return {
        "model": spec.name, "family": spec.family, "split": split,
        "recall_at_10": quality.recall_at_10, "ndcg_at_10": quality.ndcg_at_10, "map_at_10": quality.map_at_10,
        "coverage": quality.coverage, "novelty": quality.novelty, "users": quality.users,
        "train_s": timings.train_s, "infer_ms_per_user": timings.infer_ms_per_user, "peak_mb": timings.peak_mb,
        "fit_growth_mb": timings.fit_growth_mb, "loc": lines_of_code(spec),
        "incremental": spec.incremental.startswith("per event"), "updates": spec.incremental,
        "params": tuned.params, "validation_ndcg_at_10": tuned.best_validation_ndcg,
        "scaling": [{"share": share, "interactions": n, "train_s": s}
                    for share, (n, s) in sorted(measured.scaling.items())],
    }


def _chosen(registry: dict[str, ModelSpec], names: Sequence[str] | None) -> list[ModelSpec]:
    if names is None:
        return list(registry.values())
    return [registry[name] for name in names if name in registry]


def run_evaluation(ctx: LabContext, names: Sequence[str] | None = None) -> Evaluation:
    """Every registered model (or only ``names``) on both splits; ``ctx.fast`` samples users and shortens
    training."""
    unknown = sorted(set(names or ()) - set(MODELS) - set(SEQUENCE_MODELS))
    if unknown:
        raise ValueError(f"unknown models {unknown}; choose from {[*MODELS, *SEQUENCE_MODELS]}")
    rows, trials = [], {}
    data = hetrec_interactions(ctx.hetrec, max_users=FAST_USERS if ctx.fast else None, seed=ctx.seed)
    validation, test = protocol_splits(data.matrix, ctx.seed)
    for spec in tqdm(_chosen(MODELS, names), desc="holdout split"):
        tuned = tune(spec, ctx.seed, ctx.fast, holdout_trial(validation), data)
        measured = in_fresh_process(holdout_job, spec.name, tuned.params, data, test, ctx.seed, ctx.fast)
        rows.append(result_row(spec, HOLDOUT, tuned, measured))
        trials[spec.name] = tuned.trials
    plays = ctx.lastfm1k_log.frame
    time_validation, time_test = sessions.validation_split(plays), sessions.time_split(plays)
    for spec in tqdm(_chosen(SEQUENCE_MODELS, names), desc="time split"):
        tuned = tune(spec, ctx.seed, ctx.fast, session_trial(time_validation))
        measured = in_fresh_process(session_job, spec.name, tuned.params, time_test, ctx.seed, ctx.fast)
        rows.append(result_row(spec, TIME, tuned, measured))
        trials[spec.name] = tuned.trials
    return Evaluation(rows, {HOLDOUT: data.description, TIME: time_test.description}, trials)
