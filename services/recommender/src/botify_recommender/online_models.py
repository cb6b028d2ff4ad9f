"""Online models, user side: our streaming MF's user step on a partition's batch, and River's MF as the baseline.

Listens are keyed by user, so a worker holds the users of its partitions. The streaming MF
(:mod:`botify_models.streaming_mf`) is split parameter-server style:

* here, where the user lives, :func:`fold_user_batch` runs the user step for each listen of a batch in order
  (the user's vector changes event by event, exactly as the sequential model would) and sums the item half of
  every step per item: one :class:`ItemDelta` per touched item per batch, however hot the item;
* the deltas travel on the internal topic ``item-updates`` keyed by track id, so each lands on the partition that
  owns the item, where :mod:`botify_recommender.item_updates` adds them to the item's vector and publishes the
  result on ``item-factors``;
* every worker reads ``item-factors`` (all partitions) into an :class:`ItemFactors` read model, which is how the
  user step learns the items' vectors. An item no update has reached yet has a deterministic initial vector
  (:func:`initial_item_vector`, seeded by its id), so the user side and the owner agree on it without talking.

Within a batch the user step sees the item vectors as they were when the batch started (the owner applies the
batch's deltas later): with one event per batch and the deltas applied in between, the result is the sequential
model's, step for step (``tests/unit/test_online_models.py`` checks both).

A listen's feedback weight comes from the user-state rules (skip or dislike negative, completed play or like
positive, weights as settings). A positive listen is a weighted BPR step (the item should score above sampled
items); a negative one is the mirror image (the item should score below them), see :func:`feedback_step`.

>>> config = MFConfig(n_factors=4, learning_rate=0.1)
>>> items = ItemFactors(config)
>>> batch = [Feedback("e1", "ann", "t1", 1.0), Feedback("e2", "ann", "t2", 1.0), Feedback("e3", "bob", "t1", -1.0)]
>>> result = fold_user_batch(batch, {}.get, items, config)
>>> sorted(result.users), sorted(result.item_deltas), result.steps   # e1 had nothing to rank against yet
(['ann', 'bob'], ['t1', 't2'], 2)
>>> result.item_deltas["t2"].listens, result.item_deltas["t1"].listens
(1, 1)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from river import optim, reco

from botify_models.streaming_mf import FloatArray, MFConfig, new_item_vector, new_user_vector, user_step

#: The version stamped on every factor this code publishes (``FactorsUpdated``, ``UserState``).
MODEL_VERSION = "smf-1"


@dataclass(frozen=True, slots=True)
class Feedback:
    """One listen as the models see it: ``weight`` > 0 is positive feedback, < 0 negative, 0 carries none."""

    event_id: str
    user_id: str
    track_id: str
    weight: float


@dataclass(slots=True)
class ItemDelta:
    """The summed item half of the steps of one batch for one item, and how many of them listened to it."""

    delta: FloatArray
    listens: int = 0

    def add(self, other: ItemDelta) -> None:
        self.delta += other.delta
        self.listens += other.listens


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def initial_item_vector(track_id: str, config: MFConfig) -> FloatArray:
    """The vector of an item before any update: the model's random initial vector, seeded by the item's id.

    >>> config = MFConfig(n_factors=3)
    >>> bool((initial_item_vector("t1", config) == initial_item_vector("t1", config)).all())
    True
    """
    return new_item_vector(config, np.random.default_rng(_seed(track_id)))


class ItemFactors:
    """The item vectors as this worker knows them (its read model of ``item-factors``), with uniform sampling.

    ``get`` of an item never published answers its initial vector and remembers the item, so it can be sampled
    as a negative from then on.
    """

    def __init__(self, config: MFConfig) -> None:
        self.config = config
        self._index: dict[str, int] = {}
        self._ids: list[str] = []
        self._vectors = np.empty((64, config.dim))

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._index

    @property
    def ids(self) -> list[str]:
        """The known items, in row order (the list itself: do not modify)."""
        return self._ids

    def _row(self, track_id: str) -> int:
        row = self._index.get(track_id)
        if row is None:
            row = len(self._ids)
            if row == len(self._vectors):
                self._vectors = np.concatenate([self._vectors, np.empty_like(self._vectors)])
            self._vectors[row] = initial_item_vector(track_id, self.config)
            self._index[track_id] = row
            self._ids.append(track_id)
        return row

    def get(self, track_id: str) -> FloatArray:
        """The item's vector (a copy)."""
        row = self._row(track_id)  # first: it may grow (replace) the matrix
        vector: FloatArray = self._vectors[row].copy()
        return vector

    def rows(self, track_ids: Sequence[str]) -> FloatArray:
        """The vectors of ``track_ids``, one row each (a copy)."""
        rows = [self._row(t) for t in track_ids]
        matrix: FloatArray = self._vectors[rows]
        return matrix

    def put(self, track_id: str, vector: FloatArray) -> None:
        if vector.shape != (self.config.dim,):
            raise ValueError(f"an item vector has {self.config.dim} values (factors and bias), got {vector.shape}")
        row = self._row(track_id)
        self._vectors[row] = vector

    def row(self, track_id: str) -> int:
        """The item's row in :meth:`matrix` (an item not known before becomes known)."""
        return self._row(track_id)

    def matrix(self) -> FloatArray:
        """Every known vector, one row each, in row order (a view: valid until the next item becomes known)."""
        view: FloatArray = self._vectors[: len(self._ids)]
        return view

    def sample_rows(self, key: str, n: int, avoid_row: int) -> list[int]:
        """``n`` rows drawn uniformly from the known items by hashing ``key`` (the same key and items give the same
        draw; no generator to seed per call); a draw of ``avoid_row`` moves to the next row. Empty below 2 items."""
        size = len(self._ids)
        if size < 2:
            return []
        rows = [r % size for r in self.digest_ints(key, n)]
        return [(r + 1) % size if r == avoid_row else r for r in rows]

    @staticmethod
    def digest_ints(key: str, n: int) -> list[int]:
        """``n`` 64-bit integers that depend only on ``key``."""
        digest = b"".join(hashlib.blake2b(f"{block}:{key}".encode(), digest_size=64).digest()
                          for block in range((n + 7) // 8))
        return [int.from_bytes(digest[8 * j:8 * j + 8], "little") for j in range(n)]



class NegativeSampler(Protocol):
    """Picks the rows (in the read model) of the items a listen is ranked against; the listened item is known."""

    def __call__(self, event: Feedback, items: ItemFactors, n: int) -> list[int]: ...


def uniform_negatives(event: Feedback, items: ItemFactors, n: int) -> list[int]:
    """Uniform over the known items, seeded by the event id: the same event and read model give the same sample."""
    return items.sample_rows(event.event_id, n, items.row(event.track_id))


class PooledNegatives:
    """Negatives drawn from a pool of ``size`` items drawn uniformly from the known ones, renewed by :meth:`renew`
    (the models stage renews it at every flush).

    Each listen's negatives are still uniform over the items, but those of one flush come from the same few, so
    the flush sends at most ``size`` deltas for negatives instead of about ``n_negatives`` per listen: uniformly
    sampled negatives are nearly all distinct items, and their deltas cost a record each on ``item-updates``, one
    on ``item-factors`` and a changelog entry at the owner.

    >>> items = ItemFactors(MFConfig(n_factors=2))
    >>> for t in ["a", "b", "c", "d"]:
    ...     _ = items.row(t)
    >>> pool = PooledNegatives(size=2)
    >>> len({r for i in range(20) for r in pool(Feedback(f"e{i}", "u", "a", 1.0), items, 3)}) <= 3
    True
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._pool: list[int] = []
        self._renewals = 0

    def renew(self) -> None:
        self._pool = []
        self._renewals += 1

    def __call__(self, event: Feedback, items: ItemFactors, n: int) -> list[int]:
        if len(self._pool) < min(self.size, len(items) - 1):
            self._pool = items.sample_rows(f"pool-{self._renewals}-{len(items)}", self.size, -1)
        avoid = items.row(event.track_id)
        picks = [self._pool[r % len(self._pool)] for r in items.digest_ints(event.event_id, n)] if self._pool else []
        return [p for p in picks if p != avoid] if len(items) > 1 else []


def feedback_step(user: FloatArray, items: FloatArray, weight: float,
                  config: MFConfig) -> tuple[FloatArray, FloatArray]:
    """One step for one listen: row 0 of ``items`` is the listened item, the rows below it sampled items.

    ``weight > 0`` is the model's own weighted BPR step (:func:`botify_models.streaming_mf.user_step`): row 0
    should score above the others. ``weight < 0`` is its mirror: row 0 should score *below* each sampled item, with
    the same saturating log-sigmoid loss (so a track skipped many times is pushed down less and less, not forever).
    Returns the user's new vector and one additive update per row of ``items``.

    >>> config = MFConfig(n_factors=2, learning_rate=0.1, l2=0.0)
    >>> user, items = np.array([1.0, 0.0, 1.0]), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> new_user, updates = feedback_step(user, items, -1.0, config)
    >>> bool((new_user @ (items[0] + updates[0])) < user @ items[0])
    True
    """
    if weight >= 0:
        return user_step(user, items, weight, config)
    if items.ndim != 2 or items.shape[0] < 2 or items.shape[1] != config.dim or user.shape != (config.dim,):
        raise ValueError(f"need a user vector of length {config.dim} and items of shape (1 + negatives, "
                         f"{config.dim}), got {user.shape} and {items.shape}")
    disliked, others = items[0], items[1:]
    margins = (others - disliked) @ user  # each sampled item should win over the disliked one
    pull = -weight * 0.5 * (1.0 - np.tanh(0.5 * margins))
    user_grad = pull @ (others - disliked) - config.l2 * user
    user_grad[-1] = 0.0  # the bias slot of a user is the constant 1
    updates = np.empty_like(items)
    updates[0] = -pull.sum() * user - config.l2 * disliked
    updates[1:] = pull[:, None] * user[None, :] - config.l2 * others
    return user + config.learning_rate * user_grad, config.learning_rate * updates


@dataclass
class UserBatchResult:
    """What a batch changed: each touched user's new vector, and the summed item deltas keyed by item."""

    users: dict[str, FloatArray] = field(default_factory=dict)
    item_deltas: dict[str, ItemDelta] = field(default_factory=dict)
    steps: int = 0


@dataclass
class _Plan:
    """The steps of a batch as arrays: who, which way, how strongly, and the rows involved (listened item first;
    -1 pads a short sample)."""

    users: list[str]
    sign: FloatArray        # +1: the listened item should rank above the sampled ones; -1: below
    weight: FloatArray      # |feedback weight|
    rows: NDArray[np.int64]


def _plan(batch: Iterable[Feedback], items: ItemFactors, n: int, negatives: NegativeSampler) -> _Plan:
    """Sequential and cheap: make each listened item known and draw its negatives, as the event order has it."""
    users: list[str] = []
    weights: list[float] = []
    rows: list[list[int]] = []
    for event in batch:
        if event.weight == 0:
            continue
        row = items.row(event.track_id)  # known from now on, as a positive and as a future negative
        sampled = negatives(event, items, n)
        if sampled:
            users.append(event.user_id)
            weights.append(event.weight)
            rows.append([row, *sampled, *[-1] * (n - len(sampled))])
    signed = np.array(weights, dtype=np.float64)
    return _Plan(users, np.sign(signed), np.abs(signed), np.array(rows, dtype=np.int64).reshape(len(rows), n + 1))


def _rounds(users: list[str]) -> list[NDArray[np.int64]]:
    """Step indices by round: round r holds each user's r-th step, so a round has distinct users."""
    rounds: list[list[int]] = []
    seen: dict[str, int] = {}
    for i, user in enumerate(users):
        r = seen.get(user, 0)
        seen[user] = r + 1
        if r == len(rounds):
            rounds.append([])
        rounds[r].append(i)
    return [np.array(r, dtype=np.int64) for r in rounds]


def fold_user_batch(batch: Iterable[Feedback], user_vector: Callable[[str], FloatArray | None],
                    items: ItemFactors, config: MFConfig,
                    negatives: NegativeSampler = uniform_negatives) -> UserBatchResult:
    """Run the user step for every listen of ``batch`` in order; sum the item half per item.

    ``user_vector`` answers a user's stored vector (``None`` for a new user): the caller's user-keyed state.
    The result holds only what changed, so the caller writes each touched user once per batch and sends one
    :class:`ItemDelta` per touched item. Listens with weight 0, and listens while fewer than two items are known
    (nothing to rank against), change no vector; a listened item still becomes known.

    The item vectors are those of the batch's start, so the steps of different users are independent: each round
    takes every user's next listen and runs all of them at once in numpy (:func:`feedback_step`'s arithmetic,
    batched), which is the sequential result, step for step, at a fraction of the per-call overhead.
    """
    result = UserBatchResult()
    plan = _plan(batch, items, config.n_negatives, negatives)
    if not plan.users:
        return result
    table = items.matrix()
    touched, positions = np.unique(np.where(plan.rows < 0, plan.rows[:, :1], plan.rows), return_inverse=True)
    positions = positions.reshape(plan.rows.shape)
    valid = (plan.rows[:, 1:] >= 0).astype(np.float64)     # a pad pulls nothing and gets no update
    deltas = np.zeros((len(touched), config.dim))
    lr, l2 = config.learning_rate, config.l2
    for members in _rounds(plan.users):
        ids = [plan.users[i] for i in members]
        users = np.array([_current(result, u, user_vector, config) for u in ids])
        sign, weight, mask = plan.sign[members], plan.weight[members], valid[members]
        vectors = table[plan.rows[members]]                   # (m, 1 + n, dim): listened item, then samples
        listened, others = vectors[:, 0], vectors[:, 1:]
        diff = sign[:, None, None] * (listened[:, None, :] - others)
        margins = np.einsum("mkd,md->mk", diff, users)
        pull = weight[:, None] * 0.5 * (1.0 - np.tanh(0.5 * margins)) * mask
        user_grad = np.einsum("mk,mkd->md", pull, diff) - l2 * users
        user_grad[:, -1] = 0.0  # the bias slot of a user is the constant 1
        updates = np.empty_like(vectors)
        updates[:, 0] = (sign * pull.sum(axis=1))[:, None] * users - l2 * listened
        updates[:, 1:] = (-sign[:, None, None] * pull[:, :, None] * users[:, None, :] - l2 * others) * mask[:, :, None]
        np.add.at(deltas, positions[members].ravel(), lr * updates.reshape(-1, config.dim))
        result.users.update(zip(ids, users + lr * user_grad, strict=True))
    listens = np.bincount(positions[:, 0], minlength=len(touched))
    result.steps = len(plan.users)
    names = items.ids
    result.item_deltas = {names[row]: ItemDelta(deltas[j], int(listens[j])) for j, row in enumerate(touched.tolist())}
    return result


def _current(result: UserBatchResult, user_id: str, user_vector: Callable[[str], FloatArray | None],
             config: MFConfig) -> FloatArray:
    vector = result.users.get(user_id)
    if vector is None:
        vector = user_vector(user_id)
    return new_user_vector(config) if vector is None else vector


def user_factors(vector: FloatArray | None) -> list[float]:
    """What ``UserState.factors`` carries: the latent part of the user's vector (the bias slot is always 1).

    A user's predicted score for an item is ``factors . item_factors + item_bias`` (``FactorsUpdated``).
    """
    return [] if vector is None else [float(x) for x in vector[:-1]]


class RiverBaseline:
    """River's ``reco.BiasedMF`` on the same feedback, one model per partition (its users and items are local).

    Prequential: each event is predicted before it is learned, and the absolute error of those predictions is
    kept, so the baseline's error over the live stream can be read at any time. The target is the feedback weight.

    >>> baseline = RiverBaseline(n_factors=2, seed=0)
    >>> errors = baseline.learn_batch(0, [Feedback("e1", "ann", "t1", 1.0), Feedback("e2", "ann", "t1", 1.0)])
    >>> len(errors), baseline.events
    (2, 2)
    """

    def __init__(self, n_factors: int = 10, learning_rate: float = 0.05, l2: float = 0.01, seed: int = 0) -> None:
        self.n_factors, self.learning_rate, self.l2, self.seed = n_factors, learning_rate, l2, seed
        self.models: dict[int, reco.BiasedMF] = {}
        self.events = 0
        self.absolute_error = 0.0

    def model(self, partition: int) -> reco.BiasedMF:
        model = self.models.get(partition)
        if model is None:
            model = self.models[partition] = reco.BiasedMF(
                n_factors=self.n_factors, bias_optimizer=optim.SGD(self.learning_rate),
                latent_optimizer=optim.SGD(self.learning_rate), l2_bias=self.l2, l2_latent=self.l2,
                weight_initializer=optim.initializers.Zeros(),
                latent_initializer=optim.initializers.Normal(mu=0.0, sigma=0.1, seed=self.seed + partition))
        return model

    def learn_batch(self, partition: int, batch: Iterable[Feedback]) -> list[float]:
        """Test then train on each event of ``batch``; the absolute errors of the predictions, in order."""
        model = self.model(partition)
        errors = []
        for event in batch:
            if event.weight == 0:
                continue
            error = abs(float(model.predict_one(event.user_id, event.track_id)) - event.weight)  # type: ignore[no-untyped-call]
            model.learn_one(event.user_id, event.track_id, event.weight)  # type: ignore[no-untyped-call]
            errors.append(error)
        self.events += len(errors)
        self.absolute_error += sum(errors)
        return errors

    def predict(self, partition: int, user: Hashable, item: Hashable) -> float:
        return float(self.model(partition).predict_one(user, item))  # type: ignore[no-untyped-call]

    @property
    def mean_absolute_error(self) -> float:
        """Prequential mean absolute error over every event so far (0 before any)."""
        return self.absolute_error / self.events if self.events else 0.0
