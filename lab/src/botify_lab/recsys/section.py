"""The report section ``recommenders``: the comparison's tables, the scaling plot, the targets and the discussion;
``results.json`` (one object per model) goes next to the page."""

from __future__ import annotations

import json
from typing import Any

import matplotlib.pyplot as plt

from botify_lab.context import LabContext
from botify_lab.recsys.discussion import NOTES
from botify_lab.recsys.evaluation import HOLDOUT, TIME, Evaluation, run_evaluation
from botify_lab.recsys.measure import LATENCY_USERS
from botify_lab.recsys.splits import TEST_FRACTION, VALIDATION_FRACTION
from botify_lab.report import Section, markdown_table, save_figure

COMMAND = "botify lab eval"  # the same run as `botify lab report --only recommenders`
RESULT_KEYS = ("model", "recall_at_10", "ndcg_at_10", "map_at_10", "coverage", "train_s", "infer_ms_per_user",
               "peak_mb", "family")
BEAT_EASE_BY = 0.05
NEURAL_WITHIN = 0.05


def _table(rows: list[dict[str, Any]]) -> str:
    shown = [{"model": r["model"], "family": r["family"], "Recall@10": r["recall_at_10"],
              "NDCG@10": r["ndcg_at_10"], "MAP@10": r["map_at_10"], "coverage": r["coverage"],
              "novelty (bits)": f"{r['novelty']:.2f}", "train s": f"{r['train_s']:.1f}",
              "infer ms/user": f"{r['infer_ms_per_user']:.2f}", "peak MB": f"{r['peak_mb']:.0f}",
              "LOC": r["loc"], "incremental": r["updates"]} for r in rows]
    return markdown_table(shown)


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's two targets on the holdout split, with by how much each was met or missed."""
    holdout = [r for r in rows if r["split"] == HOLDOUT]
    by_name = {r["model"]: r for r in holdout}
    result: dict[str, Any] = {}
    if "EASE" in by_name:
        ease = by_name["EASE"]["ndcg_at_10"]
        best = max((r for r in holdout if r["model"] != "EASE"), key=lambda r: r["ndcg_at_10"], default=None)
        if best is not None:
            gain = best["ndcg_at_10"] / ease - 1
            result["beat_ease"] = {
                "ease_ndcg": ease, "best_model": best["model"], "best_ndcg": best["ndcg_at_10"], "gain": gain,
                "target": BEAT_EASE_BY, "met": gain >= BEAT_EASE_BY,
                "ease_validation_ndcg": by_name["EASE"]["validation_ndcg_at_10"],
                "best_validation_ndcg": best["validation_ndcg_at_10"]}
    classical = [r for r in holdout if r["family"] == "classical"]
    neural = [r for r in holdout if r["family"] == "neural"]
    if classical and neural:
        top_c = max(classical, key=lambda r: r["ndcg_at_10"])
        top_n = max(neural, key=lambda r: r["ndcg_at_10"])
        gap = 1 - top_n["ndcg_at_10"] / top_c["ndcg_at_10"]
        result["neural_close"] = {"best_classical": top_c["model"], "classical_ndcg": top_c["ndcg_at_10"],
                                  "best_neural": top_n["model"], "neural_ndcg": top_n["ndcg_at_10"],
                                  "gap": gap, "target": NEURAL_WITHIN, "met": gap <= NEURAL_WITHIN}
    return result


def _targets_markdown(found: dict[str, Any]) -> str:
    lines = []
    if "beat_ease" in found:
        t = found["beat_ease"]
        verdict = "met" if t["met"] else f"missed by {100 * (t['target'] - t['gain']):.1f} points"
        validation_gain = t["best_validation_ndcg"] / t["ease_validation_ndcg"] - 1
        if t["met"] and validation_gain < t["target"]:
            verdict += (" on the test split, but narrowly: the gain on the validation split was smaller, so the "
                        "margin is within what another seed could change")
        lines.append(f"- **Best model beats EASE's NDCG@10 by >= 5%: {verdict}.** {t['best_model']} "
                     f"{t['best_ndcg']:.4f} vs EASE {t['ease_ndcg']:.4f} ({100 * t['gain']:+.1f}%); on the "
                     f"validation split {t['best_validation_ndcg']:.4f} vs {t['ease_validation_ndcg']:.4f} "
                     f"({100 * (t['best_validation_ndcg'] / t['ease_validation_ndcg'] - 1):+.1f}%).")
    if "neural_close" in found:
        t = found["neural_close"]
        verdict = "met" if t["met"] else f"missed by {100 * (t['gap'] - t['target']):.1f} points"
        lines.append(f"- **Best neural within 5% of the best classical: {verdict}.** {t['best_neural']} "
                     f"{t['neural_ndcg']:.4f} vs {t['best_classical']} {t['classical_ndcg']:.4f} "
                     f"({100 * t['gap']:.1f}% below).")
    return "\n".join(lines) or "_(the targets need EASE, a classical and a neural model in the run)_"


WHY_EASE_IS_HARD = """\
Why beating EASE by 5% is hard here: with 1.9k users and 4.6k artists, EASE's closed form is the exact optimum
of a well-regularised item-item linear model, and on a small catalog with long user histories (about 33 artists
per user after filtering) such a model is close to the best collaborative filtering reaches; reproducibility
studies (Ferrari Dacrema et al., 2019 and 2021) found well-tuned item-item baselines hard to beat on data of this
size. To beat it a model needs information EASE lacks: the reranker adds popularity, confidence and genre features
and RP3beta's and ALS's views, but its trees must learn from an inner split of the training data (never the test
set), whose base models saw 20% fewer artists than the ones whose candidates they rerank at test time."""

WHY_NEURAL_LAGS = """\
Why the neural models lag: Mult-VAE and the two-tower model have millions of parameters (two 4.6k x 600 layers;
a 4.6k x 128 user tower plus item embeddings) for 1.9k users' 62k training pairs, so they are data-starved where
an item-item model with one regulariser is not, and the 2-core CPU budget limits them to tens of epochs. More
users, or item features richer than one genre, are what would close the gap."""


def _why(found: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    parts = []
    validation = {r["model"]: r["validation_ndcg_at_10"] for r in rows}
    if "beat_ease" in found and not found["beat_ease"]["met"]:
        best = found["beat_ease"]["best_model"]
        parts.append(WHY_EASE_IS_HARD + f" On validation, {best} scored {validation[best]:.4f} against EASE's "
                     f"{validation['EASE']:.4f}.")
    if "neural_close" in found and not found["neural_close"]["met"]:
        parts.append(WHY_NEURAL_LAGS)
    return "\n\n".join(parts)


def _scaling_figure(ctx: LabContext, rows: list[dict[str, Any]]) -> str:
    figure, axis = plt.subplots(figsize=(8, 5))
    colours = [plt.get_cmap("tab20")(j) for j in range(20)]
    for i, row in enumerate(rows):
        points = row["scaling"]
        axis.plot([p["interactions"] for p in points], [max(p["train_s"], 1e-4) for p in points],
                  marker="osD^v"[i % 5], color=colours[(2 * i) % 20 + (i // 10) % 2], label=row["model"])
    axis.set(xscale="log", yscale="log", xlabel="training interactions (25%, 50%, 100% of the users)",
             ylabel="train time (s)", title="Train time vs data size (holdout split)")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.grid(alpha=0.3, which="both")
    return save_figure(ctx, figure, "recommenders_scaling")


def _quality_figure(ctx: LabContext, rows: list[dict[str, Any]]) -> str:
    figure, axis = plt.subplots(figsize=(7, 4.5))
    colours = {"classical": "tab:blue", "neural": "tab:red", "streaming": "tab:green"}
    for row in rows:
        axis.scatter(max(row["train_s"], 1e-3), row["ndcg_at_10"], color=colours[row["family"]])
        axis.annotate(row["model"].split(" (")[0], (max(row["train_s"], 1e-3), row["ndcg_at_10"]), fontsize=7,
                      xytext=(3, 3), textcoords="offset points")
    axis.set(xscale="log", xlabel="train time (s, log)", ylabel="NDCG@10 (test)",
             title="Quality vs train time (blue classical, red neural, green streaming)")
    axis.grid(alpha=0.3)
    return save_figure(ctx, figure, "recommenders_quality_vs_time")


def _scaling_table(rows: list[dict[str, Any]]) -> str:
    shown = []
    for row in rows:
        seconds = {p["share"]: p["train_s"] for p in row["scaling"]}
        growth = seconds[1.0] / seconds[0.25] if seconds.get(0.25) else float("nan")
        shown.append({"model": row["model"], "25% s": f"{seconds.get(0.25, float('nan')):.2f}",
                      "50% s": f"{seconds.get(0.5, float('nan')):.2f}", "100% s": f"{seconds[1.0]:.2f}",
                      "100% / 25%": f"{growth:.1f}x"})
    return markdown_table(shown)


def _discussion(rows: list[dict[str, Any]]) -> str:
    shown = [{"model": r["model"], "effort to build and maintain": NOTES.get(r["model"], ("", ""))[0],
              "at millions of users": NOTES.get(r["model"], ("", ""))[1]} for r in rows]
    return markdown_table(shown)


def render(ctx: LabContext, evaluation: Evaluation) -> Section:
    rows = evaluation.rows
    holdout = [r for r in rows if r["split"] == HOLDOUT]
    timed = [r for r in rows if r["split"] == TIME]
    found = targets(rows)
    params = markdown_table([{"model": r["model"], "tuned hyper-parameters": json.dumps(r["params"]),
                              "validation NDCG@10": r["validation_ndcg_at_10"]} for r in rows])
    fast_note = ("\n\n**Fast mode**: a sample of users, one configuration per model and few epochs; these "
                 "figures only check that the pipeline runs.\n" if ctx.fast else "")
    markdown = f"""
Every model answers the same question under the same protocol: rank the artists a user has not listened to in
training, and see how many of the held-out ones land in the top 10. {COMMAND} runs it all; the figures below
came from that run.{fast_note}

## Protocol

- **Data** (holdout split): {evaluation.descriptions.get(HOLDOUT, "")}. Artists with fewer than 3 listeners are
  dropped (mostly one-listener artists no collaborative model can place, and it keeps EASE's dense item-item
  inverse small).
- **Splits** (fixed seeds, {ctx.seed} and {ctx.seed + 1}): for each user, {TEST_FRACTION:.0%} of their artists,
  drawn at random, are the **test** set; {VALIDATION_FRACTION:.0%} of the rest are the **validation** set.
  Hyper-parameters are chosen by NDCG@10 on validation (models fitted on the rest); the chosen configuration is
  then refitted on everything but the test set and scored once on the test set. The test split is never used
  for a choice.
- **Ranking**: full ranking over every artist the user has not listened to in training, top 10.
- **Metrics** (binary relevance, averaged over users with held-out artists): Recall@10 = hits / held-out;
  NDCG@10 = DCG / ideal DCG of min(10, held-out) hits; MAP@10 = sum of precision at each hit / min(10,
  held-out); coverage = share of the catalog in anyone's top 10; novelty = mean -log2(share of training users
  who listened) of the recommended artists, in bits (higher = less mainstream).
- **Measurement**: each tuned model is fitted in a **fresh process**, so peak MB is that process's peak resident
  memory (Linux `VmHWM`: interpreter, libraries, data and the model; PyTorch's allocations included).
  Train s is wall time of `fit` on 2 CPU cores; infer ms/user is the mean wall time of one single-user
  `recommend` call (scores, exclusion, top 10) over {LATENCY_USERS} test users; LOC is non-blank,
  non-comment, non-docstring lines of the model's own module plus the modules of ours it runs (the stream
  replay for the streaming models, our numpy core in `botify_models`, the PyTorch helpers, the reranker's base
  models); the shared interface and top-k selection and library code (implicit, river, PyTorch) are not
  counted. Incremental says how the model takes a new event.
- **Streaming models** see the training pairs as a stream (shuffled: HetRec has no times), one event at a time,
  for the number of passes tuned on validation; each pair's weight is log1p(plays).

## Results: holdout split (HetRec)

{_table(holdout)}

_Measured by `{COMMAND}` (also `botify lab report --only recommenders`); every column is measured in that run
except LOC (counted from the source) and incremental (a property of the model, stated by us)._

{_targets_markdown(found)}

{_why(found, holdout)}

{_quality_figure(ctx, holdout) if holdout else ""}

## Results: time-based split (Last.fm 1K sample)

{evaluation.descriptions.get(TIME, "")}. This is one listener's five months: the only data here with real
per-play times, so the only place a sequence model can be judged, and far too little to generalise from. The
task is next-track prediction within a session; repeats count (people replay music), so the metrics reduce to
hit rate (Recall@10), NDCG@10 and MRR@10 (MAP@10) of the one track played next.

{_table(timed)}

_Measured by `{COMMAND}` (same run, same columns)._

## Tuning (validation split only)

{params}

## How train time grows with the data

Each model was also trained on a seeded 25% and 50% of the users (all their artists; the catalog stays the
same), in the same process just before its full fit (so the first, 25% fit also pays the process's warm-up:
imports, BLAS and PyTorch thread pools). Fits that take well under a second are dominated by that warm-up and by
noise; read the growth from the models that take seconds. EASE's time is flat because it depends on the number
of artists, not users; the SGD models grow linearly with the interactions.

{_scaling_figure(ctx, holdout) if holdout else ""}

{_scaling_table(holdout + timed)}

## Effort and scale

{_discussion(rows)}

## What is real and what is derived

- Real: the play counts (HetRec), the per-play times (Last.fm 1K), every metric, time and memory figure above
  (measured in this run on this machine; timings vary by a few per cent between runs and with other load).
- Derived: confidence = log1p(plays); the artist filter; the random holdout (HetRec has no times, so its
  "stream" order for the streaming models is a seeded shuffle); the sessions (30-minute gaps); artists' genres
  (most-tagged canonical genre, used by the two-tower and the reranker).
- Stated, not measured: LOC counts source lines; "incremental" and the scaling discussion are our reading of
  each algorithm, backed by the 25/50/100% train times where they apply.
"""
    headline = [{"model": r["model"], "family": r["family"], "NDCG@10": r["ndcg_at_10"],
                 "Recall@10": r["recall_at_10"], "train s": f"{r['train_s']:.1f}"}
                for r in sorted(holdout, key=lambda r: -r["ndcg_at_10"])]
    summary = f"{markdown_table(headline)}\n\n{_targets_markdown(found)}"
    return Section(slug="recommenders", title="Recommenders: classical vs neural vs streaming",
                   markdown=markdown, summary=summary,
                   data={"descriptions": evaluation.descriptions, "results": rows, "targets": found,
                         "validation_trials": evaluation.trials})


def write_results(ctx: LabContext, rows: list[dict[str, Any]]) -> None:
    """``results.json``: one object per model, the promised keys first."""
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    ordered = [{**{key: row[key] for key in RESULT_KEYS}, **row} for row in rows]
    (ctx.out_dir / "results.json").write_text(json.dumps(ordered, indent=2) + "\n")


def run(ctx: LabContext) -> Section:
    evaluation = run_evaluation(ctx)
    write_results(ctx, evaluation.rows)
    return render(ctx, evaluation)
