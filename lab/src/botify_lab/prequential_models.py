"""The models the prequential replay compares, behind :class:`botify_lab.prequential_loop.OnlineRanker`.

* :class:`ParameterServerMF`: our streaming MF exactly as the stream processor runs it, from the same functions of
  :mod:`botify_models.streaming_mf`: within a batch, each listen runs :func:`user_step` where the user lives (the
  user's vector changing event by event) against the item vectors as they stood when the batch started; the item
  halves are summed per item and applied once at the end of the batch with :func:`apply_item_update` (what the
  item-keyed update topic does).
* :class:`RiverMF`: River's ``reco.FunkMF``, the off-the-shelf baseline, fed each listen as ``y = 1`` and sampled
  items as ``y = 0`` (as in the lab's recommender comparison).
* :class:`Popularity`: plays so far, the floor every model should clear.
* :class:`FrozenALS`: ``implicit``'s ALS fitted on a prefix of the stream and then frozen: item factors stay as
  fitted, each user's factors are recomputed from their history up to the event (ALS's exact least-squares
  fold-in), users with no history get the prefix's most popular items.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from river import optim, reco
from threadpoolctl import ThreadpoolController

from botify_lab.prequential_loop import FloatArray, IntArray
from botify_models.streaming_mf import MFConfig, apply_item_update, new_item_vector, new_user_vector, user_step

REDRAWS = 3


#: the streaming models' hyper-parameters: the streaming MF's own configuration (River's FunkMF reads the same
#: fields: factors, learning rate, l2, negatives per listen, initial scale)
OnlineParams = MFConfig


def describe(params: OnlineParams) -> str:
    return (f"factors {params.n_factors}, lr {params.learning_rate:g}, l2 {params.l2:g}, negatives "
            f"{params.n_negatives}, init {params.init_scale:g}")


class _SeenItems:
    """Items seen so far (the pool negatives are drawn from) and each user's items (never drawn for them)."""

    def __init__(self, n_items: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.known = np.zeros(n_items, dtype=bool)
        self.mask = np.full(n_items, -np.inf)   # 0 for known items: added to scores, it hides the others
        self.pool: list[int] = []
        self.by_user: dict[int, set[int]] = {}

    def add(self, user: int, item: int) -> None:
        if not self.known[item]:
            self.known[item] = True
            self.mask[item] = 0.0
            self.pool.append(item)
        self.by_user.setdefault(user, set()).add(item)

    def negatives(self, user: int, n: int) -> list[int]:
        """``n`` items drawn uniformly from the pool, redrawn a few times when the user has played them."""
        seen = self.by_user.get(user, set())
        picks = [self.pool[i] for i in self.rng.integers(0, len(self.pool), n)]
        for _ in range(REDRAWS):
            clash = [j for j, p in enumerate(picks) if p in seen]
            if not clash or len(seen) >= len(self.pool):
                break
            for j in clash:
                picks[j] = self.pool[int(self.rng.integers(0, len(self.pool)))]
        return picks


class ParameterServerMF:
    """Our streaming MF, micro-batched as in the stream processor (see the module docstring)."""

    def __init__(self, n_users: int, n_items: int, params: OnlineParams, seed: int = 0) -> None:
        self.config = params
        self._seen = _SeenItems(n_items, seed)
        self._item_rng = np.random.default_rng(seed + 1)
        self.items = np.zeros((n_items, self.config.dim))
        self.users = np.tile(new_user_vector(self.config), (n_users, 1))

    def scores(self, users: IntArray, histories: sp.csr_matrix) -> FloatArray:
        scores: FloatArray = self.users[users] @ self.items.T + self._seen.mask
        return scores

    def learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        for item in items.tolist():
            if not self._seen.known[item]:
                self.items[item] = new_item_vector(self.config, self._item_rng)
        frozen = self.items   # read as the batch found them: the deltas are applied only after the loop
        deltas: dict[int, FloatArray] = {}
        for user, item, weight in zip(users.tolist(), items.tolist(), weights.tolist(), strict=True):
            self._seen.add(user, item)
            if len(self._seen.pool) < 2:
                continue  # nothing to rank against yet
            rows = [item, *self._seen.negatives(user, self.config.n_negatives)]
            self.users[user], updates = user_step(self.users[user], frozen[rows], weight, self.config)
            for row, update in zip(rows, updates, strict=True):
                deltas[row] = deltas[row] + update if row in deltas else update
        for row, delta in deltas.items():
            self.items[row] = apply_item_update(self.items[row], delta)


class RiverMF:
    """River's FunkMF with sampled negatives; its item vectors are mirrored in a matrix, refreshed for the items
    each batch touched, so ranking a batch costs one matrix product."""

    def __init__(self, n_users: int, n_items: int, params: OnlineParams, seed: int = 0) -> None:
        self.params = params
        initializer = optim.initializers.Normal(mu=0.0, sigma=params.init_scale, seed=seed)
        self.model = reco.FunkMF(n_factors=params.n_factors, optimizer=optim.SGD(params.learning_rate), l2=params.l2,
                                 initializer=initializer, seed=seed)
        self._seen = _SeenItems(n_items, seed)
        self.items = np.zeros((n_items, params.n_factors))
        self.users = np.zeros((n_users, params.n_factors))

    def scores(self, users: IntArray, histories: sp.csr_matrix) -> FloatArray:
        scores: FloatArray = self.users[users] @ self.items.T + self._seen.mask
        return scores

    def learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        touched: set[int] = set()
        for user, item in zip(users.tolist(), items.tolist(), strict=True):
            self._seen.add(user, item)
            self.model.learn_one(user, item, 1.0)  # type: ignore[no-untyped-call]
            touched.add(item)
            for negative in self._seen.negatives(user, self.params.n_negatives):
                self.model.learn_one(user, negative, 0.0)  # type: ignore[no-untyped-call]
                touched.add(negative)
        latents = self.model.i_latents
        for item in touched:
            self.items[item] = latents[item]
        for user in set(users.tolist()):
            self.users[user] = self.model.u_latents[user]


class Popularity:
    """Items ranked by how often they were played so far."""

    def __init__(self, n_items: int) -> None:
        self.counts = np.zeros(n_items)

    def scores(self, users: IntArray, histories: sp.csr_matrix) -> FloatArray:
        row = np.where(self.counts > 0, self.counts, -np.inf)
        scores: FloatArray = np.tile(row, (len(users), 1))
        return scores

    def learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        np.add.at(self.counts, items, 1.0)


@dataclass(frozen=True)
class ALSParams:
    factors: int = 32
    l2: float = 0.1
    alpha: float = 1.0
    iterations: int = 15

    def label(self) -> str:
        return f"factors {self.factors}, l2 {self.l2:g}, alpha {self.alpha:g}, {self.iterations} iterations"


@cache
def _blas() -> ThreadpoolController:
    """One controller per process: building one scans every loaded library (tens of ms), limiting with it is cheap,
    and ALS limits BLAS once per ranked batch."""
    return ThreadpoolController()


class FrozenALS:
    """Batch ALS refitted on a prefix, then frozen (see the module docstring)."""

    def __init__(self, prefix: sp.csr_matrix, params: ALSParams, seed: int = 0) -> None:
        # one BLAS thread while implicit's own pool runs (they fight otherwise; implicit warns about it)
        with _blas().limit(limits=1, user_api="blas"):
            self.model = AlternatingLeastSquares(factors=params.factors, regularization=params.l2,
                                                 alpha=params.alpha, iterations=params.iterations,
                                                 random_state=seed, num_threads=2)
            self.model.fit(prefix.astype(np.float32), show_progress=False)
        listeners = np.asarray((prefix > 0).sum(axis=0)).ravel().astype(np.float64)
        self.known = listeners > 0
        self.popular = np.where(self.known, listeners, -np.inf)

    def scores(self, users: IntArray, histories: sp.csr_matrix) -> FloatArray:
        with _blas().limit(limits=1, user_api="blas"):
            factors = np.asarray(self.model.recalculate_user(np.arange(len(users)), histories))
        scores: FloatArray = factors @ np.asarray(self.model.item_factors).T
        scores[:, ~self.known] = -np.inf
        empty = np.diff(histories.indptr) == 0
        scores[empty] = self.popular
        return scores

    def learn(self, users: IntArray, items: IntArray, weights: FloatArray) -> None:
        """Frozen: nothing is learned after the fit (the users' histories reach it through ``scores``)."""
