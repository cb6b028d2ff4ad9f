"""The online taste clusters behind ``user-state``'s cluster id: vectors, learning schedule, state, and the wiring
into the user-state stage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.settings import REPO_ROOT
from botify_core.topics import Topic
from botify_models.online_kmeans import OnlineKMeans, learn_level
from botify_recommender.catalog import Catalog
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Listen, PartitionContext
from botify_recommender.taste_clusters import (
    MODEL_KEY,
    Centroids,
    TasteClustersStage,
    TasteClustersState,
    TasteModel,
    taste_vector,
)
from botify_recommender.user_state import UserStateStage, UserStateState

LAB_CLUSTERS = REPO_ROOT / "docs" / "lab" / "clusters.json"


def test_the_taste_vector_is_the_labs_square_roots_of_positive_shares() -> None:
    vector = taste_vector({"rock": 0.6, "jazz": 0.2, "pop": -0.2, "polka": 0.5}, ("rock", "jazz", "pop"))
    assert vector is not None
    assert np.allclose(vector, np.sqrt([0.75, 0.25, 0.0]))
    assert taste_vector({"rock": -1.0}, ("rock", "jazz")) is None


def test_a_user_is_learned_at_five_listens_and_at_each_doubling_only() -> None:
    model = TasteModel(("rock", "jazz"), OnlineKMeans(2, 2, centroids=[[1.0, 0.0], [0.0, 1.0]]), min_listens=5)
    assert model.model.centroids is not None
    before = model.model.centroids.copy()
    learned_at = []
    for listens in range(1, 41):
        model.learned = 0
        model.assign({"rock": 1.0, "jazz": 0.2}, listens - 1, listens)
        if model.learned:
            learned_at.append(listens)
    assert learned_at == [5, 10, 20, 40] and model.model.centroids is not None
    assert model.model.centroids[0][1] > before[0][1]             # the rock centroid moved towards some jazz
    assert np.array_equal(model.model.centroids[1], before[1])   # the jazz one did not
    model.learned = 0
    model.assign({"jazz": 1.0}, 12, 17)                          # published again, no new doubling: predict only
    assert model.learned == 0
    assert learn_level(4, 5) == -1 and learn_level(5, 5) == learn_level(9, 5) == 0


def test_the_lab_centroids_load_with_their_genres(tmp_path: Path) -> None:
    if not LAB_CLUSTERS.is_file():
        pytest.fail(f"{LAB_CLUSTERS} is committed with the lab report and is the default starting point")
    start = Centroids.load(LAB_CLUSTERS)
    assert len(start.genres) == 19 and len(start.centroids) >= 2
    assert all(len(row) == len(start.genres) for row in start.centroids)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"genres": ["rock", "jazz"], "centroids": [[1.0]]}))
    with pytest.raises(ValueError, match="one per genre"):
        Centroids.load(bad)
    bad.write_text("{}")
    with pytest.raises(ValueError, match="genre_kmeans_centroids"):
        Centroids.load(bad)


def settings_with(path: Path | None) -> RecommenderSettings:
    return RecommenderSettings(taste_centroids=path, user_state_debounce_ms=0, taste_warmup=4, taste_clusters=2)


def listens(user: str, genre_tracks: list[tuple[str, str]], start: int = 0) -> list[Listen]:
    out = []
    for i, (track, genre) in enumerate(genre_tracks):
        event = ListenEvent(event_id=f"{user}-{start + i}", user_id=user, track_id=track,
                            event_time_ms=start + i * 1000, ms_played=1000, track_duration_ms=1000,
                            kind=ListenKind.LISTEN_KIND_PLAY)
        out.append(Listen(event, (genre,), True, 1000, 1000))
    return out


def opened(settings: RecommenderSettings) -> tuple[PartitionContext, TasteClustersState, UserStateState]:
    context = PartitionContext(0, settings, Catalog())
    clusters = TasteClustersStage().open(0, context)
    context.peers["taste-clusters"] = clusters
    return context, clusters, UserStateStage().open(0, context)


def published(out: list[Emit]) -> dict[str, UserState]:
    return {e.key: e.value for e in out if e.topic is Topic.USER_STATE and isinstance(e.value, UserState)}


def test_user_state_carries_the_cluster_of_the_nearest_lab_centroid() -> None:
    start = Centroids.load(LAB_CLUSTERS)
    _, clusters, users = opened(settings_with(LAB_CLUSTERS))
    expected = {}
    out: list[Emit] = []
    for u, genre in enumerate(("rock", "jazz", "electronic", "metal", "hiphop")):
        users.fold(listens(f"u{u}", [(f"t{genre}{i}", genre) for i in range(3)]), out)   # below 5: no learning
        vector = np.sqrt(np.array([1.0 if g == genre else 0.0 for g in start.genres]))
        expected[f"u{u}"] = int(np.argmin(((np.array(start.centroids) - vector) ** 2).sum(axis=1)))
    users.tick(1, out)
    assert {u: s.cluster_id for u, s in published(out).items()} == expected
    assert clusters.changes() == {}          # nothing learned, nothing to write


def test_the_model_is_learned_written_and_restored_with_its_partition() -> None:
    _, clusters, users = opened(settings_with(None))   # no centroids file: seeded from 4 vectors, k=2
    out: list[Emit] = []
    for u in range(4):
        genre = "rock" if u % 2 else "jazz"
        users.fold(listens(f"u{u}", [(f"t{u}{i}", genre) for i in range(5)]), out)
    users.tick(1, out)
    warming = {u: s.cluster_id for u, s in published(out).items()}
    assert [warming[f"u{u}"] for u in range(3)] == [-1, -1, -1] and warming["u3"] >= 0   # seeded by the 4th
    out.clear()
    for u in range(4):
        users.fold(listens(f"u{u}", [(f"t{u}x", "rock" if u % 2 else "jazz")], start=5_000), out)
    users.tick(2, out)
    ids = {u: s.cluster_id for u, s in published(out).items()}
    assert set(ids.values()) == {0, 1} and ids["u1"] == ids["u3"] != ids["u0"] == ids["u2"]
    (key, entry), = clusters.changes().items()
    assert key == MODEL_KEY and entry is not None
    user_entries = users.changes()
    _, restored_clusters, restored_users = opened(settings_with(None))
    restored_clusters.restore(key, entry)
    for user, user_entry in user_entries.items():
        assert user_entry is not None
        restored_users.restore(user, user_entry)
    out.clear()
    restored_users.fold(listens("u3", [("t-new", "rock")], start=10_000), out)
    restored_users.tick(20_000, out)
    assert published(out)["u3"].cluster_id == ids["u3"]
