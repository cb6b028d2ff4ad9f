"""The online models as stages of the stream processor: the user step on ``listens``, the item owner on
``item-updates``, and every worker's read model of ``item-factors``.

Registered in :func:`botify_recommender.app.stages` through one :class:`OnlineModels` per process, whose two stages
share what a process knows of the items:

* :class:`ModelsStage` (``models``, on ``listens``, before ``user-state``): folds each batch with
  :func:`~botify_recommender.online_models.fold_user_batch` (user vectors are its state, one changelog entry per
  touched user per flush), keeps the summed item deltas of the flush and sends one ``ItemFactorsDelta`` per touched
  item to ``item-updates`` when the flush commits; negatives come from a pool of ``mf_negative_pool`` items renewed
  every flush (:class:`~botify_recommender.online_models.PooledNegatives`), so a flush touches the listened items
  plus at most that many others; trains River's baseline on the same feedback; and offers
  ``user_factors`` to the user-state stage, which puts them in ``UserState``.
* :class:`ItemOwnerStage` (``item-owner``, on ``item-updates``): sums the deltas a flush brought per item, applies
  them once (bounded by ``mf_max_delta_norm``), keeps the item vectors as its state and publishes ``FactorsUpdated``
  to ``item-factors`` in the same transaction.
* every process also tails ``item-factors`` (all partitions, no group: :class:`ItemFactorsFeed`, a
  :class:`~botify_recommender.topic_feed.TopicFeed`) into the shared
  :class:`~botify_recommender.online_models.ItemFactors` read model, where the user step reads item vectors; an
  owner also writes the vectors it has just computed there at once, so one worker sees its own items without the
  round trip.

The read model is not state: after a restart it is rebuilt from ``item-factors``, and a step taken before an item's
latest vector arrived uses the previous one (the item side stays exact; the user side is, as in any parameter
server, a step behind). River's models are in memory only (a baseline, compared with ours in the lab's prequential
report): a partition that moves to another worker starts a fresh one there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from prometheus_client import Counter, Gauge

from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated
from botify_core.proto.botify.v1.stream_pb2 import StateEntry
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_models.streaming_mf import FloatArray, MFConfig
from botify_recommender.feedback import FeedbackRules
from botify_recommender.item_updates import (
    ItemState,
    apply_item_batch,
    delta_from_message,
    delta_message,
    factors_message,
    merge_deltas,
    vector_from_factors,
)
from botify_recommender.online_models import (
    MODEL_VERSION,
    Feedback,
    ItemDelta,
    ItemFactors,
    PooledNegatives,
    RiverBaseline,
    fold_user_batch,
    user_factors,
)
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Keyed, Listen, PartitionContext
from botify_recommender.topic_feed import TopicFeed

log = logging.getLogger(__name__)
_FACTORS_CODEC = codec_for(FactorsUpdated)

MF_STEPS = Counter("botify_recommender_mf_steps_total", "Streaming-MF user steps taken (one per listen with feedback)")
ITEM_DELTAS = Counter("botify_recommender_item_deltas_total",
                      "Item deltas sent to item-updates (at most one per item per flush per listens partition)")
ITEM_FACTORS = Counter("botify_recommender_item_factors_published_total",
                       "FactorsUpdated published by the items' owners (at most one per item per flush)")
RIVER_MAE = Gauge("botify_recommender_river_mae",
                  "Prequential mean absolute error of River's BiasedMF baseline on this worker's feedback")


def mf_config(settings: RecommenderSettings) -> MFConfig:
    return MFConfig(n_factors=settings.mf_factors, learning_rate=settings.mf_learning_rate, l2=settings.mf_l2,
                    n_negatives=settings.mf_negatives)


class ItemFactorsFeed(TopicFeed):
    """Tails every partition of ``item-factors`` into an :class:`ItemFactors` read model (global-table style)."""

    def __init__(self, kafka: KafkaSettings, items: ItemFactors) -> None:
        super().__init__(kafka, Topic.ITEM_FACTORS)
        self.items = items
        self.applied = 0

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:
            return
        try:
            message = _FACTORS_CODEC.decode(value)
            vector = vector_from_factors(message, self.items.config)
        except (CodecError, ValueError) as exc:  # a vector of another model version: keep the one we have
            log.warning("skipping an item-factors record: %s", exc)
            return
        self.items.put(message.track_id, vector)
        self.applied += 1


@dataclass
class ModelRuntime:
    """What the two stages of one process share."""

    settings: RecommenderSettings
    config: MFConfig
    items: ItemFactors
    river: RiverBaseline
    feed: ItemFactorsFeed
    feed_task: asyncio.Task[None] | None = None

    def start_feed(self) -> None:
        """Tail ``item-factors`` from now on (first partition opened: the engine's loop is running)."""
        if self.feed_task is None or self.feed_task.done():
            self.feed_task = asyncio.get_running_loop().create_task(self._feed())

    async def _feed(self) -> None:
        try:
            await self.feed.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # the models go on with the vectors they have; the next partition opened restarts it
            log.exception("the item-factors feed stopped")


class OnlineModels:
    """One per worker process: makes the runtime on first use (the settings arrive with the first partition)."""

    def __init__(self) -> None:
        self._runtime: ModelRuntime | None = None
        self.users = ModelsStage(self)
        self.items = ItemOwnerStage(self)

    def runtime(self, settings: RecommenderSettings) -> ModelRuntime:
        if self._runtime is None:
            config = mf_config(settings)
            items = ItemFactors(config)
            self._runtime = ModelRuntime(settings, config, items,
                                         RiverBaseline(settings.river_factors, settings.river_learning_rate),
                                         ItemFactorsFeed(settings.kafka, items))
        self._runtime.start_feed()
        return self._runtime


class ModelsState:
    """The user side on one ``listens`` partition: its users' vectors and the item deltas of the open flush."""

    model_version = MODEL_VERSION

    def __init__(self, partition: int, runtime: ModelRuntime) -> None:
        self.partition = partition
        self.runtime = runtime
        self.rules = FeedbackRules.from_settings(runtime.settings)
        self.users: dict[str, FloatArray] = {}
        self._changed: set[str] = set()
        self._deltas: dict[str, ItemDelta] = {}
        self.negatives = PooledNegatives(runtime.settings.mf_negative_pool)

    def restore(self, key: str, entry: StateEntry) -> None:
        self.users[key] = np.frombuffer(entry.opaque, dtype=np.float64).copy()

    def fold(self, batch: Sequence[Listen], out: list[Emit]) -> None:
        feedback = [Feedback(listen.event.event_id, listen.user_id, listen.track_id,
                             self.rules.weight(listen.kind, listen.fraction)) for listen in batch]
        result = fold_user_batch(feedback, self.users.get, self.runtime.items, self.runtime.config, self.negatives)
        self.users.update(result.users)
        self._changed.update(result.users)
        for track_id, delta in result.item_deltas.items():
            known = self._deltas.get(track_id)
            if known is None:
                self._deltas[track_id] = delta
            else:
                known.add(delta)
        MF_STEPS.inc(result.steps)
        self.runtime.river.learn_batch(self.partition, feedback)

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        """Send the flush's summed item deltas: one record per touched item, in this flush's transaction."""
        for track_id, delta in self._deltas.items():
            out.append(Emit(Topic.ITEM_UPDATES, track_id, delta_message(track_id, delta, now_ms)))
        ITEM_DELTAS.inc(len(self._deltas))
        self._deltas = {}
        self.negatives.renew()
        RIVER_MAE.set(self.runtime.river.mean_absolute_error)

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {u: StateEntry(opaque=self.users[u].tobytes()) for u in self._changed}
        self._changed.clear()
        return result

    def user_factors(self, user_id: str) -> Sequence[float] | None:
        """For ``UserState.factors``: the user's latent factors (see :func:`online_models.user_factors`)."""
        vector = self.users.get(user_id)
        return None if vector is None else user_factors(vector)


class ItemOwnerState:
    """The item side on one ``item-updates`` partition: the vectors of the items it owns."""

    def __init__(self, runtime: ModelRuntime) -> None:
        self.runtime = runtime
        self.max_delta_norm = runtime.settings.mf_max_delta_norm
        self.items: dict[str, ItemState] = {}
        self._changed: set[str] = set()
        self._pending: list[tuple[str, ItemDelta]] = []

    def restore(self, key: str, entry: StateEntry) -> None:
        state = self.items[key] = ItemState.from_bytes(entry.opaque)
        self.runtime.items.put(key, state.vector)

    def fold(self, batch: Sequence[Keyed], out: list[Emit]) -> None:
        config = self.runtime.config
        self._pending.extend((record.key, delta_from_message(record.value, config)) for record in batch)

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        """Apply the flush's deltas, summed per item, once; publish each touched item's factors."""
        if not self._pending:
            return
        updated = apply_item_batch(merge_deltas(self._pending), self.items.get, self.runtime.config,
                                   self.max_delta_norm)
        self._pending = []
        for track_id, state in updated.items():
            self.items[track_id] = state
            self.runtime.items.put(track_id, state.vector)
            out.append(Emit(Topic.ITEM_FACTORS, track_id, factors_message(track_id, state, now_ms)))
        self._changed.update(updated)
        ITEM_FACTORS.inc(len(updated))

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {t: StateEntry(opaque=self.items[t].to_bytes()) for t in self._changed}
        self._changed.clear()
        return result


class ModelsStage:
    name = "models"
    source = Topic.LISTENS

    def __init__(self, shared: OnlineModels) -> None:
        self.shared = shared

    def open(self, partition: int, context: PartitionContext) -> ModelsState:
        return ModelsState(partition, self.shared.runtime(context.settings))


class ItemOwnerStage:
    name = "item-owner"
    source = Topic.ITEM_UPDATES

    def __init__(self, shared: OnlineModels) -> None:
        self.shared = shared

    def open(self, partition: int, context: PartitionContext) -> ItemOwnerState:
        return ItemOwnerState(self.shared.runtime(context.settings))
