"""Online user clustering by taste: the cluster id in ``user-state``.

A user's taste vector is the lab's (:mod:`botify_lab.taste`): square roots of their shares per genre over a fixed
genre list, here the positive part of the decayed genre affinity the user-state stage keeps. Each partition has an
:class:`~botify_models.online_kmeans.OnlineKMeans` over those vectors; the user-state stage asks it for the user's
cluster at every publication and lets it learn when the user's listens reach 5, 10, 20, 40, ... (the rationing the
lab's prequential section measured: learning on every listen lets heavy listeners pull the centroids).

Where the centroids start decides what the ids mean. By default they are the lab's offline k-means centroids of that
space (``docs/lab/clusters.json``, key ``genre_kmeans_centroids``: its genre list and centroids, written by ``botify
lab report``), so cluster ``i`` is the lab's cluster ``i`` in every partition and every worker, and the stream's
clusters can be checked against the offline ones user by user; each partition's copy then drifts with its own users,
each starting centroid counting as ``taste_prior_count`` users (without such a prior the first user a centroid
absorbs replaces it: the lab measured ARI 0.53 with the offline clusters that way, 0.85 with 100). Without that file
(``BOTIFY_RECOMMENDER_TASTE_CENTROIDS``) each partition seeds itself from its first ``taste_warmup`` vectors, and
the same id can then mean different clusters on different partitions (a warning says so). The model's state is the
stage's one changelog entry, so it survives restarts and moves with its partition.

>>> model = TasteModel(("rock", "jazz"), OnlineKMeans(2, 2, centroids=[[1.0, 0.0], [0.0, 1.0]]), min_listens=2)
>>> model.assign({"rock": 0.9, "jazz": -0.5}, listens_before=0, listens_now=1), model.learned
(0, 0)
>>> model.assign({"rock": 0.1, "jazz": 0.9}, listens_before=1, listens_now=2), model.learned
(1, 1)
>>> model.assign({"pop": 1.0}, listens_before=2, listens_now=3)   # no genre of the list: no cluster
-1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from botify_core.proto.botify.v1.stream_pb2 import StateEntry
from botify_core.topics import Topic
from botify_datasets.genres import GENRES
from botify_models.online_kmeans import UNASSIGNED, OnlineKMeans, learn_level
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, PartitionContext

log = logging.getLogger(__name__)

#: the stage's one changelog key: the partition's model
MODEL_KEY = "model"


@dataclass(frozen=True)
class Centroids:
    genres: tuple[str, ...]
    centroids: list[list[float]]

    @classmethod
    def load(cls, path: Path) -> Centroids:
        """The ``genre_kmeans_centroids`` of a lab ``clusters.json`` (or a file holding just that object)."""
        try:
            data = json.loads(path.read_text())
            data = data.get("genre_kmeans_centroids", data)
            genres, rows = tuple(str(g) for g in data["genres"]), [[float(x) for x in r] for r in data["centroids"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a clusters file with genre_kmeans_centroids (genres, centroids): "
                             f"{exc}") from exc
        if not rows or any(len(r) != len(genres) for r in rows):
            raise ValueError(f"{path}: each centroid needs {len(genres)} values, one per genre")
        return cls(genres, rows)


def taste_vector(affinity: Mapping[str, float], genres: Sequence[str]) -> np.ndarray | None:
    """Square roots of the shares of the positive affinities over ``genres``; None when none is positive."""
    positive = np.array([max(float(affinity.get(g, 0.0)), 0.0) for g in genres])
    total = positive.sum()
    return np.sqrt(positive / total) if total > 0 else None


class TasteModel:
    """One partition's online k-means over taste vectors; ``learned`` counts learns since the last changelog write."""

    def __init__(self, genres: Sequence[str], model: OnlineKMeans, min_listens: int) -> None:
        self.genres = tuple(genres)
        self.model = model
        self.min_listens = min_listens
        self.learned = 0

    def assign(self, affinity: Mapping[str, float], listens_before: int, listens_now: int) -> int:
        """The cluster of this taste, learning from it when the user's listens reached a new doubling."""
        vector = taste_vector(affinity, self.genres)
        if vector is None:
            return UNASSIGNED
        if learn_level(listens_now, self.min_listens) > learn_level(listens_before, self.min_listens):
            self.learned += 1
            return self.model.learn_one(vector)
        return self.model.predict_one(vector)


class TasteClustersState:
    def __init__(self, model: TasteModel) -> None:
        self.taste = model

    def assign(self, affinity: Mapping[str, float], listens_before: int, listens_now: int) -> int:
        return self.taste.assign(affinity, listens_before, listens_now)

    def restore(self, key: str, entry: StateEntry) -> None:
        if key == MODEL_KEY:
            self.taste.model = OnlineKMeans.from_bytes(entry.opaque)

    def fold(self, batch: Sequence[object], out: list[Emit]) -> None:
        """Nothing: the user-state stage calls :meth:`TasteModel.assign` when it publishes."""

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        pass

    def changes(self) -> dict[str, StateEntry | None]:
        if not self.taste.learned:
            return {}
        self.taste.learned = 0
        return {MODEL_KEY: StateEntry(opaque=self.taste.model.to_bytes())}


class TasteClustersStage:
    """Opens each partition's taste model from the centroids file once per process (read at the first open)."""

    name = "taste-clusters"

    source = Topic.LISTENS

    def __init__(self) -> None:
        self._centroids: Centroids | None = None
        self._loaded = False

    def _start(self, settings: RecommenderSettings) -> Centroids | None:
        if not self._loaded:
            self._loaded = True
            path = settings.taste_centroids
            if path is not None and path.is_file():
                self._centroids = Centroids.load(path)
                log.info("taste clusters: %d centroids over %d genres from %s", len(self._centroids.centroids),
                         len(self._centroids.genres), path)
            else:
                log.warning("taste clusters: no centroids file (%s); each partition seeds its own from its first "
                            "%d taste vectors, so cluster ids are per partition", path, settings.taste_warmup)
        return self._centroids

    def open(self, partition: int, context: PartitionContext) -> TasteClustersState:
        settings = context.settings
        start = self._start(settings)
        if start is not None:
            model = OnlineKMeans(len(start.centroids), len(start.genres), centroids=start.centroids,
                                 min_rate=settings.taste_min_rate, prior_count=settings.taste_prior_count)
            genres = start.genres
        else:
            model = OnlineKMeans(settings.taste_clusters, len(GENRES), seed=partition,
                                 warmup=settings.taste_warmup, min_rate=settings.taste_min_rate)
            genres = GENRES
        return TasteClustersState(TasteModel(genres, model, settings.taste_min_listens))
