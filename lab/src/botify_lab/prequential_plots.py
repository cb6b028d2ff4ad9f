"""The prequential section's figure: NDCG@10 along each stream, per model, with batch ALS's slices beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from botify_lab.prequential_loop import Scored

COLOURS = {"Streaming MF (ours)": "tab:green", "River FunkMF": "tab:orange", "Popularity": "tab:gray",
           "Batch ALS (refit at checkpoint)": "tab:blue"}


@dataclass(frozen=True)
class Panel:
    title: str
    n_events: int
    online: dict[str, Scored]                         # model -> its prequential scores over the whole stream
    batch_slices: list[tuple[int, int, float]]        # (start, stop, ALS NDCG@10 on that slice)


def bucket_curve(scored: Scored, n_events: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean NDCG@10 of the scored events in each of ``buckets`` equal spans of the stream: (span middles, means;
    NaN where a span scored nothing)."""
    edges = np.linspace(0, n_events, buckets + 1)
    which = np.clip(np.searchsorted(edges, scored.events, side="right") - 1, 0, buckets - 1)
    sums = np.bincount(which, weights=scored.gains, minlength=buckets)
    counts = np.bincount(which, minlength=buckets)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return (edges[:-1] + edges[1:]) / 2, means


def prequential_figure(panels: Sequence[Panel], buckets: int = 20) -> Figure:
    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False)
    for axis, panel in zip(axes[0], panels, strict=True):
        for name, scored in panel.online.items():
            x, y = bucket_curve(scored, panel.n_events, buckets)
            axis.plot(x, y, marker="o", markersize=3, color=COLOURS.get(name), label=f"{name} (prequential)")
        for i, (start, stop, value) in enumerate(panel.batch_slices):
            axis.hlines(value, start, stop, color=COLOURS["Batch ALS (refit at checkpoint)"], linewidth=2.5,
                        label="Batch ALS, refit at each checkpoint, frozen over the next slice" if i == 0 else None)
            axis.axvline(start, color="black", alpha=0.15, linestyle="--")
        axis.set(title=panel.title, xlabel="position in the stream (events)", ylabel="NDCG@10 of new items")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    return figure
