"""The user-clustering section: HetRec users' taste vectors (genre shares and artist factors), clustered by
k-means and a Gaussian mixture with k chosen by silhouette and stability, and by HDBSCAN (density); a 2-D map;
each cluster described by its genres and artists."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from botify_datasets.genres import GENRES
from botify_lab.cluster_plots import MapPanel, cluster_map, k_selection_figure
from botify_lab.cluster_profiles import ClusterProfile, cluster_profiles
from botify_lab.context import LabContext
from botify_lab.k_selection import (
    METHODS,
    STABLE_ARI,
    KScore,
    choose_k,
    density,
    near_ties,
    score_ks,
    silhouette,
    stability,
)
from botify_lab.report import Section, markdown_table, save_figure
from botify_lab.taste import factor_taste, genre_taste, hellinger

DENSITY = "HDBSCAN (density)"


@dataclass(frozen=True)
class ClusterConfig:
    """The search: candidate k, seeds for stability, how many users (None: all), HDBSCAN's smallest cluster."""

    ks: tuple[int, ...]
    seeds: tuple[int, ...]
    max_users: int | None
    n_factors: int = 32
    min_cluster_share: float = 0.02

    @classmethod
    def for_context(cls, ctx: LabContext) -> ClusterConfig:
        seeds = tuple(ctx.seed + i for i in range(3 if ctx.fast else 5))
        return cls(ks=tuple(range(2, 7 if ctx.fast else 13)), seeds=seeds, max_users=500 if ctx.fast else None)


@dataclass(frozen=True)
class TasteSpace:
    name: str
    how: str
    points: np.ndarray      # one row per user, as clustered
    users: pd.Index


@dataclass
class Clustering:
    space: str
    method: str
    labels: np.ndarray
    scores: list[KScore] = field(default_factory=list)   # empty for density methods
    k: int = 0
    silhouette: float = math.nan
    stability: float = math.nan

    @property
    def key(self) -> str:
        return f"{self.space} / {self.method}"

    @property
    def noise_share(self) -> float:
        return float((self.labels < 0).mean())


def taste_spaces(ctx: LabContext, config: ClusterConfig) -> tuple[list[TasteSpace], pd.DataFrame]:
    """The two vector spaces over the same users, and their genre shares (for describing clusters)."""
    hetrec = ctx.hetrec
    shares = genre_taste(hetrec.plays, hetrec.artist_genres().set_index("artist_id")["genre"])
    factors = factor_taste(hetrec.plays, config.n_factors, ctx.seed)
    users = shares.index.intersection(factors.index)
    if config.max_users is not None and len(users) > config.max_users:
        users = pd.Index(np.sort(np.random.default_rng(ctx.seed).choice(users, config.max_users, replace=False)))
    spaces = [
        TasteSpace("genre shares", f"share of the user's real plays per canonical genre ({len(GENRES)} genres; the "
                   "artist's most-tagged genre; `unknown` left out), as square roots (Hellinger geometry)",
                   hellinger(shares.loc[users].to_numpy()), users),
        TasteSpace("artist factors", f"{config.n_factors} truncated-SVD factors of the user x artist matrix of "
                   "log(1 + plays), each user's vector scaled to unit length", factors.loc[users].to_numpy(), users),
    ]
    return spaces, shares.loc[users]


def fit_all(spaces: list[TasteSpace], config: ClusterConfig) -> list[Clustering]:
    """Every method on every space: k chosen for the k-methods, HDBSCAN with its own number of clusters."""
    results = []
    with tqdm(total=len(spaces) * len(METHODS) * len(config.ks), desc="clusters: k search", unit="fit") as bar:
        for space in spaces:
            for name, method in METHODS.items():
                scores = score_ks(space.points, method, config.ks, config.seeds, progress=lambda: bar.update(1))
                k = choose_k(scores)
                chosen = next(s for s in scores if s.k == k)
                results.append(Clustering(space.name, name, method(space.points, k, config.seeds[0]), scores, k,
                                          chosen.silhouette, chosen.stability))
            size = max(5, round(config.min_cluster_share * len(space.points)))
            dense = density(size)
            labels = dense(space.points, 0, config.seeds[0])
            results.append(Clustering(space.name, DENSITY, labels, k=len(set(labels.tolist()) - {-1}),
                                      silhouette=silhouette(space.points, labels),
                                      stability=stability(space.points, dense, 0, config.seeds)))
    return results


def agreement(results: list[Clustering]) -> list[dict[str, Any]]:
    """ARI between every two clusterings of the same users."""
    rows = []
    for i, a in enumerate(results):
        for b in results[i + 1:]:
            rows.append({"a": a.key, "b": b.key, "ARI": float(adjusted_rand_score(a.labels, b.labels))})
    return rows


def short_name(profile: ClusterProfile, min_share: float = 0.1) -> str:
    """The cluster's two most over-represented genres among those holding at least ``min_share`` of its plays."""
    big = [(lift, g) for g, share, lift in profile.top_genres if share >= min_share] or [
        (lift, g) for g, _, lift in profile.top_genres[:1]]
    return "+".join(g for _, g in sorted(big, reverse=True)[:2])


def scores_table(results: list[Clustering]) -> str:
    searched = [r for r in results if r.scores]
    rows = []
    for i, k in enumerate(s.k for s in searched[0].scores):
        row: dict[str, Any] = {"k": k}
        for r in searched:
            s = r.scores[i]
            row[r.key] = f"{s.silhouette:.3f} / {s.stability:.2f}" + (" ◀" if k == r.k else "")
        rows.append(row)
    return markdown_table(rows)


def run(ctx: LabContext) -> Section:
    """Cluster HetRec users by taste and describe the clusters."""
    config = ClusterConfig.for_context(ctx)
    # small dense problems: OpenMP threads cost more than they bring, and thrash on a shared machine
    with threadpool_limits(limits=1):
        spaces, shares = taste_spaces(ctx, config)
        results = fit_all(spaces, config)
        coords = {s.name: PCA(n_components=2, random_state=ctx.seed).fit(s.points) for s in spaces}
    hetrec = ctx.hetrec
    names = hetrec.artists.set_index("artist_id")["name"]
    users = spaces[0].users
    profiles = {r.key: cluster_profiles(pd.Series(r.labels, index=users), shares, hetrec.plays, names)
                for r in tqdm(results, desc="clusters: profiles", unit="clustering")}

    panels = []
    for space in spaces:
        pca = coords[space.name]
        xy = pca.transform(space.points)
        axis = tuple(f"PC{i + 1} ({v:.0%} of variance)" for i, v in enumerate(pca.explained_variance_ratio_))
        row = []
        for r in (r for r in results if r.space == space.name):
            label_names = {p.cluster: short_name(p) for p in profiles[r.key]}
            row.append(MapPanel(f"{space.name}: {r.method}, {r.k} clusters", xy, r.labels, label_names,
                                (axis[0], axis[1])))
        panels.append(row)

    searched = [r for r in results if r.scores]
    best = max(searched, key=lambda r: r.silhouette)
    dense = [r for r in results if r.method == DENSITY]
    findings = (
        f"Of the clusterings with a searched k, the best by silhouette is {best.key} with k = {best.k} (silhouette "
        f"{best.silhouette:.3f}, stability {best.stability:.2f}). Silhouettes stay low for every k and method "
        "(HDBSCAN's is higher only because it scores the points it did not call noise), and HDBSCAN leaves "
        f"{', '.join(f'{d.noise_share:.0%} ({d.space})' for d in dense)} of users as noise: taste here is a "
        "continuum with a few dense cores, not a set of separate groups, so clusters are useful as coarse "
        "segments (e.g. to seed a new user's recommendations), not as natural kinds.")
    parts = [
        f"{len(users):,} HetRec users{' (a seeded subsample)' if config.max_users else ''}, each described by two "
        "taste vectors, clustered by k-means and a Gaussian mixture (diagonal covariances) for k in "
        f"{config.ks[0]}…{config.ks[-1]}, and by HDBSCAN (min cluster size "
        f"{config.min_cluster_share:.0%} of users), which picks its own number of clusters. The play counts are "
        "real (HetRec `user_artists.dat`); genres are derived from the artists' tags.\n",
        "## Taste vectors\n",
        markdown_table([{"space": s.name, "dimensions": s.points.shape[1], "how": s.how} for s in spaces]) + "\n",
        "The genre vector is `botify_lab.taste.genre_vector` of a user's (genre, plays), the same function the "
        "stream processor can apply online; the k-means centroids of that space are in `clusters.json`.\n",
        "## Choosing k\n",
        f"For each k: the mean silhouette of a fit on all users, and stability, the mean adjusted Rand index "
        f"between fits on {len(config.seeds)} random 80% subsamples with different seeds (compared on shared "
        f"users). The chosen k has the best silhouette x stability among k with stability ≥ {STABLE_ARI}.\n",
        save_figure(ctx, k_selection_figure({r.key: r.scores for r in searched}, {r.key: r.k for r in searched}),
                    "clusters-k-selection") + "\n",
        "Silhouette / stability per k (◀ chosen):\n", scores_table(results) + "\n",
        "## Chosen clusterings\n",
        markdown_table([{"space": r.space, "method": r.method, "clusters": r.k, "silhouette": r.silhouette,
                         "stability (ARI)": r.stability, "noise": f"{r.noise_share:.0%}",
                         "k within 2% of the chosen score": ", ".join(map(str, near_ties(r.scores, r.k)))
                         if r.scores else "(its own)"} for r in results], floats="{:.3f}") + "\n",
        "Silhouette is the mean over the subsample fits; the clusters described below come from one fit on all "
        "users with the first seed. Where other k score within 2% of the chosen one, the data does not prefer "
        "between them; the choice is then a matter of how fine a segmentation is useful.\n",
        findings + "\n",
        "Agreement between clusterings (ARI; 1 = the same partition):\n",
        markdown_table(agreement(results), floats="{:.2f}") + "\n",
        "## Map\n",
        "Each space projected on its first two principal components; colours are clusters, labelled by their most "
        "over-represented genres (among the top three with at least 10% of the cluster's plays).\n",
        save_figure(ctx, cluster_map(panels, "HetRec users by taste (PCA of each space)"), "clusters-map") + "\n",
        "## Clusters described\n",
        "Top genres: mean genre share in the cluster and how many times the all-user mean it is. Top artists: share "
        "of the cluster's plays. Distinctive artists: played by ≥ 10% of the cluster, ranked by how many times "
        "likelier the cluster's users are to play them than all users.\n",
    ]
    for r in results:
        parts += [f"### {r.key} ({r.k} clusters)\n", markdown_table([p.row() for p in profiles[r.key]]) + "\n"]

    genre_kmeans = next(r for r in results if r.space == "genre shares" and r.method == "k-means")
    centroids = [spaces[0].points[genre_kmeans.labels == c].mean(axis=0).round(5).tolist()
                 for c in range(genre_kmeans.k)]
    data = {
        "users": len(users), "config": {"ks": list(config.ks), "seeds": list(config.seeds),
                                        "max_users": config.max_users, "n_factors": config.n_factors},
        "scores": {r.key: [vars(s) for s in r.scores] for r in searched},
        "chosen": [{"space": r.space, "method": r.method, "k": r.k, "silhouette": r.silhouette,
                    "stability": r.stability, "noise_share": r.noise_share} for r in results],
        "agreement": agreement(results),
        "profiles": {key: [vars(p) for p in ps] for key, ps in profiles.items()},
        "genre_kmeans_centroids": {"genres": list(GENRES), "space": "hellinger (square roots of genre shares)",
                                   "centroids": centroids},
    }
    summary = (f"{len(users):,} HetRec users; chosen k: "
               + ", ".join(f"{r.key} {r.k} (silhouette {r.silhouette:.2f}, ARI {r.stability:.2f})" for r in searched)
               + ". " + findings)
    return Section("clusters", "User clustering by taste", "\n".join(parts), summary=summary, data=data)
