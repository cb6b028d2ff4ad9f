"""Figures of the clustering section: the choice of k, and 2-D maps of users coloured by cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from botify_lab.k_selection import STABLE_ARI, KScore


@dataclass(frozen=True)
class MapPanel:
    """One panel of a 2-D map: user coordinates, their cluster labels and a name per cluster."""

    title: str
    coords: np.ndarray
    labels: np.ndarray
    names: Mapping[int, str]
    axis_labels: tuple[str, str]


def k_selection_figure(scores: Mapping[str, Sequence[KScore]], chosen: Mapping[str, int]) -> Figure:
    """Silhouette and stability (mean ARI across seeds) against k, one line per (vectors, method); the chosen k
    is circled."""
    figure, (sil_ax, ari_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, (name, rows) in enumerate(scores.items()):
        colour = f"C{i}"
        ks = [s.k for s in rows]
        for ax, values in ((sil_ax, [s.silhouette for s in rows]), (ari_ax, [s.stability for s in rows])):
            ax.plot(ks, values, "o-", color=colour, ms=4, label=name)
            best = ks.index(chosen[name])
            ax.plot(ks[best], values[best], "o", ms=12, mfc="none", mec=colour, mew=2)
    sil_ax.set_title("silhouette (higher: tighter, better separated)")
    sil_ax.set_ylabel("mean silhouette")
    ari_ax.axhline(STABLE_ARI, color="k", ls="--", lw=0.8, label=f"stable (ARI {STABLE_ARI})")
    ari_ax.set_title("stability: mean ARI between fits on 80% subsamples")
    ari_ax.set_ylabel("adjusted Rand index")
    for ax in (sil_ax, ari_ax):
        ax.set_xlabel("number of clusters k")
        ax.grid(alpha=0.3)
    ari_ax.legend(fontsize=8)
    figure.suptitle(f"Choosing k (circled: best silhouette x stability among k with ARI >= {STABLE_ARI})")
    figure.tight_layout()
    return figure


def _panel(ax: Axes, panel: MapPanel) -> None:
    clusters = sorted(set(panel.labels.tolist()))
    for cluster in clusters:
        mask = panel.labels == cluster
        colour = "lightgray" if cluster < 0 else f"C{cluster % 10}"
        label = f"{'noise' if cluster < 0 else cluster}: {panel.names.get(cluster, '')} ({int(mask.sum())})"
        ax.scatter(panel.coords[mask, 0], panel.coords[mask, 1], s=5, alpha=0.5, color=colour, label=label,
                   rasterized=True)
        if cluster >= 0:
            centre = np.median(panel.coords[mask], axis=0)
            ax.annotate(str(cluster), centre, fontsize=11, weight="bold", ha="center", va="center",
                        bbox={"boxstyle": "circle", "fc": "white", "ec": colour, "alpha": 0.85})
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.axis_labels[0])
    ax.set_ylabel(panel.axis_labels[1])
    ax.legend(fontsize=7, markerscale=3, loc="best", title="cluster: characteristic genres (users)", title_fontsize=7)
    ax.grid(alpha=0.2)


def cluster_map(panels: Sequence[Sequence[MapPanel]], title: str) -> Figure:
    """A grid of 2-D maps (rows of panels), each coloured by its own clustering."""
    rows, columns = len(panels), max(len(row) for row in panels)
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 5.5 * rows), squeeze=False)
    for r, row in enumerate(panels):
        for c in range(columns):
            if c < len(row):
                _panel(axes[r][c], row[c])
            else:
                axes[r][c].set_visible(False)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
