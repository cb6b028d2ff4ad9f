"""Genre popularity of a listening log: plays and minutes listened per genre, per period, and the top tracks.

Every function takes a frame with the columns of ``botify_datasets.listening_log.LOG_COLUMNS`` and returns a new
frame; "minutes" are minutes actually listened (``ms_played``), not track lengths.

>>> frame = pd.DataFrame({"genre": ["rock", "rock", "jazz"], "track_id": ["a", "a", "b"], "title": ["A", "A", "B"],
...                       "artist_name": ["X", "X", "Y"], "ts_ms": [0, 1, 2],
...                       "ms_played": [60_000, 30_000, 120_000], "duration_ms": [60_000, 60_000, 240_000]})
>>> genre_totals(frame)[["plays", "minutes", "play_share", "minute_share"]].round(3).to_dict("index")
{'rock': {'plays': 2, 'minutes': 1.5, 'play_share': 0.667, 'minute_share': 0.429}, \
'jazz': {'plays': 1, 'minutes': 2.0, 'play_share': 0.333, 'minute_share': 0.571}}
"""

from __future__ import annotations

import pandas as pd

from botify_lab.time_window import period_of

MS_PER_MINUTE = 60_000


def genre_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Per genre (the index), most played first: plays, minutes, their shares of the whole, minutes per play and
    the share of the tracks' length that was listened (``played_fraction``)."""
    grouped = frame.groupby("genre", sort=False).agg(plays=("ms_played", "size"), ms=("ms_played", "sum"),
                                                     length_ms=("duration_ms", "sum"))
    result = pd.DataFrame({
        "plays": grouped["plays"].astype("int64"),
        "minutes": grouped["ms"] / MS_PER_MINUTE,
    }, index=grouped.index)
    result["play_share"] = result["plays"] / max(int(result["plays"].sum()), 1)
    result["minute_share"] = result["minutes"] / max(float(result["minutes"].sum()), 1e-12)
    result["minutes_per_play"] = result["minutes"] / result["plays"]
    result["played_fraction"] = grouped["ms"] / grouped["length_ms"].where(grouped["length_ms"] > 0)
    result.index.name = "genre"
    return result.reset_index().sort_values(["plays", "genre"], ascending=[False, True]).set_index("genre")


def genre_by_period(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """One row per (period, genre) that had plays: plays, minutes, and their shares within the period."""
    keyed = frame.assign(period=period_of(frame["ts_ms"], period))
    grouped = (keyed.groupby(["period", "genre"], sort=True, observed=True)
               .agg(plays=("ms_played", "size"), minutes=("ms_played", "sum")).reset_index())
    grouped["minutes"] = grouped["minutes"] / MS_PER_MINUTE
    totals = grouped.groupby("period", observed=True)[["plays", "minutes"]].transform("sum")
    grouped["play_share"] = grouped["plays"] / totals["plays"]
    grouped["minute_share"] = grouped["minutes"] / totals["minutes"].where(totals["minutes"] > 0)
    return grouped


def top_tracks(frame: pd.DataFrame, period: str, n: int) -> pd.DataFrame:
    """The ``n`` most played tracks of each genre in each period (ties: more minutes, then track id first).

    Columns: period, genre, rank (1 = most played), track_id, title, artist_name, plays, minutes.
    """
    if n < 1:
        raise ValueError(f"top-N needs n >= 1, got {n}")
    keyed = frame.assign(period=period_of(frame["ts_ms"], period))
    per_track = (keyed.groupby(["period", "genre", "track_id"], sort=False, observed=True)
                 .agg(plays=("ms_played", "size"), minutes=("ms_played", "sum"), title=("title", "first"),
                      artist_name=("artist_name", "first"))
                 .reset_index())
    per_track["minutes"] = per_track["minutes"] / MS_PER_MINUTE
    ranked = per_track.sort_values(["period", "genre", "plays", "minutes", "track_id"],
                                   ascending=[True, True, False, False, True], kind="stable")
    top = ranked.groupby(["period", "genre"], sort=False, observed=True).head(n).copy()
    top["rank"] = top.groupby(["period", "genre"], sort=False, observed=True).cumcount() + 1
    columns = ["period", "genre", "rank", "track_id", "title", "artist_name", "plays", "minutes"]
    return top[columns].reset_index(drop=True)
