"""Streaming implicit matrix factorisation: learns from one listen at a time, parameter-server style.

The model scores ``user . item`` where the last component of every item vector is the item's bias and the last
component of every user vector is a constant 1, so the bias rides along in the dot product (and new users, whose
latent part starts at zero, get the items ranked by bias: a popularity fallback).

Each event ``(user, item, weight)`` is a weighted BPR step (Rendle et al., 2009) against ``n_negatives`` items
sampled uniformly from the items seen so far: the listened item should score above each sampled one. The step is
split so that it can run where the state lives:

* :func:`user_step` runs where the *user* is keyed (the stream processor's user-partitioned table). It takes the
  user's vector and the vectors of the items involved (the positive first, then the negatives) and returns the
  user's new vector plus one additive update per item.
* :func:`apply_item_update` runs where the *item* is keyed: it adds the update to the item's vector.

:class:`StreamingMF` composes the two in one process, samples negatives, and answers ``recommend``.

>>> model = StreamingMF(n_factors=4, seed=1)
>>> for _ in range(30):
...     for user, item in [("ann", "jazz-1"), ("ann", "jazz-2"), ("bob", "rock-1"), ("bob", "rock-2")]:
...         model.learn_one(user, item, weight=1.0)
>>> model.learn_one("cid", "jazz-1")
>>> sorted(model.recommend("ann", k=2))
['jazz-1', 'jazz-2']
>>> model.recommend("cid", k=1, exclude={"jazz-1"})
['jazz-2']
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MFConfig:
    """The step's hyper-parameters; ``n_factors`` latent dimensions plus one bias slot per vector."""

    n_factors: int = 32
    learning_rate: float = 0.05
    l2: float = 0.01
    n_negatives: int = 4
    init_scale: float = 0.1

    def __post_init__(self) -> None:
        if self.n_factors < 1 or self.n_negatives < 1:
            raise ValueError(f"n_factors and n_negatives must be >= 1, got {self.n_factors} and {self.n_negatives}")
        if self.learning_rate <= 0 or self.l2 < 0 or self.init_scale < 0:
            raise ValueError(f"need learning_rate > 0, l2 >= 0, init_scale >= 0, got {self.learning_rate}, "
                             f"{self.l2}, {self.init_scale}")

    @property
    def dim(self) -> int:
        """Length of every stored vector: the latent factors plus the bias slot."""
        return self.n_factors + 1


def new_user_vector(config: MFConfig) -> FloatArray:
    """A user nobody has seen: zero taste, so their scores are the item biases."""
    vector = np.zeros(config.dim)
    vector[-1] = 1.0
    return vector


def new_item_vector(config: MFConfig, rng: np.random.Generator) -> FloatArray:
    """A new item: small random factors (to break symmetry between items) and zero bias."""
    vector = rng.normal(0.0, config.init_scale, config.dim)
    vector[-1] = 0.0
    return vector


def user_step(user: FloatArray, items: FloatArray, weight: float,
              config: MFConfig) -> tuple[FloatArray, FloatArray]:
    """One weighted BPR step for one listen, computed where the user's state lives.

    ``items`` holds the positive item's vector in row 0 and the sampled negatives' vectors below it. Returns the
    user's new vector and one additive update per row of ``items`` (apply them with :func:`apply_item_update`;
    a row repeated in ``items`` gets one update per occurrence, and they add up).

    >>> config = MFConfig(n_factors=2, learning_rate=0.1, l2=0.0)
    >>> user = np.array([1.0, 0.0, 1.0])
    >>> items = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])     # the positive, then one negative
    >>> new_user, updates = user_step(user, items, 1.0, config)
    >>> bool(new_user @ items[0] - new_user @ items[1] > user @ items[0] - user @ items[1])
    True
    """
    if items.ndim != 2 or items.shape[0] < 2 or items.shape[1] != config.dim or user.shape != (config.dim,):
        raise ValueError(f"need a user vector of length {config.dim} and items of shape (1 + negatives, "
                         f"{config.dim}), got {user.shape} and {items.shape}")
    positive, negatives = items[0], items[1:]
    margins = (positive - negatives) @ user
    # d/dx log sigmoid(x) = sigmoid(-x); written with tanh so large margins cannot overflow
    pull = weight * 0.5 * (1.0 - np.tanh(0.5 * margins))
    user_grad = pull @ (positive - negatives) - config.l2 * user
    user_grad[-1] = 0.0  # the bias slot of a user is the constant 1
    updates = np.empty_like(items)
    updates[0] = pull.sum() * user - config.l2 * positive
    updates[1:] = -pull[:, None] * user[None, :] - config.l2 * negatives
    return user + config.learning_rate * user_grad, config.learning_rate * updates


def apply_item_update(item: FloatArray, update: FloatArray) -> FloatArray:
    """The item-side half of a step: the item's new vector."""
    if item.shape != update.shape:
        raise ValueError(f"an item update must match the item vector's shape {item.shape}, got {update.shape}")
    return item + update


class StreamingMF:
    """Implicit-feedback matrix factorisation that learns one event at a time (see the module docstring).

    Users and items are any hashable ids and appear when first seen. ``learn_one`` remembers each user's items
    so that negatives are never items the user has listened to (as far as the model has seen).
    """

    def __init__(self, n_factors: int = 32, learning_rate: float = 0.05, l2: float = 0.01, n_negatives: int = 4,
                 init_scale: float = 0.1, seed: int = 0) -> None:
        self.config = MFConfig(n_factors, learning_rate, l2, n_negatives, init_scale)
        self._rng = np.random.default_rng(seed)
        self._item_index: dict[Hashable, int] = {}
        self._item_ids: list[Hashable] = []
        self._items = np.empty((16, self.config.dim))
        self._users: dict[Hashable, FloatArray] = {}
        self._seen: dict[Hashable, set[int]] = {}

    @property
    def n_items(self) -> int:
        return len(self._item_ids)

    @property
    def item_ids(self) -> list[Hashable]:
        """Every item seen so far, in the order of :attr:`item_vectors`' rows."""
        return list(self._item_ids)

    @property
    def item_vectors(self) -> FloatArray:
        """One row per item (factors, then bias); a read-only view."""
        view = self._items[: self.n_items]
        view.flags.writeable = False
        return view

    def item_vector(self, item: Hashable) -> FloatArray:
        vector: FloatArray = self._items[self._item_index[item]].copy()
        return vector

    def user_vector(self, user: Hashable) -> FloatArray:
        """The user's vector (a new user's when never seen)."""
        vector = self._users.get(user)
        return new_user_vector(self.config) if vector is None else vector.copy()

    def _item_row(self, item: Hashable) -> int:
        row = self._item_index.get(item)
        if row is None:
            row = self.n_items
            if row == len(self._items):
                self._items = np.concatenate([self._items, np.empty_like(self._items)])
            self._items[row] = new_item_vector(self.config, self._rng)
            self._item_index[item] = row
            self._item_ids.append(item)
        return row

    def _negatives(self, seen: set[int]) -> NDArray[np.int64]:
        n = self.config.n_negatives
        rows = self._rng.integers(0, self.n_items, size=n)
        if len(seen) < self.n_items:
            # redraw listened items a few times; a rare leftover only weakens one step
            for _ in range(3):
                clash = np.fromiter((r in seen for r in rows), dtype=bool, count=n)
                if not clash.any():
                    break
                rows[clash] = self._rng.integers(0, self.n_items, size=int(clash.sum()))
        return rows

    def learn_one(self, user: Hashable, item: Hashable, weight: float = 1.0) -> None:
        """Learn from one listen of ``item`` by ``user`` with confidence ``weight`` (> 0)."""
        if not weight > 0:
            raise ValueError(f"weight must be a positive confidence (e.g. log1p(plays)), got {weight}")
        row = self._item_row(item)
        seen = self._seen.setdefault(user, set())
        seen.add(row)
        if self.n_items < 2:
            return  # nothing to rank against yet
        rows = np.concatenate([[row], self._negatives(seen)])
        new_user, updates = user_step(self.user_vector(user), self._items[rows], weight, self.config)
        self._users[user] = new_user
        np.add.at(self._items, rows, updates)  # the item-side half, summing repeated negatives

    def score(self, user: Hashable, items: Iterable[Hashable] | None = None) -> FloatArray:
        """Scores of ``items`` (default: every item, in :attr:`item_ids` order) for ``user``."""
        vector = self.user_vector(user)
        rows = slice(0, self.n_items) if items is None else [self._item_index[i] for i in items]
        scores: FloatArray = self._items[rows] @ vector
        return scores

    def recommend(self, user: Hashable, k: int = 10, exclude: Iterable[Hashable] = ()) -> list[Hashable]:
        """The ``k`` best items for ``user``, best first, leaving out ``exclude`` (unknown ids are ignored)."""
        scores = self.score(user)
        drop = [self._item_index[i] for i in exclude if i in self._item_index]
        scores[drop] = -np.inf
        k = min(k, self.n_items - len(set(drop)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self._item_ids[r] for r in top]
