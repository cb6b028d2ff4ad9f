"""Online k-means with stable cluster ids, for clustering users by taste one listen at a time.

Sequential k-means (MacQueen, 1967): each point moves only its nearest centroid, by ``1 / n`` of the way where
``n`` counts the points that centroid has absorbed (a running mean), or by ``min_rate`` once ``1 / n`` falls below
it (so old tastes fade and the clusters follow drift). A centroid keeps its id for life: ids are never reassigned
as centroids move, so a user's ``cluster_id`` in ``user-state`` changes only when the user's taste does.

Before it can assign anything the model needs ``k`` centroids. Either give them (``centroids=``, e.g. the lab's
offline k-means centroids, so every worker and the lab share the same ids; ``prior_count=`` says how many points
each stands for, else the first point a centroid absorbs replaces it), or the model buffers its first
``warmup`` points and seeds itself from them with k-means++ and Lloyd steps (the best of several tries; seeded:
the same stream gives the same ids). Until then :meth:`OnlineKMeans.predict_one` answers ``-1``, as
``UserState.cluster_id`` expects.

The whole state is a few numpy arrays (:meth:`OnlineKMeans.state`, :meth:`OnlineKMeans.to_bytes`), so it can live
in a changelog-backed table.

>>> model = OnlineKMeans(k=2, dim=2, warmup=4, seed=0)
>>> for point in ([0.0, 0.1], [5.0, 5.0], [0.1, 0.0], [5.1, 4.9]):
...     _ = model.learn_one(point)
>>> a, b = model.predict_one([0.0, 0.0]), model.predict_one([5.0, 5.0])
>>> a != b
True
>>> for _ in range(50):
...     _ = model.learn_one([0.5, 0.5])          # one cluster drifts; neither is relabelled
>>> model.predict_one([0.0, 0.0]) == a and model.predict_one([5.0, 5.0]) == b
True
>>> OnlineKMeans.from_bytes(model.to_bytes()).predict_one([5.0, 5.0]) == b
True
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
UNASSIGNED = -1
_LOW_64 = (1 << 64) - 1
LLOYD_STEPS = 10
SEEDINGS = 8


def _as_point(point: ArrayLike, dim: int) -> FloatArray:
    vector = np.asarray(point, dtype=np.float64)
    if vector.shape != (dim,) or not np.isfinite(vector).all():
        raise ValueError(f"expected a finite vector of length {dim}, got shape {vector.shape}")
    return vector


def _nearest(centroids: FloatArray, point: FloatArray) -> int:
    return int(np.argmin(((centroids - point) ** 2).sum(axis=1)))


def _lloyd(points: FloatArray, k: int, rng: np.random.Generator) -> tuple[FloatArray, float]:
    """One k-means++ seeding refined by a few Lloyd steps: (centroids, inertia)."""
    centroids = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distance = np.min([((points - c) ** 2).sum(axis=1) for c in centroids], axis=0)
        total = distance.sum()
        pick = rng.choice(len(points), p=distance / total) if total > 0 else rng.integers(len(points))
        centroids.append(points[pick])
    result = np.array(centroids, dtype=np.float64)
    for _ in range(LLOYD_STEPS):
        distances = ((points[:, None, :] - result[None, :, :]) ** 2).sum(axis=2)
        labels = np.argmin(distances, axis=1)
        for c in range(k):
            members = points[labels == c]
            if len(members):
                result[c] = members.mean(axis=0)
    inertia = float(((points[:, None, :] - result[None, :, :]) ** 2).sum(axis=2).min(axis=1).sum())
    return result, inertia


def seed_centroids(points: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    """The best of ``SEEDINGS`` k-means++ seedings (each refined by Lloyd steps) on ``points`` by inertia: one
    seeding alone too often puts two centroids in one cluster. Row ``i`` becomes cluster id ``i``."""
    return min((_lloyd(points, k, rng) for _ in range(SEEDINGS)), key=lambda fit: fit[1])[0]


def learn_level(listens: int, min_listens: int) -> int:
    """How many times the listens have doubled from ``min_listens`` (-1 below it): a user is learned once per level
    (the schedule of the stream processor's taste clusters and the lab's check of them).

    >>> [learn_level(n, 5) for n in (4, 5, 9, 10, 19, 20, 40)]
    [-1, 0, 0, 1, 1, 2, 3]
    """
    return -1 if listens < min_listens else (listens // min_listens).bit_length() - 1


class OnlineKMeans:
    """Sequential k-means over ``dim``-dimensional points with ``k`` clusters whose ids never change."""

    def __init__(self, k: int, dim: int, *, seed: int = 0, warmup: int | None = None, min_rate: float = 0.0,
                 centroids: ArrayLike | None = None, prior_count: float = 0.0) -> None:
        if k < 1 or dim < 1:
            raise ValueError(f"k and dim must be >= 1, got {k} and {dim}")
        if not 0.0 <= min_rate < 1.0:
            raise ValueError(f"min_rate must be in [0, 1), got {min_rate}")
        self.k, self.dim, self.seed, self.min_rate = k, dim, seed, min_rate
        self.warmup = warmup if warmup is not None else 10 * k
        if self.warmup < k:
            raise ValueError(f"warmup must be >= k = {k}, got {self.warmup}")
        self._rng = np.random.default_rng(seed)
        self._buffer: list[FloatArray] = []
        self.centroids: FloatArray | None = None
        self.counts = np.zeros(k, dtype=np.float64)
        if centroids is not None:
            given = np.asarray(centroids, dtype=np.float64)
            if given.shape != (k, dim) or not np.isfinite(given).all():
                raise ValueError(f"centroids must be a finite ({k}, {dim}) array, got shape {given.shape}")
            self.centroids = given.copy()
            if prior_count < 0:
                raise ValueError(f"prior_count must be >= 0, got {prior_count}")
            # given centroids count as prior_count points each: the first points then nudge them, not replace them
            self.counts[:] = prior_count

    @property
    def ready(self) -> bool:
        """Whether the model has its ``k`` centroids (and so assigns ids)."""
        return self.centroids is not None

    def predict_one(self, point: ArrayLike) -> int:
        """The id of the centroid nearest ``point``; ``-1`` while the model is still buffering its warm-up."""
        vector = _as_point(point, self.dim)
        return UNASSIGNED if self.centroids is None else _nearest(self.centroids, vector)

    def learn_one(self, point: ArrayLike) -> int:
        """Move the nearest centroid towards ``point`` and return its id (``-1`` while warming up)."""
        vector = _as_point(point, self.dim)
        if self.centroids is None:
            self._buffer.append(vector)
            if len(self._buffer) < self.warmup:
                return UNASSIGNED
            points = np.array(self._buffer)
            self.centroids = seed_centroids(points, self.k, self._rng)
            labels = [_nearest(self.centroids, p) for p in points]
            self.counts += np.bincount(labels, minlength=self.k)
            self._buffer = []
            return labels[-1]
        cluster = _nearest(self.centroids, vector)
        self.counts[cluster] += 1.0
        rate = max(1.0 / self.counts[cluster], self.min_rate)
        self.centroids[cluster] += rate * (vector - self.centroids[cluster])
        return cluster

    def predict_many(self, points: Sequence[ArrayLike] | FloatArray) -> NDArray[np.int64]:
        """:meth:`predict_one` of each row."""
        matrix = np.asarray(points, dtype=np.float64).reshape(-1, self.dim)
        if self.centroids is None:
            return np.full(len(matrix), UNASSIGNED, dtype=np.int64)
        distances = ((matrix[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        labels: NDArray[np.int64] = np.argmin(distances, axis=1).astype(np.int64)
        return labels

    # ------------------------------------------------------------------ state, for a changelog-backed table

    def state(self) -> dict[str, NDArray[Any]]:
        """Everything the model is, as arrays: configuration, centroids and counts, the warm-up buffer, and the
        random generator's position (so a restored model seeds itself exactly as this one would have)."""
        centroids = self.centroids if self.centroids is not None else np.empty((0, self.dim))
        buffer = np.array(self._buffer) if self._buffer else np.empty((0, self.dim))
        pcg = self._rng.bit_generator.state["state"]
        words = [part for value in (pcg["state"], pcg["inc"]) for part in (value >> 64, value & _LOW_64)]
        return {"config": np.array([self.k, self.dim, self.seed, self.warmup, self.min_rate], dtype=np.float64),
                "centroids": centroids.copy(), "counts": self.counts.copy(), "buffer": buffer,
                "rng": np.array(words, dtype=np.uint64)}

    @classmethod
    def from_state(cls, state: Mapping[str, NDArray[Any]]) -> OnlineKMeans:
        k, dim, seed, warmup, min_rate = state["config"].tolist()
        model = cls(int(k), int(dim), seed=int(seed), warmup=int(warmup), min_rate=float(min_rate))
        if len(state["centroids"]):
            model.centroids = np.array(state["centroids"], dtype=np.float64)
        model.counts = np.array(state["counts"], dtype=np.float64)
        model._buffer = [np.array(row, dtype=np.float64) for row in state["buffer"]]
        high, low, inc_high, inc_low = (int(w) for w in state["rng"])
        generator = model._rng.bit_generator
        generator.state = {**generator.state, "state": {"state": high << 64 | low, "inc": inc_high << 64 | inc_low}}
        return model

    def to_bytes(self) -> bytes:
        """The state as an ``.npz`` archive (no pickles)."""
        out = io.BytesIO()
        arrays: dict[str, Any] = dict(self.state())
        np.savez(out, **arrays)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> OnlineKMeans:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            return cls.from_state({name: archive[name] for name in archive.files})
