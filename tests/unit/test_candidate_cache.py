"""The candidate cache: an answer of a vector source is kept while the very inputs it came from last (a user's
state, the seeds' catalog entries) and no longer than its age limit; least recently used answers go first; a
failed search stands the vector sources down, and the warm-up fills the cache. The sources run on a real Qdrant
Edge store, counted by a thin wrapper."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from botify_api.candidate_cache import CandidateCache
from botify_api.experiments import NO_EXPERIMENT
from botify_api.recommend import Recommender, Request
from botify_api.sources import SOURCES, Query, QueryError, World
from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.settings import PathSettings
from botify_core.vectors import AUDIO, CF, Hit, VectorStore, open_vector_store
from tests.unit.test_sources_contract import VECTORS, build_world, state, tid


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_for_its_very_inputs_until_its_age_limit() -> None:
    clock = Clock()
    cache: CandidateCache[str] = CandidateCache(size=10, max_age_s=60, clock=clock)
    inputs = (object(), object())
    cache.put("k", inputs, "answer")
    assert cache.get("k", inputs) == "answer"
    assert cache.get("k", (inputs[0], object())) is None        # another object, however equal, is another input
    assert cache.get("k", inputs[:1]) is None
    assert cache.get("other", inputs) is None
    clock.now = 60.0
    assert cache.get("k", inputs) == "answer"
    clock.now = 60.5
    assert cache.get("k", inputs) is None
    assert (cache.hits, cache.misses) == (2, 4)


def test_the_least_recently_used_answer_goes_first_and_size_zero_keeps_nothing() -> None:
    cache: CandidateCache[int] = CandidateCache(size=2, max_age_s=60, clock=Clock())
    cache.put("a", (), 1)
    cache.put("b", (), 2)
    assert cache.get("a", ()) == 1          # a is now the most recently used
    cache.put("c", (), 3)
    assert (cache.get("a", ()), cache.get("b", ()), cache.get("c", ())) == (1, None, 3)
    assert len(cache) == 2
    nothing: CandidateCache[int] = CandidateCache(size=0, max_age_s=60)
    nothing.put("a", (), 1)
    assert nothing.get("a", ()) is None and len(nothing) == 0


class CountingStore:
    """A real store, its searches counted; ``fail`` makes them raise as a store that went away does."""

    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self.searches: list[str] = []
        self.fail = False

    def search(self, collection: str, vector: Sequence[float], k: int, filter: Any = None,
               payload: bool = True) -> list[Hit]:
        self.searches.append(collection)
        if self.fail:
            raise ConnectionError("store went away")
        return self.store.search(collection, vector, k, filter, payload)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VectorStore]:
    store = open_vector_store(VECTORS, PathSettings(var_dir=tmp_path_factory.mktemp("vectors")))
    yield store
    store.close()


@pytest.fixture
def counted(real_store: VectorStore) -> tuple[World, CountingStore]:
    world = build_world(real_store)
    counting = CountingStore(real_store)
    world.store = counting
    return world, counting


def query(world: World, user_id: str = "fan", recent: tuple[str, ...] = (tid(1, 1),)) -> Query:
    return Query(user_id, world.users.get(user_id), 5, recent=recent)


def test_collaborative_candidates_are_searched_again_when_the_user_has_a_new_state(
        counted: tuple[World, CountingStore]) -> None:
    world, store = counted
    cf = SOURCES["cf"](world)
    first = cf.candidates(query(world))
    assert cf.candidates(query(world)) == first and store.searches == [CF]
    # user-state brings the fan a new state whose factors point at artist 3: searched again, and it shows
    new = state("fan", [(tid(1, 1), 1.0)])
    new.factors[:] = [0.0, 0.0, 1.0, 0.0]
    world.users.on_state("fan", codec_for(UserState).encode(new))
    again = cf.candidates(query(world))
    assert store.searches == [CF, CF] and again[0].track_id == tid(3, 1) != first[0].track_id


def test_audio_candidates_are_kept_per_seed_tracks(counted: tuple[World, CountingStore]) -> None:
    world, store = counted
    audio = SOURCES["audio"](world)
    first = audio.candidates(query(world, recent=(tid(2, 1),)))
    assert audio.candidates(query(world, "someone-else", recent=(tid(2, 1),))) == first   # same seeds, any user
    assert len(store.searches) == 1
    other = audio.candidates(query(world, recent=(tid(3, 1), tid(2, 1))))
    assert len(store.searches) == 2 and other[0].reason == "sounds like Song 3.1, which you played"


def test_a_failed_search_stands_the_vector_sources_down_until_the_retry(counted: tuple[World, CountingStore]) -> None:
    world, store = counted
    cf, audio = SOURCES["cf"](world), SOURCES["audio"](world)
    cf.candidates(query(world))
    store.fail = True
    with pytest.raises(ConnectionError):
        audio.candidates(query(world, recent=(tid(4, 2),)))
    assert "store went away" in (cf.problem() or "") and "store went away" in (audio.problem() or "")
    # the retry interval passes, the store is back: the next search is tried and clears the failure
    assert world.search_failure is not None
    world.search_failure = (world.search_failure[0], time.monotonic() - world.settings.store_retry_s - 1)
    assert cf.problem() is None
    store.fail = False
    assert audio.candidates(query(world, recent=(tid(4, 2),)))
    assert world.search_failure is None


def test_the_warm_up_leaves_nothing_to_search_for_a_plain_request(counted: tuple[World, CountingStore]) -> None:
    world, store = counted
    recommender = Recommender(world, {name: make(world) for name, make in SOURCES.items()}, NO_EXPERIMENT)
    recommender.warm("fan")
    warmed = len(store.searches)
    assert sorted(store.searches) == [AUDIO, CF]
    answer = recommender.recommend(Request("fan", 5))
    assert answer.items and answer.degraded == [] and len(store.searches) == warmed


def test_a_query_that_cannot_be_searched_degrades_only_its_own_answer(counted: tuple[World, CountingStore]) -> None:
    world, store = counted
    cf, audio = SOURCES["cf"](world), SOURCES["audio"](world)
    odd = state("odd", [(tid(1, 1), 1.0)])
    odd.factors[:] = [1.0, 0.0]      # two values: the cf collection takes four
    world.users.on_state("odd", codec_for(UserState).encode(odd))
    with pytest.raises(QueryError, match="do not fit the cf collection"):
        cf.candidates(query(world, "odd"))
    assert cf.problem() is None and audio.problem() is None and world.search_failure is None
    assert cf.candidates(query(world)) and store.searches == [CF]


def test_a_track_gone_from_the_catalog_makes_kept_answers_be_searched_again(
        counted: tuple[World, CountingStore]) -> None:
    world, store = counted
    cf = SOURCES["cf"](world)
    cf.candidates(query(world))
    cf.candidates(query(world))
    assert store.searches == [CF]
    world.catalog.on_track(tid(3, 3), None)      # a tombstone on tracks
    cf.candidates(query(world))
    assert store.searches == [CF, CF]
