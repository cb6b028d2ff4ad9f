"""30Music sessions (``30music-sessions``): five 5-day windows of real Last.fm plays with per-play UTC times.

Each file is tab-separated with a header ``UserId SessionId ItemId Time ArtistId``, all integers, ``Time`` in Unix
epoch seconds. The loader reads all five windows into one frame in event-time order and keeps the 3,205 exact
duplicate rows (double scrobbles): callers decide, with :func:`drop_exact_duplicates`, whether they count.

>>> plays = load_30music(PathSettings().data_dir)          # doctest: +SKIP
>>> plays.columns.tolist()                                 # doctest: +SKIP
['user_id', 'session_id', 'track_id', 'artist_id', 'ts_ms', 'window']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from botify_datasets.errors import DatasetError
from botify_datasets.files import check_columns, dataset_file, read_table
from botify_datasets.manifest import THIRTY_MUSIC

FILE_COLUMNS = ["UserId", "SessionId", "ItemId", "Time", "ArtistId"]
COLUMNS = ["user_id", "session_id", "track_id", "artist_id", "ts_ms", "window"]
WINDOWS = tuple(range(5))
#: 2014-01-01 and 2015-01-01 UTC, in seconds: every play of this copy falls between them
FIRST_S, LAST_S = 1_388_534_400, 1_420_070_400


def window_file(window: int) -> str:
    return f"30music-200ks_test.{window}.txt"


def _read_window(data_dir: Path, window: int, verify: bool) -> pd.DataFrame:
    path = dataset_file(data_dir, THIRTY_MUSIC, window_file(window), verify=verify)
    frame = read_table(path, sep="\t", dtype=str, keep_default_na=False)
    check_columns(path, frame.columns, FILE_COLUMNS)
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().any(axis=1)
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2  # the header is line 1
        raise DatasetError(f"{path}: line {line} has a field that is not an integer ({', '.join(FILE_COLUMNS)})")
    times = numbers["Time"].to_numpy(dtype=np.int64)
    outside = (times < FIRST_S) | (times >= LAST_S)
    if outside.any():
        line = int(outside.argmax()) + 2
        raise DatasetError(f"{path}: line {line} has Time {times[outside][0]}, not an epoch second in 2014")
    if (numbers.groupby("SessionId")["UserId"].nunique() > 1).any():
        raise DatasetError(f"{path}: a SessionId belongs to more than one UserId")
    return pd.DataFrame({"user_id": numbers["UserId"].to_numpy(dtype=np.int64),
                         "session_id": numbers["SessionId"].to_numpy(dtype=np.int64),
                         "track_id": numbers["ItemId"].to_numpy(dtype=np.int64),
                         "artist_id": numbers["ArtistId"].to_numpy(dtype=np.int64),
                         "ts_ms": times * 1000, "window": window})


def load_30music(data_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """Every play of the five windows, one row each, sorted by time (ties keep file order): user_id, session_id,
    track_id, artist_id, ts_ms (UTC epoch milliseconds), window (0-4)."""
    frame = pd.concat([_read_window(data_dir, w, verify) for w in WINDOWS], ignore_index=True)
    artists_per_track = frame.groupby("track_id")["artist_id"].nunique()
    if (artists_per_track > 1).any():
        raise DatasetError(f"{data_dir / THIRTY_MUSIC.folder}: track {artists_per_track.idxmax()} has more "
                           "than one ArtistId (each track should have one artist)")
    return frame.sort_values("ts_ms", kind="stable").reset_index(drop=True)[COLUMNS]


def drop_exact_duplicates(plays: pd.DataFrame) -> pd.DataFrame:
    """Without repeated rows (same user, session, track and second): a play scrobbled twice counts once."""
    return plays.drop_duplicates(["user_id", "session_id", "track_id", "ts_ms"]).reset_index(drop=True)
