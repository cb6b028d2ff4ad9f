"""Last.fm 1K users sample (``lastfm-1k-sample``): real scrobbles with UTC timestamps, and user profiles."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from botify_datasets.errors import DatasetError
from botify_datasets.files import check_columns, dataset_file, read_lines, read_table
from botify_datasets.manifest import LASTFM_1K

SCROBBLES = "userid-timestamp-artid-artname-traid-traname.head5000.tsv"
PROFILES = "userid-profile.tsv"
SCROBBLE_COLUMNS = ["user_id", "timestamp", "artist_mbid", "artist_name", "track_mbid", "track_name"]


def load_scrobbles(data_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """One row per play, oldest first: user_id, ts (UTC), artist_mbid, artist_name, track_mbid, track_name."""
    path = dataset_file(data_dir, LASTFM_1K, SCROBBLES, verify=verify)
    rows = []
    for number, line in enumerate(read_lines(path), start=1):
        row = line.split("\t")  # no quoting: titles carry quote characters
        if len(row) != len(SCROBBLE_COLUMNS):
            raise DatasetError(f"{path}: line {number} has {len(row)} fields, expected {len(SCROBBLE_COLUMNS)} "
                               f"({', '.join(SCROBBLE_COLUMNS)})")
        rows.append(row)
    frame = pd.DataFrame(rows, columns=SCROBBLE_COLUMNS)
    ts = pd.to_datetime(frame.pop("timestamp"), format="%Y-%m-%dT%H:%M:%SZ", errors="coerce", utc=True)
    if ts.isna().any():
        bad = int(ts.isna().to_numpy().argmax()) + 1
        raise DatasetError(f"{path}: line {bad} has a timestamp that is not ISO-8601 UTC like 2009-05-04T23:08:57Z")
    frame.insert(1, "ts", ts)
    if (frame["artist_name"] == "").any() or (frame["track_name"] == "").any():
        raise DatasetError(f"{path}: every scrobble needs an artist name and a track name")
    return frame.sort_values(["user_id", "ts"], kind="stable").reset_index(drop=True)


def load_profiles(data_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    path = dataset_file(data_dir, LASTFM_1K, PROFILES, verify=verify)
    frame = read_table(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    check_columns(path, frame.columns, ["#id", "gender", "age", "country", "registered"])
    frame = frame.rename(columns={"#id": "user_id"})
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce").astype("Int64")
    return frame
