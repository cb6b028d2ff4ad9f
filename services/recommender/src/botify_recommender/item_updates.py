"""Online models, item side: the parameter server of our streaming MF.

The user step (:mod:`botify_recommender.online_models`) sums a batch's item updates per item and sends one
``ItemFactorsDelta`` per touched item to the internal topic ``item-updates``, keyed by track id. Kafka's key
partitioning makes the worker that holds partition ``p`` of ``item-updates`` the owner of the items hashed to
``p``; only that worker writes their vectors, so an item's vector has one writer and needs no locks or merges.

The owner micro-batches: per flush it sums the deltas that arrived per item (:func:`merge_deltas`), applies the
sum once (:func:`apply_item_batch`), and publishes one ``FactorsUpdated`` per touched item to the compacted
``item-factors``. A hot item therefore costs its owner one update and one published message per flush, however
many listens it had: each user partition sends at most one delta per item per batch, so an owner reads at most
(user partitions × batches) deltas for it, and the sum of a flush can be clipped to a norm bound
(``max_delta_norm``) so a burst on one item cannot throw its vector far in one go.

How user-side workers learn the item factors: every worker also reads ``item-factors`` from all partitions (no
consumer group: a plain assignment, from the beginning at start, then following) into its
:class:`~botify_recommender.online_models.ItemFactors` read model, through :func:`vector_from_factors`. Until an
item's first update arrives, both sides use its seeded initial vector, so they agree on it without a message.

>>> config = MFConfig(n_factors=2)
>>> merged = merge_deltas([("t1", ItemDelta(np.ones(3), 1)), ("t1", ItemDelta(np.ones(3), 2))])
>>> merged["t1"].delta.tolist(), merged["t1"].listens
([2.0, 2.0, 2.0], 3)
>>> state = apply_item_batch(merged, {}.get, config)["t1"]
>>> state.update_count
3
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated, ItemFactorsDelta
from botify_models.streaming_mf import FloatArray, MFConfig, apply_item_update
from botify_recommender.online_models import MODEL_VERSION, ItemDelta, initial_item_vector


@dataclass(slots=True)
class ItemState:
    """What the owner keeps per item: its vector (factors, then bias) and how many listens updated it."""

    vector: FloatArray
    update_count: int = 0

    def to_bytes(self) -> bytes:
        """A compact, exact form for a state store: the count, then the vector as float64."""
        return np.int64(self.update_count).tobytes() + self.vector.astype(np.float64).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> ItemState:
        return cls(np.frombuffer(data, dtype=np.float64, offset=8).copy(),
                   int(np.frombuffer(data, dtype=np.int64, count=1)[0]))


def merge_deltas(deltas: Iterable[tuple[str, ItemDelta]]) -> dict[str, ItemDelta]:
    """Sum the deltas per item, in arrival order (the inputs are not modified)."""
    merged: dict[str, ItemDelta] = {}
    for track_id, delta in deltas:
        known = merged.get(track_id)
        if known is None:
            merged[track_id] = ItemDelta(delta.delta.copy(), delta.listens)
        else:
            known.add(delta)
    return merged


def clip_norm(delta: FloatArray, max_norm: float | None) -> FloatArray:
    """``delta`` scaled down to ``max_norm`` when it is longer (``None``: no bound)."""
    if max_norm is None:
        return delta
    norm = float(np.linalg.norm(delta))
    return delta if norm <= max_norm else delta * (max_norm / norm)


def apply_item_batch(merged: Mapping[str, ItemDelta], stored: Callable[[str], ItemState | None], config: MFConfig,
                     max_delta_norm: float | None = None) -> dict[str, ItemState]:
    """Each touched item's new state: its stored state (or its initial vector) plus the flush's summed delta."""
    updated: dict[str, ItemState] = {}
    for track_id, delta in merged.items():
        if delta.delta.shape != (config.dim,):
            raise ValueError(f"a delta for {track_id!r} has {delta.delta.shape} values; the model's vectors have "
                             f"{config.dim} (n_factors={config.n_factors} plus the bias)")
        state = stored(track_id)
        vector = initial_item_vector(track_id, config) if state is None else state.vector
        count = 0 if state is None else state.update_count
        updated[track_id] = ItemState(apply_item_update(vector, clip_norm(delta.delta, max_delta_norm)),
                                      count + delta.listens)
    return updated


def delta_message(track_id: str, delta: ItemDelta, sent_at_ms: int) -> ItemFactorsDelta:
    """The ``item-updates`` message carrying one item's summed delta (exact: doubles)."""
    return ItemFactorsDelta(track_id=track_id, delta=delta.delta.tolist(), listens=delta.listens,
                            model_version=MODEL_VERSION, sent_at_ms=sent_at_ms)


def delta_from_message(message: ItemFactorsDelta, config: MFConfig) -> ItemDelta:
    if len(message.delta) != config.dim:
        raise ValueError(f"ItemFactorsDelta for {message.track_id!r} carries {len(message.delta)} values, the model "
                         f"has {config.dim} (n_factors={config.n_factors} plus the bias); a model_version mismatch?")
    return ItemDelta(np.array(message.delta, dtype=np.float64), message.listens)


def factors_message(track_id: str, state: ItemState, updated_at_ms: int) -> FactorsUpdated:
    """The ``item-factors`` message of an item: latent factors and bias apart, as the gateway reads them."""
    return FactorsUpdated(track_id=track_id, factors=state.vector[:-1].tolist(), bias=float(state.vector[-1]),
                          model_version=MODEL_VERSION, update_count=state.update_count,
                          updated_at_ms=updated_at_ms)


def vector_from_factors(message: FactorsUpdated, config: MFConfig) -> FloatArray:
    """An ``item-factors`` message back to the model's vector (factors then bias), for the user-side read model."""
    if len(message.factors) != config.n_factors:
        raise ValueError(f"FactorsUpdated for {message.track_id!r} has {len(message.factors)} factors, the model "
                         f"has {config.n_factors}; a model_version mismatch?")
    return np.array([*message.factors, message.bias], dtype=np.float64)
