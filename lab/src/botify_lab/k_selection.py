"""Clustering methods behind one signature, and the choice of their number of clusters by silhouette and
stability (adjusted Rand index between fits on different subsamples with different seeds).

>>> from sklearn.datasets import make_blobs
>>> points, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=1)
>>> scores = score_ks(points, kmeans, [2, 3, 4], seeds=[0, 1, 2])
>>> choose_k(scores)
3
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

#: ``method(points, k, seed) -> labels``; -1 marks noise for methods that have it.
ClusterMethod = Callable[[np.ndarray, int, int], np.ndarray]

STABLE_ARI = 0.75  # below this mean ARI, two runs disagree on a large share of users: not a structure to name


def kmeans(points: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k-means (k-means++ seeding, best of 4 starts)."""
    return np.asarray(KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(points))


def gaussian_mixture(points: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A Gaussian mixture with diagonal covariances, each user assigned to its most likely component."""
    model = GaussianMixture(n_components=k, covariance_type="diag", reg_covar=1e-4, max_iter=300,
                            random_state=seed)
    return np.asarray(model.fit(points).predict(points))


def density(min_cluster_size: int) -> ClusterMethod:
    """HDBSCAN with ``min_cluster_size``: finds its own number of clusters (``k`` is ignored) and leaves points in
    sparse regions as noise (-1)."""

    def fit(points: np.ndarray, k: int, seed: int) -> np.ndarray:
        return np.asarray(HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(points))

    return fit


METHODS: dict[str, ClusterMethod] = {"k-means": kmeans, "gaussian mixture": gaussian_mixture}


def silhouette(points: np.ndarray, labels: np.ndarray, sample_size: int = 2000, seed: int = 0) -> float:
    """Mean silhouette of the non-noise points (on a seeded sample above ``sample_size``); NaN with < 2 clusters."""
    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2:
        return math.nan
    size = min(sample_size, int(keep.sum()))
    return float(silhouette_score(points[keep], labels[keep], sample_size=size, random_state=seed))


SubsampleFit = tuple[np.ndarray, np.ndarray]  # (indices of the subsample's points, their labels)


def subsample_fits(points: np.ndarray, method: ClusterMethod, k: int, seeds: Sequence[int],
                   fraction: float = 0.8) -> list[SubsampleFit]:
    """One fit per seed, each on its own random ``fraction`` of the points and with that seed."""
    fits = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(len(points), size=max(k + 1, int(fraction * len(points))), replace=False))
        fits.append((index, method(points[index], k, seed)))
    return fits


def agreement_of(fits: Sequence[SubsampleFit]) -> float:
    """Mean adjusted Rand index between every two fits, compared on the points their subsamples share."""
    if len(fits) < 2:
        raise ValueError("stability needs at least two seeds")
    scores = []
    for (index_a, labels_a), (index_b, labels_b) in combinations(fits, 2):
        _, in_a, in_b = np.intersect1d(index_a, index_b, assume_unique=True, return_indices=True)
        scores.append(adjusted_rand_score(labels_a[in_a], labels_b[in_b]))
    return float(np.mean(scores))


def stability(points: np.ndarray, method: ClusterMethod, k: int, seeds: Sequence[int],
              fraction: float = 0.8) -> float:
    """Mean adjusted Rand index between clusterings of random subsamples (``fraction`` of the points, one per
    seed, fitted with that seed), compared on the points each pair of subsamples shares. 1 = always the same
    partition; 0 = no better than chance."""
    if len(seeds) < 2:
        raise ValueError("stability needs at least two seeds")
    return agreement_of(subsample_fits(points, method, k, seeds, fraction))


@dataclass(frozen=True)
class KScore:
    k: int
    silhouette: float     # mean over the subsample fits
    stability: float      # mean ARI between the subsample fits


def score_ks(points: np.ndarray, method: ClusterMethod, ks: Sequence[int], seeds: Sequence[int],
             progress: Callable[[], None] | None = None) -> list[KScore]:
    """Silhouette and stability of ``method`` for each k, both from the same seeded subsample fits (averaging
    the silhouette over them keeps one lucky start from deciding k)."""
    if len(seeds) < 2:
        raise ValueError("stability needs at least two seeds")
    scores = []
    for k in ks:
        # many small fits: OpenMP threads cost more than they bring, and thrash on a shared machine
        with threadpool_limits(limits=1):
            fits = subsample_fits(points, method, k, seeds)
        silhouettes = [silhouette(points[index], labels, seed=seed)
                       for (index, labels), seed in zip(fits, seeds, strict=True)]
        valid = [s for s in silhouettes if not math.isnan(s)]
        scores.append(KScore(k, float(np.mean(valid)) if valid else math.nan, agreement_of(fits)))
        if progress:
            progress()
    return scores


def choose_k(scores: Sequence[KScore], min_stability: float = STABLE_ARI) -> int:
    """The k with the best silhouette x stability among those whose stability reaches ``min_stability`` (among
    all k when none does): a k that is only marginally tighter but much less reproducible does not win."""
    valid = [s for s in scores if not math.isnan(s.silhouette)]
    if not valid:
        raise ValueError("no k gave a silhouette (every fit found a single cluster)")
    stable = [s for s in valid if s.stability >= min_stability] or valid
    return max(stable, key=lambda s: (s.silhouette * s.stability, -s.k)).k


def near_ties(scores: Sequence[KScore], chosen: int, tolerance: float = 0.02,
              min_stability: float = STABLE_ARI) -> list[int]:
    """Other stable k whose silhouette x stability is within ``tolerance`` (relative) of the chosen k's: the data
    does not prefer the chosen k over these."""
    best = next(s for s in scores if s.k == chosen)
    target = best.silhouette * best.stability
    return [s.k for s in scores if s.k != chosen and s.stability >= min_stability
            and s.silhouette * s.stability >= (1 - tolerance) * target]
