"""The two streams the prequential section replays.

* **30Music** (``30music-sessions``): real plays with real times, in event-time order. Items are *artists*: the
  copy has 57,684 tracks for 118k plays (most tracks are played once in it, so a top 10 over tracks would measure
  noise), against 10,355 artists. Exact duplicate rows (double scrobbles) are dropped; every play has weight 1.
* **HetRec 2k**: the lab's filtered user x artist matrix (see :mod:`botify_lab.recsys.data`) as a stream of
  (user, artist, log1p(plays)) pairs in a seeded random order, as the recommender comparison replays it: HetRec
  has no play times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from botify_datasets.hetrec import HetRec
from botify_datasets.thirty_music import drop_exact_duplicates
from botify_lab.prequential_loop import Stream
from botify_lab.recsys.data import hetrec_interactions
from botify_lab.recsys.models.stream_replay import shuffled_events


def _dense(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Indices 0..n-1 in order of first appearance (so an index also tells when an id joined the stream)."""
    codes, uniques = pd.factorize(ids)
    return codes.astype(np.int64), len(uniques)


def thirty_music_stream(plays: pd.DataFrame, max_events: int | None = None) -> Stream:
    """``plays`` as :func:`botify_datasets.thirty_music.load_30music` returns them (sorted by time)."""
    plays = drop_exact_duplicates(plays)
    if max_events is not None:
        plays = plays.head(max_events)
    users, n_users = _dense(plays["user_id"].to_numpy())
    items, n_items = _dense(plays["artist_id"].to_numpy())
    first, last = (pd.Timestamp(t, unit="ms") for t in (plays["ts_ms"].min(), plays["ts_ms"].max()))
    description = (f"30Music sessions: {len(plays):,} plays (exact duplicate rows dropped"
                   f"{f'; the first {max_events:,}' if max_events else ''}) by {n_users:,} users of {n_items:,} "
                   f"artists, {first:%Y-%m-%d} to {last:%Y-%m-%d}, in event-time order; items are artists")
    return Stream("30Music", users, items, np.ones(len(plays)), n_users, n_items, description)


def hetrec_stream(hetrec: HetRec, seed: int, max_users: int | None = None) -> Stream:
    data = hetrec_interactions(hetrec, max_users=max_users, seed=seed)
    users, items, confidences = shuffled_events(data.matrix, np.random.default_rng(seed))
    weights = np.asarray(confidences, dtype=np.float64)
    description = f"{data.description}; the pairs in a seeded random order (HetRec has no play times)"
    return Stream("HetRec 2k", users, items, weights, data.n_users, data.n_items, description)
