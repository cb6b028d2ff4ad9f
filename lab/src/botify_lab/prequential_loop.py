"""Prequential (test-then-train) evaluation: replay a stream of listens in event-time order; before a model learns
a batch of events, it ranks for each of them, and we record whether the item the user played lands in its top 10.

Only *discoveries* are scored: an event whose item the user has not played before (in the stream so far). The
ranking leaves out every item the user already played (as the gateway does), so a repeat could never be a hit,
and "what new item comes next" is the question a recommender answers. Every event, scored or not, is then learned.

A model ranks only items it has seen (it returns ``-inf`` for the others), so the first play of a brand-new item is
a miss for every model: the catalog grows with the stream, as it does in production.

Events are taken in batches of ``batch`` (the stream processor's micro-batches): every event of a batch is ranked
by the model as it stood before the batch, then the batch is learned in order. Exclusion uses the user's history
up to each event itself, earlier events of the same batch included.

>>> stream = Stream("toy", users=np.array([0, 0, 1, 0]), items=np.array([0, 1, 0, 0]),
...                 weights=np.ones(4), n_users=2, n_items=2, description="")
>>> class Popular:
...     def __init__(self) -> None: self.counts = np.zeros(2)
...     def scores(self, users, histories):
...         return np.where(self.counts > 0, self.counts, -np.inf) * np.ones((len(users), 1))
...     def learn(self, users, items, weights): np.add.at(self.counts, items, 1.0)
>>> result = replay(stream, Popular(), batch=1)
>>> result.events.tolist(), result.ranks.tolist()   # event 3 repeats item 0 for user 0: not scored
([0, 1, 2], [-1, -1, 0])
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
K = 10


@dataclass(frozen=True)
class Stream:
    """Events in event-time order: dense user and item indices and a confidence weight per event."""

    name: str
    users: IntArray
    items: IntArray
    weights: FloatArray
    n_users: int
    n_items: int
    description: str

    def __post_init__(self) -> None:
        if not len(self.users) == len(self.items) == len(self.weights):
            raise ValueError(f"users, items and weights must have one entry per event, got {len(self.users)}, "
                             f"{len(self.items)} and {len(self.weights)}")

    def __len__(self) -> int:
        return len(self.users)

    def prefix_matrix(self, stop: int) -> sp.csr_matrix:
        """Users x items confidences of events ``[0, stop)``, summed per pair (what a batch model is fitted on)."""
        return sp.csr_matrix((self.weights[:stop].astype(np.float32), (self.users[:stop], self.items[:stop])),
                             shape=(self.n_users, self.n_items))

    def head(self, stop: int) -> Stream:
        return Stream(self.name, self.users[:stop], self.items[:stop], self.weights[:stop], self.n_users,
                      self.n_items, self.description)


class OnlineRanker(Protocol):
    """What the loop asks of a model."""

    def scores(self, users: IntArray, histories: sp.csr_matrix) -> FloatArray:
        """len(users) x n_items scores, ``-inf`` for items the model cannot rank; ``histories`` holds each user's
        confidences per item up to the event being ranked (one row per entry of ``users``)."""
        ...

    def learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        """Learn these events, in order."""
        ...


@dataclass(frozen=True)
class Scored:
    """One row per scored event: its position in the stream and the 0-based rank of its item in the top k
    (``-1``: not in it)."""

    events: IntArray
    ranks: IntArray
    k: int = K

    @property
    def hits(self) -> NDArray[np.bool_]:
        return self.ranks >= 0

    @property
    def gains(self) -> FloatArray:
        """Per event NDCG@k with one relevant item: ``1 / log2(rank + 2)`` for a hit, else 0."""
        gains: FloatArray = np.where(self.hits, 1.0 / np.log2(np.maximum(self.ranks, 0) + 2.0), 0.0)
        return gains

    def between(self, start: int, stop: int) -> Scored:
        keep = (self.events >= start) & (self.events < stop)
        return Scored(self.events[keep], self.ranks[keep], self.k)

    def recall(self) -> float:
        return float(self.hits.mean()) if len(self.events) else float("nan")

    def ndcg(self) -> float:
        return float(self.gains.mean()) if len(self.events) else float("nan")


def top_k_ranks(scores: FloatArray, targets: IntArray, k: int) -> IntArray:
    """Per row, the 0-based rank of ``targets[row]`` in the row's ranking by score (ties: lower item index first)
    when that rank is below ``k`` and its score finite, else -1. Counting the items ranked above the target is one
    pass over the row; no sort needed.

    >>> top_k_ranks(np.array([[0.1, 0.9, 0.5], [0.5, 0.5, -np.inf]]), np.array([2, 1]), k=2).tolist()
    [1, 1]
    >>> top_k_ranks(np.array([[0.1, 0.9, 0.5], [0.5, 0.5, -np.inf]]), np.array([0, 2]), k=2).tolist()
    [-1, -1]
    """
    rows = np.arange(len(targets))
    target = scores[rows, targets][:, None]
    before = np.arange(scores.shape[1])[None, :] < targets[:, None]
    rank = (scores > target).sum(axis=1) + ((scores == target) & before).sum(axis=1)
    return np.where((rank < k) & np.isfinite(target[:, 0]), rank, -1).astype(np.int64)


def replay(stream: Stream, model: OnlineRanker, *, start: int = 0, stop: int | None = None,
                    batch: int = 32, k: int = K) -> Scored:
    """Score then learn events ``[start, stop)`` in batches; events before ``start`` only build the users'
    histories (the model is assumed to know them already, e.g. a batch model fitted on that prefix)."""
    if batch < 1 or k < 1:
        raise ValueError(f"batch and k must be >= 1, got {batch} and {k}")
    stop = len(stream) if stop is None else stop
    history: defaultdict[int, dict[int, float]] = defaultdict(dict)
    for user, item, weight in zip(stream.users[:start].tolist(), stream.items[:start].tolist(),
                                  stream.weights[:start].tolist(), strict=True):
        history[user][item] = history[user].get(item, 0.0) + weight
    events: list[int] = []
    ranks: list[IntArray] = []
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        users, items, weights = stream.users[first:last], stream.items[first:last], stream.weights[first:last]
        asked, rows = [], []
        for offset, (user, item, weight) in enumerate(zip(users.tolist(), items.tolist(), weights.tolist(),
                                                          strict=True)):
            known = history[user]
            if item not in known:
                asked.append(offset)
                rows.append(dict(known))
            known[item] = known.get(item, 0.0) + weight
        if asked:
            histories = _history_rows(rows, stream.n_items)
            scores = np.array(model.scores(users[asked], histories), dtype=np.float64)
            scores[histories.nonzero()] = -np.inf
            ranks.append(top_k_ranks(scores, items[asked], k))
            events += [first + offset for offset in asked]
        model.learn(users, items, weights)
    return Scored(np.asarray(events, dtype=np.int64),
                  np.concatenate(ranks) if ranks else np.empty(0, dtype=np.int64), k)


def _history_rows(rows: list[dict[int, float]], n_items: int) -> sp.csr_matrix:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((v for r in rows for v in r.values()), dtype=np.float32, count=int(indptr[-1]))
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), n_items))
