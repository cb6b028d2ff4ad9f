"""One contract over every registered candidate source: its name is its registry key; with data it answers at most
n distinct catalog tracks, best first, each with a reason, the same way twice; with nothing to read it says why
(``problem``) or answers nothing, and never raises. Runs on a real Qdrant Edge store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botify_api.catalog import Catalog
from botify_api.popularity import GenreHeat
from botify_api.read_model import Successors, UserStates
from botify_api.settings import ApiSettings
from botify_api.sources import SOURCES, Query, World
from botify_api.trends import TrendBoard
from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.models_pb2 import RecentListen, Successor, Transitions, UserState
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot
from botify_core.settings import PathSettings, VectorSettings
from botify_core.vectors import AUDIO, CF, Point, VectorStore, open_vector_store

GENRES = {1: "rock", 2: "jazz", 3: "pop", 4: "rock"}  # artist -> genre
AXIS = {"rock": 0, "jazz": 1, "pop": 2}
VECTORS = VectorSettings(qdrant_url=None, audio_dim=8, cf_dim=4)


def tid(artist: int, n: int) -> str:
    return f"syn-t{artist:03d}{n:02d}"


def audio(artist: int, n: int) -> list[float]:
    """One genre points one way, one artist a little more, each track a little apart."""
    vector = [0.0] * 8
    vector[AXIS[GENRES[artist]]] = 1.0
    vector[2 + artist] = 0.5
    vector[7] = 0.1 * n
    return vector


def factors(artist: int) -> list[float]:
    return [1.0 if j == artist - 1 else 0.0 for j in range(4)]


def state(user_id: str, recent: list[tuple[str, float]], affinity: dict[str, float] | None = None,
          with_factors: bool = True) -> UserState:
    return UserState(user_id=user_id, factors=factors(1) if with_factors else [], genre_affinity=affinity or {},
                     recent=[RecentListen(track_id=t, fraction=f) for t, f in recent], model_version="smf-u")


def build_world(store: VectorStore, filled: bool = True, **settings: object) -> World:
    """Four artists of three tracks; with ``filled``, everything the stream processor and audio worker publish."""
    world = World(ApiSettings.model_validate({"vectors": VECTORS} | settings), Catalog("syn-t{:05d}"), UserStates(),
                  Successors(), GenreHeat(TrendBoard(), "1h"), store)
    if not filled:
        return world
    tracks = [(a, n) for a in GENRES for n in (1, 2, 3)]
    for a, n in tracks:
        world.catalog.on_track(tid(a, n), codec_for(TrackUpserted).encode(TrackUpserted(
            track_id=tid(a, n), title=f"Song {a}.{n}", artist_id=f"a{a}", artist_name=f"Artist {a}",
            genres=[GENRES[a]], duration_ms=100_000)))
        world.catalog.on_embedding(tid(a, n), codec_for(TrackEmbedded).encode(TrackEmbedded(
            track_id=tid(a, n), embedding=audio(a, n), genre_probabilities={GENRES[a]: 0.9}, model_version="cnn")))
    store.upsert(AUDIO, [Point(tid(a, n), audio(a, n), {"track_id": tid(a, n)}) for a, n in tracks])
    store.upsert(CF, [Point(tid(a, n), [x * (4 - n) for x in factors(a)], {}) for a, n in tracks])
    world.users.on_state("fan", codec_for(UserState).encode(state("fan", [(tid(1, 1), 1.0)], {"rock": 0.9})))
    world.successors.on_transitions(tid(1, 1), codec_for(Transitions).encode(Transitions(
        track_id=tid(1, 1), successors=[Successor(track_id=tid(2, 1), weight=4), Successor(track_id=tid(1, 2),
                                                                                            weight=2)])))
    for a, genre in list(GENRES.items())[:3]:
        world.heat.board.apply(TrendSnapshot(
            window="1h", window_start_ms=0, window_end_ms=3_600_000, genre=genre, plays=10 * a,
            top_tracks=[TrackPlays(track_id=tid(a, 3), plays=3 * a), TrackPlays(track_id=tid(a, 2), plays=a)]))
    return world


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VectorStore]:
    store = open_vector_store(VECTORS, PathSettings(var_dir=tmp_path_factory.mktemp("vectors")))
    yield store
    store.close()


def fan_query(world: World, n: int = 5) -> Query:
    return Query("fan", world.users.get("fan"), n, context_track_id=tid(1, 1), recent=(tid(1, 1),))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_source_with_data_answers_distinct_catalog_tracks_best_first_with_reasons(
        name: str, store: VectorStore) -> None:
    world = build_world(store)
    source = SOURCES[name](world)
    assert source.name == name
    assert source.problem() is None
    found = source.candidates(fan_query(world, n=3))
    assert 0 < len(found) <= 3
    assert len({c.track_id for c in found}) == len(found)
    assert all(world.catalog.get(c.track_id) is not None and c.reason for c in found)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert found == source.candidates(fan_query(world, n=3))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_source_with_nothing_to_read_says_why_or_answers_nothing(name: str, store: VectorStore) -> None:
    world = build_world(store, filled=False)
    source = SOURCES[name](world)
    problem = source.problem()
    if problem is None:
        assert len(source.candidates(Query("nobody", None, 5, recent=("syn-t00101",)))) == 0
    else:
        assert isinstance(problem, str) and problem


@pytest.mark.parametrize("name", ["cf", "audio"])
def test_vector_sources_report_a_missing_store(name: str, store: VectorStore) -> None:
    world = build_world(store)
    world.store = None
    assert "vector store unavailable" in (SOURCES[name](world).problem() or "")
