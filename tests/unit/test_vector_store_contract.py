"""One contract, every adapter: Qdrant Edge on files, and the server adapter on qdrant-client's in-memory mode.

Real engines only (no mocks): each test runs against both and compares with numpy brute force where order matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from botify_core.settings import PathSettings, VectorSettings
from botify_core.vectors import (
    AUDIO,
    CF,
    Distance,
    EdgeVectorStore,
    HnswParams,
    PayloadFilter,
    Point,
    VectorStore,
    open_vector_store,
)
from botify_core.vectors.server import ServerVectorStore

HNSW = HnswParams(m=16, ef_construct=100, ef=128)
Factory = Callable[[], VectorStore]


@pytest.fixture(params=["edge", "server-in-memory"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """Opens a store of the adapter under test; every call opens the same data (Edge: the same folder; server: the
    same in-memory server, which outlives the stores as a real one would)."""
    opened: list[VectorStore] = []
    client = QdrantClient(location=":memory:") if request.param == "server-in-memory" else None

    def make() -> VectorStore:
        store: VectorStore
        if client is None:
            store = EdgeVectorStore(tmp_path / "vectors", HNSW, search_threads=1)
        else:
            store = ServerVectorStore(client, HNSW, owns_client=False)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
    if client is not None:
        client.close()


@pytest.fixture
def store(make_store: Factory) -> VectorStore:
    store = make_store()
    store.ensure_collection(AUDIO, 8, Distance.COSINE, ["genres"])
    store.ensure_collection(CF, 4, Distance.DOT)
    return store


def vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def brute_force(data: np.ndarray, query: np.ndarray, k: int, distance: Distance) -> list[int]:
    if distance is Distance.COSINE:
        data = data / np.linalg.norm(data, axis=1, keepdims=True)
        query = query / np.linalg.norm(query)
    return [int(i) for i in np.argsort(-(data @ query), kind="stable")[:k]]


def test_upsert_then_overwrite_keeps_one_point_with_the_new_vector_and_payload(store: VectorStore) -> None:
    store.upsert(AUDIO, [Point("syn-t00001", [1, 0, 0, 0, 0, 0, 0, 0], {"genres": ["rock"], "artist": "A"}),
                         Point("syn-t00002", [0, 1, 0, 0, 0, 0, 0, 0], {"genres": ["pop"]})])
    assert store.count(AUDIO) == 2
    store.upsert(AUDIO, [Point("syn-t00001", [0, 0, 1, 0, 0, 0, 0, 0], {"genres": ["jazz"]})])
    assert store.count(AUDIO) == 2
    (hit,) = store.search(AUDIO, [0, 0, 1, 0, 0, 0, 0, 0], k=1)
    assert hit.id == "syn-t00001"
    assert hit.payload == {"genres": ["jazz"]}  # overwritten whole, and the reserved id field is not shown
    assert hit.score == pytest.approx(1.0, abs=1e-5)


def test_integer_and_string_ids_come_back_as_given(store: VectorStore) -> None:
    store.upsert(CF, [Point(7, [1, 0, 0, 0]), Point("7", [0, 1, 0, 0])])
    assert store.count(CF) == 2
    assert [h.id for h in store.search(CF, [1, 0.5, 0, 0], k=2)] == [7, "7"]


def test_delete_removes_points_and_ignores_absent_ids(store: VectorStore) -> None:
    store.upsert(CF, [Point(f"t{i}", [float(i), 1, 0, 0]) for i in range(5)])
    store.delete(CF, ["t1", "t3", "never-there"])
    assert store.count(CF) == 3
    assert {h.id for h in store.search(CF, [1, 0, 0, 0], k=10)} == {"t0", "t2", "t4"}
    store.delete(CF, [])
    assert store.count(CF) == 3


@pytest.mark.parametrize(("collection", "dim", "distance"), [(AUDIO, 8, Distance.COSINE), (CF, 4, Distance.DOT)])
def test_knn_order_matches_brute_force(store: VectorStore, collection: str, dim: int, distance: Distance) -> None:
    data = vectors(300, dim, seed=1)
    store.upsert(collection, [Point(f"t{i:05d}", v.tolist()) for i, v in enumerate(data)])
    store.optimize()
    for query in vectors(20, dim, seed=2):
        hits = store.search(collection, query.tolist(), k=10)
        assert [h.id for h in hits] == [f"t{i:05d}" for i in brute_force(data, query, 10, distance)]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_cosine_ignores_length_and_dot_rewards_it(store: VectorStore) -> None:
    short, long_ = [1, 0, 0, 0], [10, 1, 0, 0]  # long_ points slightly away from the query, but is 10x longer
    store.upsert(CF, [Point("short", short), Point("long", long_)])
    store.upsert(AUDIO, [Point("short", short + [0] * 4), Point("long", long_ + [0] * 4)])
    dot = store.search(CF, [1, 0, 0, 0], k=2)
    assert [h.id for h in dot] == ["long", "short"]
    assert dot[0].score == pytest.approx(10.0, rel=1e-5)
    cosine = store.search(AUDIO, [3, 0, 0, 0, 0, 0, 0, 0], k=2)
    assert [h.id for h in cosine] == ["short", "long"]
    assert cosine[0].score == pytest.approx(1.0, abs=1e-5)
    assert cosine[1].score == pytest.approx(10 / np.sqrt(101), abs=1e-5)


def test_payload_filter_keeps_points_with_any_of_the_values_and_exclude_drops_ids(store: VectorStore) -> None:
    genres = [["rock"], ["pop", "rock"], ["jazz"], ["pop"], ["classical"]]
    data = vectors(5, 8, seed=3)
    store.upsert(AUDIO, [Point(f"t{i}", v.tolist(), {"genres": g, "artist": f"a{i % 2}"})
                         for i, (v, g) in enumerate(zip(data, genres, strict=True))])
    query = data[0].tolist()
    rock_or_jazz = store.search(AUDIO, query, k=10, filter=PayloadFilter(any_of={"genres": ["rock", "jazz"]}))
    assert {h.id for h in rock_or_jazz} == {"t0", "t1", "t2"}
    both = store.search(AUDIO, query, k=10, filter=PayloadFilter(any_of={"genres": ["rock", "jazz"],
                                                                         "artist": ["a0"]}))
    assert {h.id for h in both} == {"t0", "t2"}
    excluded = store.search(AUDIO, query, k=10, filter=PayloadFilter(exclude_ids=["t0", "t4", "unknown"]))
    assert {h.id for h in excluded} == {"t1", "t2", "t3"}
    assert store.search(AUDIO, query, k=10, filter=PayloadFilter(any_of={"genres": ["metal"]})) == []


def test_a_search_without_payloads_gives_the_same_hits_with_empty_payloads(store: VectorStore) -> None:
    data = vectors(20, 8, seed=5)
    store.upsert(AUDIO, [Point(f"t{i}", v.tolist(), {"genres": ["rock"], "title": f"T{i}"})
                         for i, v in enumerate(data)])
    full = store.search(AUDIO, data[3].tolist(), k=5)
    bare = store.search(AUDIO, data[3].tolist(), k=5, payload=False)
    assert [(h.id, h.score) for h in bare] == [(h.id, h.score) for h in full] and full[0].id == "t3"
    assert all(h.payload == {} for h in bare) and full[0].payload["title"] == "T3"


def test_set_payload_merges_fields_and_reports_an_absent_point(store: VectorStore) -> None:
    store.upsert(AUDIO, [Point("t1", [1, 0, 0, 0, 0, 0, 0, 0], {"genres": ["rock"]})])
    assert store.set_payload(AUDIO, "t1", {"artist": "A", "duration_ms": 200_000})
    assert not store.set_payload(AUDIO, "t2", {"artist": "B"})
    (hit,) = store.search(AUDIO, [1, 0, 0, 0, 0, 0, 0, 0], k=5)
    assert hit.payload == {"genres": ["rock"], "artist": "A", "duration_ms": 200_000}
    assert store.count(AUDIO) == 1


def test_errors_say_what_was_expected_and_what_came(store: VectorStore) -> None:
    with pytest.raises(ValueError, match=r"collection 'cf' takes vectors of size 4; got 3"):
        store.upsert(CF, [Point("t1", [1, 2, 3])])
    with pytest.raises(ValueError, match=r"size 8; got 2"):
        store.search(AUDIO, [1, 2], k=3)
    with pytest.raises(ValueError, match="NaN or infinity at position 2"):
        store.upsert(CF, [Point("t1", [1, 2, float("nan"), 4])])
    with pytest.raises(ValueError, match="all-zero vector"):
        store.upsert(AUDIO, [Point("t1", [0] * 8)])
    with pytest.raises(ValueError, match=r"unknown collection 'lyrics'; ensured: \['audio', 'cf'\]"):
        store.search("lyrics", [1, 0, 0, 0], k=1)
    with pytest.raises(ValueError, match="unknown collection"):
        store.count("lyrics")
    with pytest.raises(ValueError, match="k must be at least 1"):
        store.search(CF, [1, 0, 0, 0], k=0)
    with pytest.raises(ValueError, match=r"in \[0, 2\*\*64\); got -1"):
        store.upsert(CF, [Point(-1, [1, 0, 0, 0])])
    with pytest.raises(ValueError, match="reserved"):
        store.upsert(CF, [Point("t1", [1, 0, 0, 0], {"_id": "x"})])
    with pytest.raises(ValueError, match=r"exists with size 4 and dot distance; asked for size 5 and cosine"):
        store.ensure_collection(CF, 5, Distance.COSINE)
    assert store.count(CF) == 0  # nothing half-written


def test_a_reopened_store_has_the_data_and_refuses_another_shape(make_store: Factory) -> None:
    first = make_store()
    first.ensure_collection(CF, 4, Distance.DOT)
    first.upsert(CF, [Point(f"t{i}", [float(i), 1, 0, 0], {"n": i}) for i in range(50)])
    first.delete(CF, ["t0"])
    first.close()
    again = make_store()
    with pytest.raises(ValueError, match="size"):
        again.ensure_collection(CF, 6, Distance.DOT)
    again.ensure_collection(CF, 4, Distance.DOT)
    assert again.count(CF) == 49
    (hit,) = again.search(CF, [1, 0, 0, 0], k=1)
    assert (hit.id, hit.payload) == ("t49", {"n": 49})


def test_open_vector_store_defaults_to_edge_files_under_the_var_dir(tmp_path: Path) -> None:
    store = open_vector_store(VectorSettings(qdrant_url=None, audio_dim=16, cf_dim=8), PathSettings(var_dir=tmp_path))
    try:
        assert isinstance(store, EdgeVectorStore)
        assert (tmp_path / "vectors" / AUDIO / "edge_config.json").is_file()
        assert store.count(AUDIO) == store.count(CF) == 0
    finally:
        store.close()


def test_qdrant_url_selects_the_server_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_URL", "http://qdrant:6333")
    monkeypatch.setenv("BOTIFY_VECTORS_HNSW_EF", "300")
    settings = VectorSettings()
    assert (settings.qdrant_url, settings.hnsw_ef) == ("http://qdrant:6333", 300)
