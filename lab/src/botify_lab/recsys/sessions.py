"""The time-based split, on the only data with real per-play times: the Last.fm 1K sample (about 5,000 plays,
essentially one listener, December 2008 to May 2009).

Plays are cut into sessions at gaps over 30 minutes. Models train on every play before a cut-off time and are
asked, for each later play that is not the first of its session, to rank the catalog given everything played
before it (the model is not refitted in between). Items are tracks; the catalog is the tracks played before the
cut-off, so a later first play of a new track is a miss for every model. Nothing is excluded: people replay music.
Tuning uses the same design inside the training period (a second cut-off at 80% of its plays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from botify_lab.recsys import protocol
from botify_lab.recsys.models.base import IntArray, SequenceRecommender

SESSION_GAP_MS = 30 * 60 * 1000
TRAIN_SHARE = 0.8
MAX_HISTORY = 200


@dataclass(frozen=True)
class SessionSplit:
    train: list[IntArray]           # per user, their training plays (catalog ids), oldest first
    histories: list[IntArray]       # per query, the user's earlier plays (known tracks only)
    targets: IntArray               # per query, the track played next (-1: not in the catalog)
    n_items: int
    description: str

    def popularity(self) -> np.ndarray:
        """Share of training plays per track, add-one smoothed (novelty's reference)."""
        counts = np.bincount(np.concatenate(self.train), minlength=self.n_items)
        share: np.ndarray = (counts + 1.0) / (counts.sum() + 1.0)
        return share


def time_split(plays: pd.DataFrame, train_share: float = TRAIN_SHARE) -> SessionSplit:
    """``plays``: user_id, track_id, ts_ms (a listening log's frame). The cut-off is the time by which
    ``train_share`` of the plays had happened."""
    plays = plays.sort_values(["user_id", "ts_ms"], kind="stable")
    cutoff = int(np.quantile(plays["ts_ms"].to_numpy(), train_share))
    before = plays[plays["ts_ms"] < cutoff]
    catalog = {track: i for i, track in enumerate(pd.unique(before["track_id"]))}
    train, histories, targets = [], [], []
    for _, user in plays.groupby("user_id", sort=True):
        ids = user["track_id"].map(catalog).fillna(-1).to_numpy(dtype=np.int64)
        ts = user["ts_ms"].to_numpy()
        new_session = np.r_[True, np.diff(ts) > SESSION_GAP_MS]
        if (ts < cutoff).any():
            train.append(ids[ts < cutoff])
        for position in np.flatnonzero((ts >= cutoff) & ~new_session):
            history = ids[:position]
            histories.append(history[history >= 0][-MAX_HISTORY:])
            targets.append(ids[position])
    n_sessions = int(sum((np.r_[True, np.diff(u["ts_ms"].to_numpy()) > SESSION_GAP_MS]).sum()
                         for _, u in plays.groupby("user_id")))
    description = (f"Last.fm 1K sample: {len(plays):,} plays by {plays['user_id'].nunique()} users, {n_sessions} "
                   f"sessions (30-minute gaps); {len(before):,} plays before the cut-off "
                   f"{pd.Timestamp(cutoff, unit='ms'):%Y-%m-%d %H:%M} UTC, {len(catalog):,} tracks in the catalog, "
                   f"{len(targets):,} next-track queries after it")
    return SessionSplit(train, histories, np.asarray(targets, dtype=np.int64), len(catalog), description)


def validation_split(plays: pd.DataFrame) -> SessionSplit:
    """The same design inside the training period only: the tuning split."""
    cutoff = int(np.quantile(plays["ts_ms"].to_numpy(), TRAIN_SHARE))
    return time_split(plays[plays["ts_ms"] < cutoff])


def evaluate_sessions(model: SequenceRecommender, split: SessionSplit, k: int = protocol.K,
                      batch: int = 256) -> protocol.Quality:
    lists = [model.recommend(split.histories[start:start + batch], k)
             for start in range(0, len(split.histories), batch)]
    recommended = np.concatenate(lists)
    hits = recommended == split.targets[:, None]
    return protocol.quality(recommended, hits, np.ones(len(hits), dtype=np.int64), split.n_items,
                            split.popularity())
