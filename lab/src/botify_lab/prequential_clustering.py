"""Online user clustering checked against the lab's offline clusters on the same users.

The stream: the lab's HetRec listening log (:attr:`botify_lab.context.LabContext.hetrec_log`: real users and
artists, play times simulated), replayed once in time order. Each play adds to the user's plays per genre; once
the user has ``MIN_PLAYS`` plays with a known genre, their taste vector (square roots of genre shares, the
clusters section's space) is fed to :class:`botify_models.online_kmeans.OnlineKMeans`, and again each time their
count of such plays doubles (5, 10, 20, 40, ...). At the end, each user's cluster is the online model's answer for
their final taste vector: what ``user-state`` would carry (assigning is cheap and can follow every listen; learning
is what the doubling rations).

Why doubling: learning on every listen lets heavy listeners pull the centroids (a user with 2,000 plays would count
400 times as much as one with 5) and feeds the model thousands of immature vectors; doubling gives each user a few
learns, the later ones from a settled taste. On this log it moved the agreement with the offline clusters from
about 0.52 to about 0.82 ARI (seeds 42-44, warm-up 3,000), where a warm-up of 1,000 vectors (mostly 5-play ones)
seeded poorer centroids (about 0.54).

The offline reference is the clusters section's choice for this space: k-means on every user's all-time genre
shares (HetRec's real play counts), with the same k. Three adjusted Rand indices separate the two ways the online
answer can differ from it:

* **online vs offline**: the headline: stream clusters of stream tastes against offline clusters of all-time
  tastes;
* **online centroids, all-time tastes**: the online centroids applied to the offline vectors: do the centroids
  agree, whatever the users' vectors?
* **offline k-means, stream tastes**: offline k-means refitted on the stream's final taste vectors: how far the
  vectors alone (a sample of each user's plays) move the partition.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from botify_datasets.genres import GENRES
from botify_lab.k_selection import kmeans
from botify_lab.taste import genre_taste, genre_vector, hellinger
from botify_models.online_kmeans import OnlineKMeans, learn_level

MIN_PLAYS = 5
WARMUP = 3000  # taste vectors buffered before the centroids are seeded (see the module docstring)
DEFAULT_K = 4   # the clusters section's choice for genre shares / k-means when its page is absent
PROCESSOR_MIN_RATE = 0.001  # BOTIFY_RECOMMENDER_TASTE_MIN_RATE's default
PROCESSOR_PRIOR_COUNT = 100.0  # BOTIFY_RECOMMENDER_TASTE_PRIOR_COUNT's default


@dataclass(frozen=True)
class ClusterAgreement:
    k: int
    warmup: int
    users: int
    plays: int
    learned: int
    online_vs_offline: float
    centroids_on_offline_tastes: float
    offline_on_stream_tastes: float
    #: the stream processor's way: the model starts from the offline centroids (``clusters.json``) and learns on
    started_from_offline: float
    seconds: float

    def rows(self) -> list[dict[str, object]]:
        return [
            {"comparison": "online (stream tastes, online centroids) vs offline k-means (all-time tastes)",
             "ARI": self.online_vs_offline},
            {"comparison": "online centroids applied to the all-time tastes vs offline k-means",
             "ARI": self.centroids_on_offline_tastes},
            {"comparison": "offline k-means on the stream tastes vs offline k-means on the all-time tastes",
             "ARI": self.offline_on_stream_tastes},
            {"comparison": "online started from the offline centroids (the stream processor's default) vs offline "
                           "k-means", "ARI": self.started_from_offline},
        ]


def chosen_k(out_dir: Path) -> int:
    """The k the clusters section chose for k-means on genre shares (its ``clusters.json``), else DEFAULT_K."""
    path = out_dir / "clusters.json"
    if path.is_file():
        for row in json.loads(path.read_text()).get("chosen", []):
            if row.get("space") == "genre shares" and row.get("method") == "k-means":
                return int(row["k"])
    return DEFAULT_K


def stream_tastes(log: pd.DataFrame, model: OnlineKMeans, min_plays: int = MIN_PLAYS) -> tuple[pd.DataFrame, int]:
    """Replay ``log`` (user_id, genre, sorted by time) through ``model``; each user's final taste vector (rows:
    users, columns GENRES) and how many vectors were learned."""
    index = {g: i for i, g in enumerate(GENRES)}
    counts: defaultdict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(GENRES)))
    learned = 0
    for user, genre in zip(log["user_id"].tolist(), log["genre"].tolist(), strict=True):
        column = index.get(genre)
        if column is None:
            continue  # unknown genre: no taste signal
        plays = counts[user]
        plays[column] += 1.0
        total = plays.sum()
        if learn_level(int(total), min_plays) > learn_level(int(total) - 1, min_plays):
            model.learn_one(np.sqrt(plays / total))
            learned += 1
    users = [u for u, plays in counts.items() if plays.sum() >= min_plays]
    tastes = pd.DataFrame([counts[u] / counts[u].sum() for u in users], index=pd.Index(users, name="user_id"),
                          columns=list(GENRES))
    return tastes, learned


def compare(log: pd.DataFrame, offline_shares: pd.DataFrame, k: int, seed: int,
            warmup: int = WARMUP) -> ClusterAgreement:
    """``log``'s user ids are ``hetrec-u<id>``; ``offline_shares`` is :func:`botify_lab.taste.genre_taste` of
    HetRec's all-time plays (index: HetRec user id)."""
    import time

    started = time.perf_counter()
    model = OnlineKMeans(k=k, dim=len(GENRES), seed=seed, warmup=warmup)
    tastes, learned = stream_tastes(log, model)
    tastes.index = tastes.index.str.removeprefix("hetrec-u").astype(np.int64)
    users = tastes.index.intersection(offline_shares.index)
    online_points = hellinger(tastes.loc[users].to_numpy())
    offline_points = hellinger(offline_shares.loc[users].to_numpy())
    with threadpool_limits(limits=1):
        offline = kmeans(offline_points, k, seed)
        refit = kmeans(online_points, k, seed)
    online = model.predict_many(online_points)
    # what botify_recommender.taste_clusters does: start from the offline centroids, learn with the same schedule
    centroids = np.array([offline_points[offline == c].mean(axis=0) for c in range(k)])
    from_offline = OnlineKMeans(k=k, dim=len(GENRES), centroids=centroids, min_rate=PROCESSOR_MIN_RATE,
                                prior_count=PROCESSOR_PRIOR_COUNT)
    stream_tastes(log, from_offline)
    return ClusterAgreement(
        k, warmup, len(users), len(log), learned, float(adjusted_rand_score(offline, online)),
        float(adjusted_rand_score(offline, model.predict_many(offline_points))),
        float(adjusted_rand_score(offline, refit)),
        float(adjusted_rand_score(offline, from_offline.predict_many(online_points))), time.perf_counter() - started)


def offline_shares_of(hetrec_plays: pd.DataFrame, artist_genre: pd.Series) -> pd.DataFrame:
    return genre_taste(hetrec_plays, artist_genre)


def genre_share(plays_by_genre: dict[str, float]) -> np.ndarray:
    """The taste vector the stream processor feeds the online model for one user (see the module docstring)."""
    return hellinger(genre_vector(plays_by_genre))
