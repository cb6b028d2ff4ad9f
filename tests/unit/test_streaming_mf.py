"""The project's streaming MF: it learns from one event at a time, its user/item split is the class's behaviour,
and a seed makes it reproducible."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import botify_models.streaming_mf as streaming_mf
from botify_models.streaming_mf import MFConfig, StreamingMF, apply_item_update, new_user_vector, user_step


def block_events(seed: int = 0, users_per_block: int = 12, items_per_block: int = 10, blocks: int = 3,
                 per_user: int = 6) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Users listen only inside their block of items: (training events, one held-out positive per user)."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for block in range(blocks):
        items = np.arange(block * items_per_block, (block + 1) * items_per_block)
        for u in range(users_per_block):
            user = block * users_per_block + u
            chosen = rng.choice(items, per_user + 1, replace=False)
            train += [(user, int(i)) for i in chosen[:-1]]
            held.append((user, int(chosen[-1])))
    order = rng.permutation(len(train))
    return [train[i] for i in order], held


def test_held_out_positives_rank_above_random_items() -> None:
    train, held = block_events()
    model = StreamingMF(n_factors=8, learning_rate=0.05, seed=3)
    for _ in range(15):
        for user, item in train:
            model.learn_one(user, item)
    seen: dict[int, set[int]] = {}
    for user, item in train:
        seen.setdefault(user, set()).add(item)
    n_items = model.n_items
    percentiles = []
    for user, item in held:
        candidates = [i for i in range(n_items) if i not in seen[user]]
        scores = dict(zip(candidates, model.score(user, candidates), strict=True))
        percentiles.append(np.mean([scores[item] > scores[c] for c in candidates if c != item]))
    # a random ranking puts the held-out item above half the others; the block structure should be learned
    assert np.mean(percentiles) > 0.75
    hits = sum(item in model.recommend(user, k=5, exclude=seen[user]) for user, item in held)
    assert hits / len(held) > 0.5


def test_the_user_step_and_item_update_reproduce_learn_one() -> None:
    model = StreamingMF(n_factors=4, n_negatives=3, l2=0.02, seed=11)
    for item in ["a", "b", "c", "d", "e"]:
        model.learn_one("warm-up", item)
    twin_rng = np.random.default_rng(0)
    twin_rng.bit_generator.state = model._rng.bit_generator.state  # the negatives the class will draw
    user_before = model.user_vector("u")
    items_before = model.item_vectors.copy()

    model.learn_one("u", "c", weight=2.0)

    seen = {model.item_ids.index("c")}
    negatives = twin_rng.integers(0, len(items_before), size=3)
    while any(n in seen for n in negatives):  # the class redraws listened items the same way
        clash = np.array([n in seen for n in negatives])
        negatives[clash] = twin_rng.integers(0, len(items_before), size=int(clash.sum()))
    rows = np.concatenate([[model.item_ids.index("c")], negatives])
    new_user, updates = user_step(user_before, items_before[rows], 2.0, model.config)
    expected = items_before.copy()
    for row, update in zip(rows, updates, strict=True):
        expected[row] = apply_item_update(expected[row], update)

    np.testing.assert_allclose(model.user_vector("u"), new_user)
    np.testing.assert_allclose(model.item_vectors, expected)


def test_a_step_raises_the_positive_above_the_negatives() -> None:
    config = MFConfig(n_factors=3, learning_rate=0.1, l2=0.0)
    rng = np.random.default_rng(5)
    user = new_user_vector(config) + np.r_[rng.normal(size=3), 0.0]
    items = rng.normal(size=(4, 4))
    new_user, updates = user_step(user, items, 1.0, config)
    new_items = items + updates
    before = items[0] @ user - items[1:] @ user
    after = new_items[0] @ new_user - new_items[1:] @ new_user
    assert (after > before).all()
    assert new_user[-1] == 1.0  # the bias slot of a user stays the constant 1


def test_same_seed_same_model_and_other_seed_differs() -> None:
    train, _ = block_events(seed=1)

    def fitted(seed: int) -> StreamingMF:
        model = StreamingMF(n_factors=6, seed=seed)
        for user, item in train:
            model.learn_one(user, item, weight=1.5)
        return model

    a, b, c = fitted(7), fitted(7), fitted(8)
    np.testing.assert_array_equal(a.item_vectors, b.item_vectors)
    np.testing.assert_array_equal(a.user_vector(0), b.user_vector(0))
    assert not np.allclose(a.item_vectors, c.item_vectors)


def test_new_user_gets_items_by_bias_and_exclusions_hold() -> None:
    model = StreamingMF(n_factors=4, seed=2)
    for _ in range(20):
        for user in range(6):
            model.learn_one(user, "hit")
        model.learn_one(0, "niche")
    assert model.recommend("stranger", k=1) == ["hit"]
    assert "hit" not in model.recommend("stranger", k=3, exclude={"hit", "unknown-id"})
    assert model.recommend("stranger", k=5, exclude={"hit", "niche"}) == []


def test_bad_input_is_refused_with_what_was_expected() -> None:
    model = StreamingMF(n_factors=4)
    with pytest.raises(ValueError, match="positive confidence"):
        model.learn_one("u", "i", weight=0.0)
    with pytest.raises(ValueError, match="n_factors"):
        StreamingMF(n_factors=0)
    with pytest.raises(ValueError, match="shape"):
        user_step(np.zeros(5), np.zeros((1, 5)), 1.0, MFConfig(n_factors=4))
    with pytest.raises(ValueError, match="shape"):
        apply_item_update(np.zeros(5), np.zeros(4))


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(streaming_mf)
    assert result.attempted >= 5 and result.failed == 0
