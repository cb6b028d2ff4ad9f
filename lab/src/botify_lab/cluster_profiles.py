"""Describe user clusters in words people use: size, the genres that set them apart, the artists they play.

>>> shares = pd.DataFrame({"rock": [0.9, 0.8, 0.1], "pop": [0.1, 0.2, 0.9]}, index=["u1", "u2", "u3"])
>>> labels = pd.Series([0, 0, 1], index=shares.index)
>>> plays = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "artist_id": [1, 1, 2], "weight": [10, 5, 7]})
>>> profile = cluster_profiles(labels, shares, plays, pd.Series({1: "Rocker", 2: "Popper"}))[0]
>>> profile.users, profile.top_artists
(2, [('Rocker', 1.0)])
>>> profile.row()["top genres (mean share, x vs all)"]
'rock 85% (x1.4), pop 15% (x0.4)'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

NOISE = -1


@dataclass(frozen=True)
class ClusterProfile:
    cluster: int                                      # -1: the points a density method left as noise
    users: int
    share: float                                      # of all users
    top_genres: list[tuple[str, float, float]]        # (genre, mean share in the cluster, lift over everyone)
    top_artists: list[tuple[str, float]]              # (artist, share of the cluster's plays)
    distinctive_artists: list[tuple[str, float]]      # (artist, lift of the share of users who play it)

    def row(self) -> dict[str, str | int]:
        """A Markdown-ready row."""
        return {
            "cluster": "noise" if self.cluster == NOISE else str(self.cluster), "users": self.users,
            "share": f"{self.share:.0%}",
            "top genres (mean share, x vs all)": ", ".join(f"{g} {s:.0%} (x{lift:.1f})"
                                                           for g, s, lift in self.top_genres),
            "top artists (share of plays)": ", ".join(f"{a} {s:.0%}" for a, s in self.top_artists),
            "distinctive artists (x more listeners)": ", ".join(f"{a} (x{lift:.1f})"
                                                               for a, lift in self.distinctive_artists),
        }


def cluster_profiles(labels: pd.Series, genre_shares: pd.DataFrame, plays: pd.DataFrame, artist_names: pd.Series,
                     n_genres: int = 3, n_artists: int = 5, n_distinctive: int = 3,
                     min_listeners: float = 0.1) -> list[ClusterProfile]:
    """One profile per cluster, largest first.

    ``labels`` maps user_id to cluster; ``genre_shares`` has a row of genre shares per user; ``plays`` has
    user_id, artist_id, weight; ``artist_names`` maps artist_id to a name. A distinctive artist is played by at
    least ``min_listeners`` of the cluster's users and is ranked by how many times likelier they are than all
    users to play it.
    """
    users = labels.index
    shares = genre_shares.reindex(users)
    overall_genre = shares.mean()
    plays = plays[plays["user_id"].isin(users)].assign(cluster=lambda f: f["user_id"].map(labels))
    listeners_all = plays.groupby("artist_id")["user_id"].nunique() / len(users)
    profiles = []
    for cluster, members in labels.groupby(labels):
        mean = shares.loc[members.index].mean()
        lift = mean / overall_genre.where(overall_genre > 0)
        genres = [(str(g), float(mean[g]), float(lift[g])) for g in mean.sort_values(ascending=False).index[:n_genres]]
        own = plays[plays["cluster"] == cluster]
        by_artist = own.groupby("artist_id")["weight"].sum().sort_values(ascending=False, kind="stable")
        top = [(str(artist_names.get(a, a)), float(w / by_artist.sum())) for a, w in by_artist.head(n_artists).items()]
        listeners = own.groupby("artist_id")["user_id"].nunique() / len(members)
        candidates = listeners[listeners >= min_listeners]
        ratio = (candidates / listeners_all.reindex(candidates.index)).sort_values(ascending=False, kind="stable")
        distinctive = [(str(artist_names.get(a, a)), float(r)) for a, r in ratio.head(n_distinctive).items()]
        profiles.append(ClusterProfile(int(str(cluster)), len(members), len(members) / len(users), genres, top,
                                       distinctive))
    return sorted(profiles, key=lambda p: (p.cluster == NOISE, -p.users, p.cluster))
