"""Next-track transitions: decayed successor weights merged from several partitions, whatever the order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from botify_core.proto.botify.v1.models_pb2 import Transitions
from botify_core.proto.botify.v1.stream_pb2 import DecayedWeight, TransitionDelta
from botify_core.topics import Topic
from botify_recommender.catalog import Catalog
from botify_recommender.decay import add, merge
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Keyed, PartitionContext
from botify_recommender.transitions import TransitionsStage, top_k
from botify_recommender.user_state import decayed_successors

HALF_LIFE = 1_000


@given(st.lists(st.tuples(st.integers(0, 5_000), st.floats(0.1, 10)), min_size=1, max_size=30), st.randoms())
def test_decayed_sums_do_not_depend_on_the_order_of_additions(events: list[tuple[int, float]], rnd: object) -> None:
    value, ref = 0.0, 0
    for t, w in events:
        value, ref = add(value, ref, t, w, HALF_LIFE)
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    other, other_ref = 0.0, 0
    for t, w in shuffled:
        other, other_ref = add(other, other_ref, t, w, HALF_LIFE)
    assert ref == other_ref and abs(value - other) <= 1e-9 * max(1.0, value)


def test_partial_maps_merge_to_the_map_of_all_events() -> None:
    whole, ref = decayed_successors([("a", 0), ("b", 1_000), ("a", 2_000)], HALF_LIFE)
    left, left_ref = decayed_successors([("a", 0), ("b", 1_000)], HALF_LIFE)
    right, right_ref = decayed_successors([("a", 2_000)], HALF_LIFE)
    merged, merged_ref = merge(left, left_ref, right, right_ref, HALF_LIFE)
    assert merged_ref == ref == 2_000
    assert merged == whole == {"a": 1.25, "b": 0.5}


def test_the_owner_publishes_the_top_k_successors_on_its_cadence() -> None:
    settings = RecommenderSettings(transitions_top_k=2, snapshot_interval_ms=1_000, transitions_half_life_ms=HALF_LIFE)
    state = TransitionsStage().open(0, PartitionContext(0, settings, Catalog()))
    deltas = [TransitionDelta(track_id="x", ref_time_ms=1_000, successors=[DecayedWeight(track_id="a", weight=1.0),
                                                                           DecayedWeight(track_id="b", weight=3.0)]),
              TransitionDelta(track_id="x", ref_time_ms=2_000, successors=[DecayedWeight(track_id="c", weight=2.0)])]
    out: list[Emit] = []
    state.fold([Keyed("x", d) for d in deltas], out)
    state.tick(5_000, out)
    (emit,) = out
    assert emit.topic is Topic.TRANSITIONS and isinstance(emit.value, Transitions)
    assert [(s.track_id, round(s.weight, 3)) for s in emit.value.successors] == [("c", 2.0), ("b", 1.5)]
    state.tick(5_500, out)
    assert len(out) == 1                      # nothing changed: nothing more to publish
    assert list(state.changes()) == ["x"]
    assert top_k({"a": 1.0, "b": 1.0}, 1) == [("a", 1.0)]
