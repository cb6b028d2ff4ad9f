"""The recommender over every registered source on fixed inputs (a real Qdrant Edge store): a brand-new user gets
trending plus audio neighbours of what they just played, in an exact order; a user who only skipped an artist gets
none of that artist; a failing source or a stale user state degrades the answer instead of failing it; an arm's
settings apply."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botify_api.experiments import NO_EXPERIMENT, Arm, Experiment
from botify_api.recommend import Recommender, Request
from botify_api.routes.recommendations import answer
from botify_api.schemas import Recommendations
from botify_api.sources import SOURCES, Candidate, Query, World
from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.settings import PathSettings
from botify_core.vectors import VectorStore, open_vector_store
from tests.unit.test_sources_contract import VECTORS, build_world, state, tid


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VectorStore]:
    store = open_vector_store(VECTORS, PathSettings(var_dir=tmp_path_factory.mktemp("vectors")))
    yield store
    store.close()


def recommender(world: World, experiment: Experiment = NO_EXPERIMENT) -> Recommender:
    return Recommender(world, {name: make(world) for name, make in SOURCES.items()}, experiment)


def test_a_new_user_gets_trending_in_the_genre_just_played_and_its_audio_neighbours(store: VectorStore) -> None:
    world = build_world(store)
    answer = recommender(world).recommend(Request("newbie", 6, context_track_id=tid(4, 1)))
    assert answer.cold_start and answer.degraded == []
    # rock's trending tracks first (audio neighbours too, and popular), then one genre after another: the genre
    # penalty lets jazz and pop in before the third rock track; the track just played is left out
    assert [(i.track_id, i.sources) for i in answer.items] == [
        (tid(1, 3), ("audio", "trending", "popular")), (tid(1, 2), ("audio", "trending", "popular")),
        (tid(2, 3), ("audio", "popular")), (tid(3, 3), ("audio", "popular")),
        (tid(2, 2), ("audio", "popular")), (tid(3, 2), ("audio", "popular"))]
    assert answer.items[0].reason == "sounds like Song 4.1, which you played"
    assert answer.model_versions == {"audio": "cnn"}


def test_without_any_diversity_the_same_artist_neighbours_come_back(store: VectorStore) -> None:
    world = build_world(store, genre_penalty=0.0, max_per_artist=3)
    answer = recommender(world).recommend(Request("newbie", 4, context_track_id=tid(4, 1)))
    # the nearest sound of the same artist (4.2) comes in; 1.1 (third nearest) passes 4.3 (second) because the
    # popular source tops its few trending tracks up with the catalog in its order, where 1.1 comes first
    assert [i.track_id for i in answer.items] == [tid(1, 3), tid(1, 2), tid(4, 2), tid(1, 1)]
    only_audio = Recommender(world, {"audio": SOURCES["audio"](world)}, NO_EXPERIMENT)
    assert [i.track_id for i in only_audio.recommend(Request("newbie", 3, context_track_id=tid(4, 1))).items] == [
        tid(4, 2), tid(4, 3), tid(1, 1)]


def test_a_known_user_gets_collaborative_and_transition_candidates_without_what_they_heard(
        store: VectorStore) -> None:
    world = build_world(store)
    answer = recommender(world).recommend(Request("fan", 5))
    ids = [i.track_id for i in answer.items]
    assert tid(1, 1) not in ids and not answer.cold_start
    by_id = {i.track_id: i for i in answer.items}
    assert by_id[tid(2, 1)].reason == "because you played Song 1.1"
    assert {s for i in answer.items for s in i.sources} == {"cf", "audio", "transitions", "trending", "popular"}
    assert len(ids) == 5 and sum(world.catalog.get(t).artist_id == "a1" for t in ids) <= 2  # type: ignore[union-attr]
    # the caller's exclusions and genre filter
    jazz = recommender(world).recommend(Request("fan", 5, exclude=frozenset({tid(2, 1)}), genres=frozenset({"jazz"})))
    assert [i.track_id for i in jazz.items] == [tid(2, 3), tid(2, 2)]


def test_a_user_who_only_skipped_an_artist_gets_none_of_it(store: VectorStore) -> None:
    world = build_world(store)
    world.users.on_state("skipper", codec_for(UserState).encode(state(
        "skipper", [(tid(1, 1), 0.05), (tid(1, 2), 0.1), (tid(3, 1), 0.9)], {"rock": 0.5})))
    answer = recommender(world).recommend(Request("skipper", 8))
    assert answer.items and all(world.catalog.get(i.track_id).artist_id != "a1"  # type: ignore[union-attr]
                                for i in answer.items)
    # the same listens played through: that artist is back
    world.users.on_state("player", codec_for(UserState).encode(state(
        "player", [(tid(1, 1), 0.95), (tid(1, 2), 0.1), (tid(3, 1), 0.9)], {"rock": 0.5})))
    assert any(world.catalog.get(i.track_id).artist_id == "a1"  # type: ignore[union-attr]
               for i in recommender(world).recommend(Request("player", 8)).items)


class Broken:
    name = "broken"

    def problem(self) -> str | None:
        return None

    def candidates(self, query: Query) -> list[Candidate]:
        raise RuntimeError("index corrupt")


def test_a_failing_source_and_a_stale_user_state_degrade_the_answer(store: VectorStore) -> None:
    world = build_world(store, stale_after_s=60)
    sources = {name: make(world) for name, make in SOURCES.items()} | {"broken": Broken()}
    answer = Recommender(world, sources, NO_EXPERIMENT).recommend(Request("fan", 3), reported=[(tid(2, 1), 1.0)],
                                                                  reported_at_ms=120_000)
    assert [(d.source, d.reason) for d in answer.degraded] == [
        ("user-state", "stale: the newest state of fan is 120 s older than their latest listen"),
        ("broken", "failed: RuntimeError: index corrupt")]
    assert len(answer.items) == 3 and tid(2, 1) not in {i.track_id for i in answer.items}  # reported = heard
    world.store = None
    gone = recommender(world).recommend(Request("fan", 3))
    assert {d.source for d in gone.degraded} == {"cf", "audio"} and len(gone.items) == 3


def test_an_arm_overrides_the_blend_settings(store: VectorStore) -> None:
    world = build_world(store)
    experiment = Experiment("only-trending", (Arm("trend", 1.0, sources=("trending",), max_per_artist=1),))
    answer = recommender(world, experiment).recommend(Request("fan", 5))
    assert (answer.experiment, answer.arm) == ("only-trending", "trend")
    assert [i.track_id for i in answer.items] == [tid(1, 3)]  # rock only (fan's genre), one per artist
    rules = recommender(world).rules(Arm("x", 1.0, weights={"audio": 3.0}, genre_penalty=0.0))
    assert rules.weights["audio"] == 3.0 and rules.weights["cf"] == 1.0 and rules.genre_penalty == 0.0


def test_the_answer_body_is_a_recommendations_response(store: VectorStore) -> None:
    world = build_world(store)
    result = recommender(world).recommend(Request("fan", 5))
    body = Recommendations.model_validate_json(answer(world.catalog, result))
    assert [(i.track_id, tuple(i.sources), i.reason, i.score) for i in body.items] == [
        (i.track_id, i.sources, i.reason, i.score) for i in result.items]
    first = body.items[0]
    info = world.catalog.get(first.track_id)
    assert info is not None and (first.title, first.artist, first.genres) == (
        info.title, info.artist_name, sorted(info.all_genres))
    assert (body.recommendation_id, body.user_id, body.arm, body.cold_start, body.latency_ms) == (
        result.recommendation_id, "fan", result.arm, False, result.latency_ms)
