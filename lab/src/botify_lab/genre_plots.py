"""Figures of the genre section: confusion matrices, reliability diagrams, nearest-neighbour distances."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from botify_lab.genre_metrics import ReliabilityBin


def confusion_figure(panels: Sequence[tuple[str, np.ndarray]], genres: Sequence[str]) -> Figure:
    """One heat map per (title, counts matrix; rows true, columns predicted), shaded by the share of each row."""
    figure, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.8), squeeze=False)
    for ax, (title, counts) in zip(axes[0], panels, strict=True):
        counts = np.asarray(counts)
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        for i, j in np.ndindex(counts.shape):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.6 else "black")
        ax.set_xticks(range(len(genres)), genres, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(genres)), genres, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        accuracy = np.trace(counts) / max(1, counts.sum())
        ax.set_title(f"{title}\naccuracy {accuracy:.2f} over {counts.sum()} test predictions", fontsize=9)
    figure.tight_layout()
    return figure


def reliability_figure(curves: dict[str, list[ReliabilityBin]]) -> Figure:
    """Accuracy against top-label confidence per model (marker area: predictions in the bin); the diagonal is
    perfect calibration."""
    figure, ax = plt.subplots(figsize=(6.0, 5.2))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    for name, bins in curves.items():
        filled = [b for b in bins if b.count]
        total = sum(b.count for b in filled)
        line, = ax.plot([b.confidence for b in filled], [b.accuracy for b in filled], marker="", label=name)
        ax.scatter([b.confidence for b in filled], [b.accuracy for b in filled], color=line.get_color(),
                   s=[20 + 400 * b.count / total for b in filled], alpha=0.7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (probability of the predicted genre)")
    ax.set_ylabel("accuracy of those predictions")
    ax.set_title("Reliability: pooled test predictions of every split", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    return figure


def nearest_distance_figure(distances: np.ndarray, threshold: float) -> Figure:
    """Histogram of each clip's distance to its nearest other clip, with the duplicate threshold."""
    figure, ax = plt.subplots(figsize=(6.5, 3.6))
    floor = 1e-3  # exact repeats have distance 0: shown at the floor of the log axis
    edges = np.logspace(np.log10(floor), np.log10(distances.max() * 1.1), 50).tolist()
    ax.hist(np.maximum(distances, floor), bins=edges,
            color="tab:blue")
    ax.axvline(threshold, color="tab:red", linestyle="--", label=f"duplicate threshold {threshold:g}")
    ax.set_xscale("log")
    ax.set_xlabel("distance to the nearest other clip (standardised features; exact repeats at the left edge)")
    ax.set_ylabel("clips")
    ax.set_title("GTZAN features table: how close each clip's nearest neighbour is", fontsize=10)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure
