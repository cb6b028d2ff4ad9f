"""Next-track transitions, owner side: decayed counts of what follows what, summed per preceding track.

Every ``listens`` partition sends the successions of its users' sessions (:mod:`botify_recommender.user_state`) as
:class:`TransitionDelta` records keyed by the preceding track; the partition of ``transition-deltas`` that owns the
track merges them (decay by event time, so the order of arrival does not matter) and publishes the top-k successors
to ``transitions`` every ``snapshot_interval_ms`` (:class:`~botify_recommender.stages.Cadence`). A track keeps at
most ``4 * transitions_top_k`` successors: when it has more, the lightest are forgotten.

>>> top_k({"a": 1.0, "b": 3.0, "c": 2.0}, 2)
[('b', 3.0), ('c', 2.0)]
"""

from __future__ import annotations

from collections.abc import Sequence

from botify_core.proto.botify.v1.models_pb2 import Successor, Transitions
from botify_core.proto.botify.v1.stream_pb2 import DecayedWeight, StateEntry, SuccessorWeights, TransitionDelta
from botify_core.topics import Topic
from botify_recommender import decay
from botify_recommender.stages import Cadence, Emit, Keyed, PartitionContext


def top_k(weights: dict[str, float], k: int) -> list[tuple[str, float]]:
    return sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


class TransitionsState:
    def __init__(self, context: PartitionContext) -> None:
        settings = context.settings
        self.k = settings.transitions_top_k
        self.half_life_ms = settings.transitions_half_life_ms
        self.publishing = Cadence(settings.snapshot_interval_ms, settings.commit_interval_ms)
        self.tracks: dict[str, tuple[dict[str, float], int]] = {}
        self._changed: set[str] = set()
        self._unpublished: set[str] = set()

    def restore(self, key: str, entry: StateEntry) -> None:
        s = entry.successors
        self.tracks[key] = ({w.track_id: w.weight for w in s.successors}, s.ref_time_ms)
        self._unpublished.add(key)

    def fold(self, batch: Sequence[Keyed], out: list[Emit]) -> None:
        for record in batch:
            delta: TransitionDelta = record.value
            weights, ref = self.tracks.get(delta.track_id, ({}, delta.ref_time_ms))
            merged, ref = decay.merge(weights, ref, {w.track_id: w.weight for w in delta.successors},
                                      delta.ref_time_ms, self.half_life_ms)
            if len(merged) > 4 * self.k:
                merged = dict(top_k(merged, 4 * self.k))
            self.tracks[delta.track_id] = (merged, ref)
            self._changed.add(delta.track_id)
            self._unpublished.add(delta.track_id)

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        if not self._unpublished or not self.publishing.due(now_ms):
            return
        for track in sorted(self._unpublished):
            weights, _ = self.tracks[track]
            out.append(Emit(Topic.TRANSITIONS, track, Transitions(
                track_id=track, successors=[Successor(track_id=t, weight=w) for t, w in top_k(weights, self.k)],
                updated_at_ms=now_ms)))
        self._unpublished.clear()

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {}
        for track in self._changed:
            weights, ref = self.tracks[track]
            result[track] = StateEntry(successors=SuccessorWeights(
                ref_time_ms=ref, successors=[DecayedWeight(track_id=t, weight=w) for t, w in weights.items()]))
        self._changed.clear()
        return result


class TransitionsStage:
    name = "transitions"
    source = Topic.TRANSITION_DELTAS

    def open(self, partition: int, context: PartitionContext) -> TransitionsState:
        return TransitionsState(context)
