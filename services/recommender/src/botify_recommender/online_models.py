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

    def sample(self, rng: np.random.Generator, n: int, avoid: str) -> list[str]:
        """``n`` items drawn uniformly from those known, redrawing ``avoid`` a few times (a leftover is dropped)."""
        if len(self._ids) < 2:
            return []
        rows = rng.integers(0, len(self._ids), size=n)
        avoid_row = self._index.get(avoid, -1)
        for _ in range(3):
            clash = rows == avoid_row
            if not clash.any():
                break
            rows[clash] = rng.integers(0, len(self._ids), size=int(clash.sum()))
        return [self._ids[r] for r in rows if r != avoid_row]


class NegativeSampler(Protocol):
    """Picks the items a listen is ranked against."""

    def __call__(self, event: Feedback, items: ItemFactors, n: int) -> list[str]: ...


def uniform_negatives(event: Feedback, items: ItemFactors, n: int) -> list[str]:
    """Uniform over the known items, seeded by the event id: the same event and read model give the same sample."""
    return items.sample(np.random.default_rng(_seed(event.event_id)), n, avoid=event.track_id)


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

    def _add(self, track_id: str, delta: FloatArray, listened: bool) -> None:
        known = self.item_deltas.get(track_id)
        if known is None:
            self.item_deltas[track_id] = ItemDelta(delta.copy(), int(listened))
        else:
            known.delta += delta
            known.listens += int(listened)


def fold_user_batch(batch: Iterable[Feedback], user_vector: Callable[[str], FloatArray | None],
                    items: ItemFactors, config: MFConfig,
                    negatives: NegativeSampler = uniform_negatives) -> UserBatchResult:
    """Run the user step for every listen of ``batch`` in order; sum the item half per item.

    ``user_vector`` answers a user's stored vector (``None`` for a new user): the caller's user-keyed state.
    The result holds only what changed, so the caller writes each touched user once per batch and sends one
    :class:`ItemDelta` per touched item. Listens with weight 0, and listens while fewer than two items are known
    (nothing to rank against), change no vector; a listened item still becomes known.
    """
    result = UserBatchResult()
    for event in batch:
        if event.weight == 0:
            continue
        items.get(event.track_id)  # known from now on, as a positive and as a future negative
        sampled = negatives(event, items, config.n_negatives)
        if not sampled:
            continue
        user = result.users.get(event.user_id)
        if user is None:
            stored = user_vector(event.user_id)
            user = new_user_vector(config) if stored is None else stored
        track_ids = [event.track_id, *sampled]
        new_user, updates = feedback_step(user, items.rows(track_ids), event.weight, config)
        result.users[event.user_id] = new_user
        for position, (track_id, update) in enumerate(zip(track_ids, updates, strict=True)):
            result._add(track_id, update, listened=position == 0)
        result.steps += 1
    return result


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
