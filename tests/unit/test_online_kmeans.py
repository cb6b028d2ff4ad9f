"""Online k-means: it finds clear clusters in one pass, never relabels a cluster, is reproducible by seed, and its
state survives a round trip through bytes exactly (what a changelog-backed table needs)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

import botify_models.online_kmeans as online_kmeans
from botify_models.online_kmeans import UNASSIGNED, OnlineKMeans


def taste_blobs(n: int = 1200, k: int = 4, dim: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Genre-share-like vectors (square roots of shares) around ``k`` distinct tastes, shuffled: (points, truth)."""
    rng = np.random.default_rng(seed)
    tastes = rng.dirichlet(np.full(dim, 0.3), size=k)
    truth = rng.integers(0, k, n)
    shares = np.array([rng.dirichlet(60 * tastes[t] + 0.05) for t in truth])
    return np.sqrt(shares), truth


def test_docstring_examples() -> None:
    result = doctest.testmod(online_kmeans)
    assert result.attempted > 0 and result.failed == 0


def test_one_pass_agrees_with_the_truth_and_with_batch_kmeans() -> None:
    points, truth = taste_blobs()
    model = OnlineKMeans(k=4, dim=points.shape[1], seed=7)
    for point in points:
        model.learn_one(point)
    online = model.predict_many(points)
    batch = KMeans(4, n_init=10, random_state=0).fit_predict(points)
    assert adjusted_rand_score(truth, online) > 0.9
    assert adjusted_rand_score(batch, online) > 0.9


def test_predicts_unassigned_until_warm_then_every_id_is_in_range() -> None:
    points, _ = taste_blobs(n=100)
    model = OnlineKMeans(k=4, dim=points.shape[1], warmup=40)
    assigned = [model.learn_one(p) for p in points[:39]]
    assert set(assigned) == {UNASSIGNED} and model.predict_one(points[0]) == UNASSIGNED
    assert model.centroids is None
    assert model.learn_one(points[39]) in range(4) and model.ready
    assert set(model.predict_many(points).tolist()) <= set(range(4))


def test_given_centroids_fix_the_ids_from_the_first_point() -> None:
    centroids = np.array([[0.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    model = OnlineKMeans(k=3, dim=2, centroids=centroids)
    assert [model.learn_one(c + 0.1) for c in centroids] == [0, 1, 2]


def test_same_seed_same_ids_other_seed_same_partition() -> None:
    points, _ = taste_blobs(n=600)

    def labels(seed: int) -> np.ndarray:
        model = OnlineKMeans(k=4, dim=points.shape[1], seed=seed)
        for point in points:
            model.learn_one(point)
        return model.predict_many(points)

    assert (labels(1) == labels(1)).all()
    assert adjusted_rand_score(labels(1), labels(2)) > 0.9


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), moves=st.integers(1, 60), k=st.integers(2, 5))
def test_learning_moves_only_the_assigned_centroid(seed: int, moves: int, k: int) -> None:
    """A stable id: learning one point changes exactly one centroid (the one it was assigned to), so no other
    cluster is relabelled or shifted behind a user's back."""
    rng = np.random.default_rng(seed)
    model = OnlineKMeans(k=k, dim=3, seed=seed, warmup=k)
    for point in rng.random((k, 3)):
        model.learn_one(point)
    for point in rng.random((moves, 3)):
        before = np.array(model.centroids)
        cluster = model.learn_one(point)
        changed = np.flatnonzero((np.array(model.centroids) != before).any(axis=1))
        assert set(changed.tolist()) <= {cluster}
        assert model.predict_one(model.centroids[cluster]) == cluster  # type: ignore[index]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), before=st.integers(0, 30), after=st.integers(1, 30),
       min_rate=st.sampled_from([0.0, 0.01]))
def test_state_round_trip_continues_exactly(seed: int, before: int, after: int, min_rate: float) -> None:
    """Restore from bytes at any point (mid warm-up included) and the restored model learns exactly as the
    original does: same ids, same centroids."""
    points = np.random.default_rng(seed).random((before + after, 4))
    model = OnlineKMeans(k=3, dim=4, seed=seed, warmup=12, min_rate=min_rate)
    for point in points[:before]:
        model.learn_one(point)
    restored = OnlineKMeans.from_bytes(model.to_bytes())
    for point in points[before:]:
        assert restored.learn_one(point) == model.learn_one(point)
    assert model.ready == restored.ready
    if model.ready:
        np.testing.assert_array_equal(model.centroids, restored.centroids)
        np.testing.assert_array_equal(model.counts, restored.counts)


def test_min_rate_keeps_following_a_drifting_cluster() -> None:
    centroids = np.array([[0.0, 0.0], [10.0, 10.0]])
    plain = OnlineKMeans(k=2, dim=2, centroids=centroids)
    fading = OnlineKMeans(k=2, dim=2, centroids=centroids, min_rate=0.05)
    for model in (plain, fading):
        for _ in range(1000):
            model.learn_one([0.0, 0.0])
        for _ in range(200):
            model.learn_one([2.0, 2.0])   # the first cluster's taste moves
    assert fading.centroids[0, 0] > 1.9 > 0.5 > plain.centroids[0, 0]  # type: ignore[index]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"k": 0, "dim": 2}, "k and dim"), ({"k": 2, "dim": 2, "warmup": 1}, "warmup"),
    ({"k": 2, "dim": 2, "min_rate": 1.0}, "min_rate"),
    ({"k": 2, "dim": 2, "centroids": [[0.0, 0.0]]}, "centroids"),
])
def test_bad_configuration_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OnlineKMeans(**kwargs)  # type: ignore[arg-type]


def test_a_point_of_the_wrong_shape_is_refused() -> None:
    model = OnlineKMeans(k=2, dim=3)
    with pytest.raises(ValueError, match="length 3"):
        model.learn_one([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        model.predict_one([1.0, np.nan, 0.0])


def test_given_centroids_with_a_prior_count_are_nudged_not_replaced() -> None:
    start = [[0.0, 0.0], [10.0, 10.0]]
    replaced = OnlineKMeans(2, 2, centroids=start)
    nudged = OnlineKMeans(2, 2, centroids=start, prior_count=9.0)
    for model in (replaced, nudged):
        model.learn_one([1.0, 1.0])
    assert replaced.centroids is not None and nudged.centroids is not None
    assert replaced.centroids[0].tolist() == [1.0, 1.0]              # 1/1 of the way: the start is gone
    assert nudged.centroids[0].tolist() == pytest.approx([0.1, 0.1])  # 1/10 of the way
    with pytest.raises(ValueError, match="prior_count"):
        OnlineKMeans(2, 2, centroids=start, prior_count=-1.0)
