"""Online models in the stream processor: the user step folded over a batch is the sequential model's, item
updates are summed per item (so hot items cost one update per flush), and River's baseline learns."""

from __future__ import annotations

import doctest
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import botify_recommender.item_updates as item_updates
import botify_recommender.online_models as online_models
from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.models_pb2 import FactorsUpdated, ItemFactorsDelta
from botify_models.streaming_mf import FloatArray, MFConfig, apply_item_update, new_user_vector, user_step
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
    Feedback,
    ItemDelta,
    ItemFactors,
    PooledNegatives,
    RiverBaseline,
    feedback_step,
    fold_user_batch,
    initial_item_vector,
    user_factors,
)

CONFIG = MFConfig(n_factors=6, learning_rate=0.1, l2=0.01, n_negatives=3)
TRACKS = [f"t{i}" for i in range(12)]


@pytest.mark.parametrize("module", [online_models, item_updates])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def events(n: int, seed: int = 0, users: int = 4) -> list[Feedback]:
    rng = np.random.default_rng(seed)
    return [Feedback(f"e{i}", f"u{rng.integers(users)}", TRACKS[rng.integers(len(TRACKS))],
                     float(rng.choice([1.0, 2.0, -0.5]))) for i in range(n)]


def no_user(user_id: str) -> FloatArray | None:
    return None


def fixed_negative_ids(event: Feedback, n: int) -> list[str]:
    """Negatives that depend on the event only, so a reference loop can draw the very same ones."""
    rng = np.random.default_rng(int(event.event_id[1:]))
    return [t for t in rng.choice(TRACKS, n, replace=False) if t != event.track_id]


def fixed_negatives(event: Feedback, items: ItemFactors, n: int) -> list[int]:
    return [items.row(t) for t in fixed_negative_ids(event, n)]


def known_items() -> ItemFactors:
    items = ItemFactors(CONFIG)
    for track_id in TRACKS:
        items.get(track_id)
    return items


def test_a_batch_fold_is_the_sequential_user_step_with_the_item_half_summed_per_item() -> None:
    batch = events(60)
    items = known_items()
    start = {t: items.get(t) for t in TRACKS}
    result = fold_user_batch(batch, no_user, items, CONFIG, negatives=fixed_negatives)

    users: dict[str, FloatArray] = {}
    summed = {t: np.zeros(CONFIG.dim) for t in TRACKS}
    for event in batch:
        rows = [event.track_id, *fixed_negative_ids(event, CONFIG.n_negatives)]
        user = users.get(event.user_id, new_user_vector(CONFIG))
        matrix = np.array([start[t] for t in rows])
        if event.weight > 0:
            users[event.user_id], updates = user_step(user, matrix, event.weight, CONFIG)
        else:
            users[event.user_id], updates = feedback_step(user, matrix, event.weight, CONFIG)
        for track_id, update in zip(rows, updates, strict=True):
            summed[track_id] = apply_item_update(summed[track_id], update)

    assert set(result.users) == set(users)
    for user_id, vector in users.items():
        np.testing.assert_allclose(result.users[user_id], vector, rtol=1e-12, atol=1e-12)
    for track_id, delta in result.item_deltas.items():
        np.testing.assert_allclose(delta.delta, summed[track_id], rtol=1e-12, atol=1e-12)
    assert sum(d.listens for d in result.item_deltas.values()) == len(batch)
    assert result.steps == len(batch)
    for track_id in TRACKS:  # the fold reads the item vectors, never writes them: the owner does
        np.testing.assert_array_equal(items.get(track_id), start[track_id])


def test_batches_of_one_through_the_parameter_server_are_the_sequential_model() -> None:
    stream = events(40, seed=1)
    items = known_items()
    owned: dict[str, ItemState] = {}
    stored_users: dict[str, FloatArray] = {}
    reference_items = {t: initial_item_vector(t, CONFIG) for t in TRACKS}
    reference_users: dict[str, FloatArray] = {}
    for event in stream:
        result = fold_user_batch([event], stored_users.get, items, CONFIG, negatives=fixed_negatives)
        stored_users.update(result.users)
        wire = [codec_for(ItemFactorsDelta).decode(codec_for(ItemFactorsDelta).encode(delta_message(t, d, 0)))
                for t, d in result.item_deltas.items()]
        merged = merge_deltas((m.track_id, delta_from_message(m, CONFIG)) for m in wire)
        for track_id, state in apply_item_batch(merged, owned.get, CONFIG).items():
            owned[track_id] = state
            items.put(track_id, state.vector)

        rows = [event.track_id, *fixed_negative_ids(event, CONFIG.n_negatives)]
        user = reference_users.get(event.user_id, new_user_vector(CONFIG))
        reference_users[event.user_id], updates = feedback_step(
            user, np.array([reference_items[t] for t in rows]), event.weight, CONFIG)
        for track_id, update in zip(rows, updates, strict=True):
            reference_items[track_id] = apply_item_update(reference_items[track_id], update)

    for user_id, vector in reference_users.items():
        np.testing.assert_allclose(stored_users[user_id], vector, rtol=1e-10, atol=1e-12)
    for track_id, vector in reference_items.items():
        np.testing.assert_allclose(items.get(track_id), vector, rtol=1e-10, atol=1e-12)
    assert sum(s.update_count for s in owned.values()) == len(stream)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 5),
                          st.lists(st.floats(-10, 10), min_size=3, max_size=3)), max_size=30))
def test_merging_sums_deltas_and_listens_per_item_and_leaves_the_inputs_alone(
        raw: list[tuple[str, int, list[float]]]) -> None:
    deltas = [(t, ItemDelta(np.array(v), n)) for t, n, v in raw]
    before = [d.delta.copy() for _, d in deltas]
    merged = merge_deltas(deltas)
    assert set(merged) == {t for t, _, _ in raw}
    for track_id, delta in merged.items():
        mine = [(n, v) for t, n, v in raw if t == track_id]
        assert delta.listens == sum(n for n, _ in mine)
        np.testing.assert_allclose(delta.delta, np.sum([v for _, v in mine], axis=0), atol=1e-9)
    for (_, delta), original in zip(deltas, before, strict=True):
        np.testing.assert_array_equal(delta.delta, original)


def test_a_hot_item_costs_one_delta_per_batch_per_partition_and_one_bounded_update_per_flush() -> None:
    partitions = 4
    deltas: list[tuple[str, ItemDelta]] = []
    hot_listens = 0
    for partition in range(partitions):
        items = known_items()
        batch = [Feedback(f"p{partition}-{i}", f"u{partition}-{i % 50}", "t0" if i % 10 else TRACKS[i % 12], 1.0)
                 for i in range(1000)]
        hot_listens += sum(e.track_id == "t0" for e in batch)
        result = fold_user_batch(batch, no_user, items, CONFIG)
        assert len(result.item_deltas) <= len(TRACKS)  # one delta per touched item, not one per listen
        deltas += list(result.item_deltas.items())
    hot = [d for t, d in deltas if t == "t0"]
    assert len(hot) == partitions
    assert sum(d.listens for d in hot) == hot_listens > 3000

    merged = merge_deltas(deltas)
    start = ItemState(initial_item_vector("t0", CONFIG))
    unbounded = apply_item_batch(merged, {"t0": start}.get, CONFIG)["t0"]
    bounded = apply_item_batch(merged, {"t0": start}.get, CONFIG, max_delta_norm=0.5)["t0"]
    assert np.linalg.norm(unbounded.vector - start.vector) > 0.5
    assert np.linalg.norm(bounded.vector - start.vector) == pytest.approx(0.5)
    assert bounded.update_count == unbounded.update_count == sum(d.listens for d in hot)


def test_a_skip_lowers_the_items_score_less_and_less() -> None:
    items = known_items()
    user = np.array([0.3, -0.2, 0.1, 0.4, 0.0, 0.2, 1.0])
    matrix = items.rows(["t1", "t2", "t3", "t4"])
    moves = []
    for _ in range(30):
        new_user, updates = feedback_step(user, matrix, -1.0, CONFIG)
        before = user @ matrix[0] - (user @ matrix[1:].T).mean()
        user, matrix = new_user, matrix + updates
        moves.append(before - (user @ matrix[0] - (user @ matrix[1:].T).mean()))
    assert all(m > 0 for m in moves)  # every skip pushes the item further below the others
    assert moves[-1] < moves[0] / 2   # and the push fades as it gets there (a saturating loss)
    assert user[-1] == 1.0            # the bias slot of a user stays the constant 1


def test_zero_weights_change_nothing_and_a_lone_item_has_nothing_to_rank_against() -> None:
    items = ItemFactors(CONFIG)
    result = fold_user_batch([Feedback("e1", "u1", "t1", 0.0), Feedback("e2", "u1", "t1", 1.0)], no_user, items,
                             CONFIG)
    assert result.users == {} and result.item_deltas == {} and result.steps == 0
    assert "t1" in items  # known now: the next listen of another item can rank against it
    assert fold_user_batch([Feedback("e3", "u1", "t2", 1.0)], no_user, items, CONFIG).steps == 1


def test_item_state_and_messages_keep_the_vector() -> None:
    state = ItemState(np.linspace(-1, 1, CONFIG.dim), 7)
    again = ItemState.from_bytes(state.to_bytes())
    np.testing.assert_array_equal(again.vector, state.vector)
    assert again.update_count == 7
    codec = codec_for(FactorsUpdated)
    message = codec.decode(codec.encode(factors_message("t1", state, 123)))
    assert (message.track_id, message.update_count, message.model_version) == ("t1", 7, "smf-1")
    np.testing.assert_allclose(vector_from_factors(message, CONFIG), state.vector, atol=1e-6)  # float32 on the wire
    with pytest.raises(ValueError, match="has 1 factors, the model has 6"):
        vector_from_factors(FactorsUpdated(track_id="t1", factors=[0.0]), CONFIG)
    with pytest.raises(ValueError, match="carries 1 values"):
        delta_from_message(ItemFactorsDelta(track_id="t1", delta=[0.0]), CONFIG)
    assert user_factors(None) == [] and len(user_factors(new_user_vector(CONFIG))) == CONFIG.n_factors


def test_river_baseline_error_falls_on_a_low_rank_stream() -> None:
    rng = np.random.default_rng(0)
    users, tracks = rng.normal(0, 1, (40, 2)), rng.normal(0, 1, (40, 2))
    stream = [(int(u), int(i)) for u, i in rng.integers(0, 40, (12_000, 2))]
    baseline = RiverBaseline(n_factors=4, learning_rate=0.05, l2=0.001, seed=1)
    errors: list[float] = []
    for start in range(0, len(stream), 500):
        batch = [Feedback(f"e{start + k}", f"u{u}", f"t{i}", float(users[u] @ tracks[i]))
                 for k, (u, i) in enumerate(stream[start:start + 500])]
        errors += baseline.learn_batch(0, batch)
    first, last = np.mean(errors[:1000]), np.mean(errors[-1000:])
    assert last < 0.6 * first, (first, last)
    assert baseline.events == len(stream)
    assert baseline.mean_absolute_error == pytest.approx(np.mean(errors))


def test_the_item_read_model_grows_and_keeps_every_vector() -> None:
    items = ItemFactors(CONFIG)
    for i in range(300):  # past the initial capacity, by get, rows and put
        if i % 3 == 0:
            items.get(f"n{i}")
        elif i % 3 == 1:
            items.rows([f"n{i}", "n0"])
        else:
            items.put(f"n{i}", np.full(CONFIG.dim, float(i)))
    assert len(items) == 300
    np.testing.assert_array_equal(items.get("n0"), initial_item_vector("n0", CONFIG))
    np.testing.assert_array_equal(items.get("n299"), np.full(CONFIG.dim, 299.0))
    np.testing.assert_array_equal(items.rows(["n4"])[0], initial_item_vector("n4", CONFIG))


def test_pooled_negatives_bound_the_deltas_of_a_flush_and_still_cover_the_items() -> None:
    items = ItemFactors(CONFIG)
    catalog = [f"c{i}" for i in range(2000)]
    for track_id in catalog:
        items.row(track_id)
    batch = [Feedback(f"e{i}", f"u{i % 300}", catalog[i % 50], 1.0) for i in range(3000)]
    uniform = fold_user_batch(batch, no_user, items, CONFIG)
    pool = PooledNegatives(size=16)
    pooled = fold_user_batch(batch, no_user, items, CONFIG, negatives=pool)
    assert len(uniform.item_deltas) > 1500          # uniform negatives touch nearly a new item each
    assert len(pooled.item_deltas) <= 50 + 16        # the listened items plus the pool
    assert pooled.steps == uniform.steps == len(batch)
    drawn: set[str] = set()
    for _ in range(40):                              # renewed at every flush, the pool wanders over the catalog
        pool.renew()
        drawn |= set(fold_user_batch(batch[:20], no_user, items, CONFIG, negatives=pool).item_deltas)
    assert len(drawn - set(catalog[:50])) > 300
