"""Taste vectors, k selection (silhouette + stability) on synthetic blobs whose true k is known, cluster profiles."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from botify_lab.cluster_profiles import cluster_profiles
from botify_lab.k_selection import (
    ClusterMethod,
    KScore,
    choose_k,
    density,
    gaussian_mixture,
    kmeans,
    near_ties,
    score_ks,
    silhouette,
    stability,
)
from botify_lab.taste import factor_taste, genre_taste, genre_vector, hellinger

FOUR_BLOBS, FOUR_TRUTH = make_blobs(n_samples=400, centers=4, cluster_std=0.6, random_state=3)
SEEDS = [0, 1, 2, 3]


def circle_blobs(k: int, per_cluster: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` round blobs of radius ~0.5 on a circle of radius 10: separate whatever k is."""
    angles = 2 * np.pi * np.arange(k) / k
    centres = 10 * np.column_stack([np.cos(angles), np.sin(angles)])
    points, truth = make_blobs(n_samples=per_cluster * k, centers=centres, cluster_std=0.5, random_state=seed)
    return points, truth


@pytest.mark.parametrize("method", [kmeans, gaussian_mixture])
def test_k_selection_finds_the_true_number_of_blobs(method: ClusterMethod) -> None:
    scores = score_ks(FOUR_BLOBS, method, range(2, 8), SEEDS)
    assert choose_k(scores) == 4
    by_k = {s.k: s for s in scores}
    assert by_k[4].silhouette == max(s.silhouette for s in scores)
    assert by_k[4].stability > 0.99


@settings(max_examples=8, deadline=None)
@given(st.integers(2, 5), st.integers(30, 60), st.integers(0, 10_000))
def test_k_means_selection_recovers_k_on_any_separated_blobs(k: int, per_cluster: int, seed: int) -> None:
    points, truth = circle_blobs(k, per_cluster, seed)
    scores = score_ks(points, kmeans, range(2, 8), [seed, seed + 1, seed + 2])
    chosen = choose_k(scores)
    assert chosen == k
    assert adjusted_rand_score(truth, kmeans(points, chosen, seed)) == pytest.approx(1.0)


def test_stability_is_one_at_the_true_k_and_lower_when_blobs_must_be_merged() -> None:
    assert stability(FOUR_BLOBS, kmeans, 4, SEEDS) == pytest.approx(1.0)
    assert stability(FOUR_BLOBS, kmeans, 3, SEEDS) < 0.9  # which two blobs merge depends on the subsample


def test_stability_of_random_labels_is_chance() -> None:
    def coin(points: np.ndarray, k: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).integers(0, k, len(points))

    assert abs(stability(FOUR_BLOBS, coin, 4, SEEDS)) < 0.05
    with pytest.raises(ValueError, match="two seeds"):
        stability(FOUR_BLOBS, kmeans, 4, [0])


def test_choose_k_prefers_stable_then_silhouette_times_stability() -> None:
    scores = [KScore(2, 0.50, 0.99), KScore(3, 0.60, 0.60), KScore(4, 0.55, 0.95), KScore(5, 0.56, 0.80)]
    assert choose_k(scores) == 4            # 3 is tighter but unstable; 0.55 x 0.95 > 0.56 x 0.80 > 0.50 x 0.99
    assert choose_k(scores, min_stability=0.5) == 4
    assert choose_k([KScore(2, 0.3, 0.5), KScore(3, 0.4, 0.6)]) == 3   # none stable: the best product
    assert choose_k([KScore(2, 0.4, 1.0), KScore(3, 0.4, 1.0)]) == 2   # a tie goes to the smaller k
    with pytest.raises(ValueError, match="no k gave a silhouette"):
        choose_k([KScore(2, math.nan, 1.0)])
    # 0.56 x 0.80 = 0.448 is within 20% of 0.55 x 0.95 = 0.5225, 0.50 x 0.99 = 0.495 within 10%; 3 is unstable
    assert near_ties(scores, 4, tolerance=0.10) == [2]
    assert near_ties(scores, 4, tolerance=0.20) == [2, 5]


def test_silhouette_ignores_noise_and_needs_two_clusters() -> None:
    points = np.array([[0.0, 0.0], [0.0, 0.1], [5.0, 5.0], [5.0, 5.1], [100.0, -100.0]])
    labels = np.array([0, 0, 1, 1, -1])
    # the far-away noise point would drag the score down if it counted
    assert silhouette(points, labels) > 0.95
    assert math.isnan(silhouette(points, np.array([0, 0, 0, 0, -1])))


def test_density_finds_the_blobs_and_leaves_outliers_as_noise() -> None:
    points = np.vstack([FOUR_BLOBS, [[60.0, 60.0], [-60.0, -60.0]]])
    labels = density(20)(points, 0, 0)
    assert set(labels[:-2].tolist()) - {-1} == {0, 1, 2, 3}
    assert labels[-2:].tolist() == [-1, -1]
    assert adjusted_rand_score(FOUR_TRUTH[labels[:-2] >= 0], labels[:-2][labels[:-2] >= 0]) > 0.95


def test_genre_taste_is_each_users_share_of_plays_per_known_genre() -> None:
    plays = pd.DataFrame({"user_id": [1, 1, 1, 2, 3], "artist_id": [10, 20, 30, 30, 40],
                          "weight": [6, 2, 100, 5, 1]})
    genre_of = pd.Series({10: "rock", 20: "jazz", 30: "unknown", 40: "unknown"})
    taste = genre_taste(plays, genre_of, genres=("rock", "jazz", "pop"))
    assert taste.index.tolist() == [1]  # users 2 and 3 only play artists without a genre
    assert list(taste.loc[1]) == [0.75, 0.25, 0.0]
    # the batch function and the online one agree
    assert list(taste.loc[1]) == genre_vector({"rock": 6, "jazz": 2, "unknown": 100},
                                                 ("rock", "jazz", "pop")).tolist()
    assert genre_vector({}, ("rock",)).tolist() == [0.0]
    assert hellinger(np.array([0.25, 0.0])).tolist() == [0.5, 0.0]


def test_factor_taste_gives_unit_vectors_that_separate_disjoint_audiences() -> None:
    rng = np.random.default_rng(0)
    rows = [(u, a, int(rng.integers(1, 50))) for u in range(40) for a in (range(10) if u < 20 else range(10, 20))
            if rng.random() < 0.6]
    plays = pd.DataFrame(rows, columns=["user_id", "artist_id", "weight"])
    factors = factor_taste(plays, n_factors=4, seed=1)
    assert factors.shape == (40, 4)
    assert np.allclose(np.linalg.norm(factors.to_numpy(), axis=1), 1.0)
    assert factors.equals(factor_taste(plays, n_factors=4, seed=1))  # seeded: the same on every run
    labels = kmeans(factors.to_numpy(), 2, 0)
    assert adjusted_rand_score(np.arange(40) < 20, labels) == pytest.approx(1.0)


def test_cluster_profiles_by_hand() -> None:
    shares = pd.DataFrame({"rock": [1.0, 0.5, 0.0, 0.0], "pop": [0.0, 0.5, 1.0, 1.0]}, index=["a", "b", "c", "d"])
    labels = pd.Series([0, 0, 1, -1], index=shares.index)
    plays = pd.DataFrame({"user_id": ["a", "a", "b", "c", "d"], "artist_id": [1, 2, 1, 3, 3],
                          "weight": [30, 10, 60, 5, 5]})
    names = pd.Series({1: "Rocker", 2: "Mixer", 3: "Popper"})
    noise, = (p for p in cluster_profiles(labels, shares, plays, names, min_listeners=0.5) if p.cluster == -1)
    first = cluster_profiles(labels, shares, plays, names, min_listeners=0.5)[0]
    assert (first.cluster, first.users, first.share) == (0, 2, 0.5)
    assert first.top_genres[0] == ("rock", 0.75, 0.75 / 0.375)
    assert first.top_artists == [("Rocker", 0.9), ("Mixer", 0.1)]
    # Rocker: both members vs 2 of 4 users (x2); Mixer: 1 of 2 members vs 1 of 4 users (x2); ties keep play order
    assert first.distinctive_artists == [("Rocker", 2.0), ("Mixer", 2.0)]
    assert noise.users == 1 and noise.row()["cluster"] == "noise"
    assert cluster_profiles(labels, shares, plays, names)[-1].cluster == -1  # noise listed last


@pytest.mark.parametrize("name", ["botify_lab.taste", "botify_lab.k_selection", "botify_lab.cluster_profiles"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
