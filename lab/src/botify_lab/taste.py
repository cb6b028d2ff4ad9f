"""Users' taste as vectors: a distribution over Botify's canonical genres, and learned factors of what they play.

The genre vector of one user is a plain function of (genre, plays) pairs, so the stream processor can build the
same vector online from a user's recent listens and assign it to the clusters learned here:

>>> genre_vector({"rock": 3.0, "jazz": 1.0, "unknown": 5.0}, genres=("rock", "jazz", "pop")).tolist()
[0.75, 0.25, 0.0]
>>> hellinger(genre_vector({"rock": 3.0, "jazz": 1.0}, genres=("rock", "jazz"))).round(3).tolist()
[0.866, 0.5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from botify_datasets.genres import GENRES


def genre_vector(plays_by_genre: Mapping[str, float], genres: Sequence[str] = GENRES) -> np.ndarray:
    """A user's share of plays per genre, in the order of ``genres``; genres outside it (``unknown``) are left
    out, and a user with no plays in any of them gets zeros."""
    vector = np.array([max(float(plays_by_genre.get(g, 0.0)), 0.0) for g in genres])
    total = vector.sum()
    return vector / total if total > 0 else vector


def genre_taste(plays: pd.DataFrame, artist_genre: pd.Series, genres: Sequence[str] = GENRES) -> pd.DataFrame:
    """Every user's :func:`genre_vector`: rows are users (``user_id``), columns ``genres``, rows sum to 1.

    ``plays`` has user_id, artist_id, weight (play counts); ``artist_genre`` maps artist_id to its canonical genre.
    Users none of whose plays have a genre in ``genres`` are dropped.
    """
    frame = pd.DataFrame({"user_id": plays["user_id"].to_numpy(),
                          "genre": artist_genre.reindex(plays["artist_id"]).to_numpy(),
                          "weight": plays["weight"].to_numpy(dtype=np.float64)})
    frame = frame[frame["genre"].isin(list(genres))]
    table = (frame.pivot_table(index="user_id", columns="genre", values="weight", aggfunc="sum", fill_value=0.0)
             .reindex(columns=list(genres), fill_value=0.0))
    table = table[table.sum(axis=1) > 0]
    table.columns.name = None
    return table.div(table.sum(axis=1), axis=0)


def hellinger(shares: np.ndarray) -> np.ndarray:
    """Square roots of shares: Euclidean distance between them is (√2 x) the Hellinger distance of the
    distributions, which keeps a user's small genres from being drowned by their one or two big ones."""
    return np.asarray(np.sqrt(np.clip(shares, 0.0, None)), dtype=np.float64)


def factor_taste(plays: pd.DataFrame, n_factors: int = 32, seed: int = 0) -> pd.DataFrame:
    """Users' latent factors: truncated SVD of the user x artist matrix of log(1 + plays), rows scaled to unit
    length so that a user's taste, not how much they listen, sets where they are."""
    users, user_index = np.unique(plays["user_id"].to_numpy(), return_inverse=True)
    artists, artist_index = np.unique(plays["artist_id"].to_numpy(), return_inverse=True)
    matrix = sparse.csr_matrix((np.log1p(plays["weight"].to_numpy(dtype=np.float64)), (user_index, artist_index)),
                               shape=(len(users), len(artists)))
    n_factors = min(n_factors, min(matrix.shape) - 1)
    factors = TruncatedSVD(n_components=n_factors, random_state=seed).fit_transform(matrix)
    return pd.DataFrame(normalize(factors), index=pd.Index(users, name="user_id"),
                        columns=[f"f{i}" for i in range(n_factors)])
