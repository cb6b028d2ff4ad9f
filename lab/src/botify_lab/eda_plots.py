"""The EDA's figures: genre popularity, genre shares over periods, long tails, vocabularies and track lengths.

Each function takes the frames of ``genre_popularity``, ``long_tail`` and ``vocabulary`` and returns a matplotlib
``Figure``; ``botify_lab.report.save_figure`` writes it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from botify_lab.long_tail import gini, lorenz

MEASURES = {"plays": "number of plays", "minutes": "minutes listened"}


def genre_bars(totals: pd.DataFrame, measure: str, title: str) -> Figure:
    """Horizontal bars of plays or minutes per genre (in the order of ``totals``), each labelled with its share."""
    share = totals[f"{'play' if measure == 'plays' else 'minute'}_share"]
    figure, ax = plt.subplots(figsize=(8, 0.32 * len(totals) + 1.4))
    y = np.arange(len(totals))
    ax.barh(y, totals[measure], color="tab:blue" if measure == "plays" else "tab:orange")
    ax.set_yticks(y, totals.index)
    ax.invert_yaxis()
    for i, (value, part) in enumerate(zip(totals[measure], share, strict=True)):
        ax.text(value, i, f" {part:.1%}", va="center", fontsize=8)
    ax.set_xlabel("plays" if measure == "plays" else "minutes listened (min)")
    ax.set_ylabel("genre")
    ax.set_title(f"Genre popularity by {MEASURES[measure]}\n{title}")
    ax.margins(x=0.12)
    ax.grid(axis="x", alpha=0.3)
    return figure


def genre_share_heatmap(by_period: pd.DataFrame, genres: list[str], title: str) -> Figure:
    """Two heatmaps (share of plays, share of minutes) of each genre in each period; ``genres`` sets the rows."""
    periods = sorted(by_period["period"].unique())
    plays = by_period.groupby("period", observed=True)["plays"].sum()
    labels = [f"{p} ({plays[p]:,})" for p in periods]
    figure, axes = plt.subplots(1, 2, figsize=(min(4 + 0.35 * len(periods), 20) * 1.6, 0.3 * len(genres) + 2),
                                sharey=True, squeeze=False)
    image = None
    for ax, share in zip(axes[0], ("play_share", "minute_share"), strict=True):
        grid = (by_period.pivot_table(index="genre", columns="period", values=share, observed=False)
                .reindex(index=genres, columns=periods).fillna(0.0))
        values = grid.to_numpy() * 100
        image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0)
        if len(periods) <= 12:  # few enough cells to print each share
            for (row, column), value in np.ndenumerate(values):
                if value >= 0.5:
                    ax.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=7,
                            color="black" if value > 0.6 * values.max() else "white")
        step = max(1, len(labels) // 24)
        ax.set_xticks(np.arange(0, len(labels), step), labels[::step], rotation=60, ha="right", fontsize=7)
        ax.set_yticks(np.arange(len(genres)), genres)
        ax.set_xlabel("period, UTC (plays in it)")
        ax.set_title(f"share of {'plays' if share == 'play_share' else 'minutes listened'} per period (%)")
    axes[0][0].set_ylabel("genre")
    if image is not None:
        figure.colorbar(image, ax=axes[0].tolist(), label="% of the period's total", shrink=0.8)
    figure.suptitle(title)
    return figure


def long_tail_figure(users: pd.Series, artists: pd.Series, title: str) -> Figure:
    """Rank-frequency (log-log) and Lorenz curves of plays per user and per artist."""
    figure, (rank_ax, lorenz_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for counts, name, colour in ((users, "users", "tab:green"), (artists, "artists", "tab:purple")):
        ranks = np.arange(1, len(counts) + 1)
        rank_ax.loglog(ranks, counts.sort_values(ascending=False).to_numpy(), ".", ms=3, color=colour, label=name)
        x, y = lorenz(counts)
        lorenz_ax.plot(x, y, color=colour, label=f"{name} (Gini {gini(counts):.2f})")
    rank_ax.set_xlabel("rank (1 = most plays)")
    rank_ax.set_ylabel("plays")
    rank_ax.set_title("plays per user and per artist, by rank (log-log)")
    rank_ax.legend()
    rank_ax.grid(alpha=0.3, which="both")
    lorenz_ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect equality")
    lorenz_ax.set_xlabel("share of users / artists, least played first")
    lorenz_ax.set_ylabel("cumulative share of plays")
    lorenz_ax.set_title("Lorenz curves")
    lorenz_ax.legend(loc="upper left")
    lorenz_ax.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def tag_bars(vocabulary: pd.DataFrame, top: int) -> Figure:
    """The ``top`` most assigned HetRec tags, coloured by whether they map to a canonical genre."""
    head = vocabulary.head(top)
    is_genre = head["genre"].notna().to_numpy()
    figure, ax = plt.subplots(figsize=(8, 0.26 * top + 1.4))
    y = np.arange(len(head))
    ax.barh(y[is_genre], head["assignments"][is_genre], color="tab:blue", label="maps to a canonical genre")
    ax.barh(y[~is_genre], head["assignments"][~is_genre], color="tab:gray", label="not a genre")
    names = [f"{t} -> {g}" if isinstance(g, str) else t for t, g in zip(head["tag"], head["genre"], strict=True)]
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("tag assignments (user, artist, tag)")
    ax.set_title(f"HetRec: the {top} most used tags and their canonical genre")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return figure


def duration_boxes(genre_tracks: pd.DataFrame) -> Figure:
    """Box plots of MTG-Jamendo track lengths (minutes) per canonical genre, shortest median first."""
    minutes = genre_tracks.assign(minutes=genre_tracks["duration_s"] / 60)
    order = minutes.groupby("genre")["minutes"].median().sort_values().index.tolist()
    groups = [minutes.loc[minutes["genre"] == g, "minutes"].to_numpy() for g in order]
    figure, ax = plt.subplots(figsize=(10, 4.5))
    ax.boxplot(groups, showfliers=False)
    ax.set_xticks(np.arange(1, len(order) + 1), [f"{g}\n({len(v):,})" for g, v in zip(order, groups, strict=True)],
                  rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("track length (min)")
    ax.set_xlabel("canonical genre (tracks)")
    ax.set_title("MTG-Jamendo track lengths per genre (boxes: quartiles; whiskers: 1.5 IQR; outliers hidden)")
    ax.grid(axis="y", alpha=0.3)
    return figure
