"""GTZAN's faults as they touch evaluation, and splits that keep related clips on one side.

GTZAN (Tzanetakis & Cook 2002) has no artist metadata and, as Sturm (2013, "The GTZAN dataset: its contents, its
faults, their effects on evaluation, and its future use") documents, exact and near repetitions, mislabelled
excerpts and heavy artist repetition within genres. A random split then puts copies of a clip, or the same artist,
on both sides, and scores measure memory, not genre. Here:

- ``duplicate_groups`` links clips whose standardised features are far closer than clips ever are by chance
  (exact repeats and re-encodings), and every split keeps each linked group on one side;
- ``index_blocks`` groups consecutive excerpt numbers of a genre (GTZAN's files were gathered album by album, so
  neighbours often share an artist): a proxy for an artist filter, used to measure how much leakage inflates scores.

>>> import numpy as np
>>> points = np.array([[0.0, 0.0], [0.0, 0.001], [5.0, 5.0], [9.0, 1.0]])
>>> duplicate_groups(points, threshold=0.01)[0].tolist()
[0, 0, 1, 2]
>>> index_blocks(["pop.00003.wav", "pop.00012.wav", "rock.00004.wav"], size=10).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

Split = tuple[np.ndarray, np.ndarray]  # (train rows, test rows)


def distances(points: np.ndarray) -> np.ndarray:
    """All pairwise Euclidean distances between rows."""
    squared = (points**2).sum(axis=1)
    result: np.ndarray = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * points @ points.T, 0.0))
    return result


def nearest_distances(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the Euclidean distance to its nearest other row and that row's index."""
    distance = distances(points)
    np.fill_diagonal(distance, np.inf)
    nearest = distance.argmin(axis=1)
    return distance[np.arange(len(points)), nearest], nearest


def duplicate_groups(points: np.ndarray, threshold: float) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Group ids (0..g-1, in order of first appearance) linking rows closer than ``threshold``, and the links."""
    distance = distances(points)
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links = []
    for i, j in zip(*np.nonzero(np.triu(distance < threshold, k=1)), strict=True):
        links.append((int(i), int(j), float(distance[i, j])))
        parent[root(int(i))] = root(int(j))
    ids: dict[int, int] = {}
    groups = np.array([ids.setdefault(root(i), len(ids)) for i in range(len(points))])
    return groups, links


_EXCERPT = re.compile(r"^([a-z]+)\.(\d+)")


def index_blocks(filenames: Sequence[str], size: int) -> np.ndarray:
    """Group ids by (genre, excerpt number // size) parsed from GTZAN names like ``pop.00012.wav``."""
    keys = []
    for name in filenames:
        match = _EXCERPT.match(name)
        if match is None:
            raise ValueError(f"not a GTZAN clip name: {name!r} (expected like 'pop.00012.wav')")
        keys.append((match[1], int(match[2]) // size))
    ids: dict[tuple[str, int], int] = {}
    return np.array([ids.setdefault(k, len(ids)) for k in keys])


def grouped_splits(labels: Sequence[str], groups: np.ndarray, folds: int, repeats: int, seed: int) -> list[Split]:
    """``repeats`` x ``folds`` stratified splits that never put one group on both sides (every row is tested once
    per repeat)."""
    y = np.asarray(labels)
    splits = []
    for r in range(repeats):
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + r)
        splits += [(train, test) for train, test in splitter.split(np.zeros(len(y)), y, groups)]
    return splits
