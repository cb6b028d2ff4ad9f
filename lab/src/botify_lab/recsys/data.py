"""HetRec's user-artist play counts as an implicit-feedback matrix: rows users, columns artists.

Confidence is ``log1p(plays)`` (raw counts span 1 to 352,698 and would let a few fans dominate). Artists with
fewer than ``min_listeners`` listeners are dropped (standard for top-N evaluation, and it keeps EASE's item-item
inverse small), then users left with fewer than ``min_items`` artists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from botify_datasets.hetrec import HetRec

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Interactions:
    """A users x items confidence matrix, the ids behind its rows and columns, and each item's genre."""

    matrix: sp.csr_matrix          # float32 confidences, one row per user
    user_ids: IntArray
    item_ids: IntArray
    item_genres: IntArray          # index into genre_names
    genre_names: tuple[str, ...]
    description: str

    @property
    def n_users(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])


def hetrec_interactions(hetrec: HetRec, *, min_listeners: int = 3, min_items: int = 5,
                        max_users: int | None = None, seed: int = 0) -> Interactions:
    """The filtered matrix (see the module docstring); ``max_users`` first keeps a seeded sample of users."""
    plays = hetrec.plays
    if max_users is not None and max_users < plays["user_id"].nunique():
        users = np.random.default_rng(seed).choice(np.sort(plays["user_id"].unique()), max_users, replace=False)
        plays = plays[plays["user_id"].isin(users)]
    listeners = plays.groupby("artist_id")["user_id"].transform("size")
    plays = plays[listeners >= min_listeners]
    per_user = plays.groupby("user_id")["artist_id"].transform("size")
    plays = plays[per_user >= min_items]
    if plays.empty:
        raise ValueError(f"no plays left after keeping artists with >= {min_listeners} listeners and users with "
                         f">= {min_items} artists")
    users, rows = np.unique(plays["user_id"].to_numpy(), return_inverse=True)
    items, cols = np.unique(plays["artist_id"].to_numpy(), return_inverse=True)
    confidence = np.log1p(plays["weight"].to_numpy(dtype=np.float64)).astype(np.float32)
    matrix = sp.csr_matrix((confidence, (rows, cols)), shape=(len(users), len(items)))
    genres = hetrec.artist_genres().set_index("artist_id")["genre"].reindex(items).fillna("unknown")
    codes, names = pd.factorize(genres, sort=True)
    description = (f"HetRec 2011 Last.fm: {len(users):,} users x {len(items):,} artists, {matrix.nnz:,} pairs "
                   f"(artists with >= {min_listeners} listeners, users with >= {min_items} of them"
                   f"{f'; a seeded sample of {max_users} users' if max_users else ''}); confidence log1p(plays)")
    return Interactions(matrix, users.astype(np.int64), items.astype(np.int64), codes.astype(np.int64),
                        tuple(str(n) for n in names), description)
