"""Last.fm HetRec 2011 (``hetrec2011-lastfm-2k``): user-artist play counts, artists, and dated artist tags.

>>> data = load_hetrec(PathSettings().data_dir)            # doctest: +SKIP
>>> data.plays.columns.tolist()                            # doctest: +SKIP
['user_id', 'artist_id', 'weight']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from botify_datasets.errors import DatasetError
from botify_datasets.files import check_columns, dataset_file, read_table
from botify_datasets.genres import GENRES, TAG_TO_GENRE, UNKNOWN, normalise_tag
from botify_datasets.manifest import HETREC

_COLUMNS = {
    "user_artists.dat": ["userID", "artistID", "weight"],
    "artists.dat": ["id", "name", "url", "pictureURL"],
    "tags.dat": ["tagID", "tagValue"],
    "user_taggedartists.dat": ["userID", "artistID", "tagID", "day", "month", "year"],
}


@dataclass(frozen=True)
class HetRec:
    plays: pd.DataFrame     # user_id, artist_id, weight (all-time play count)
    artists: pd.DataFrame   # artist_id, name
    tags: pd.DataFrame      # tag_id, tag
    tagged: pd.DataFrame    # user_id, artist_id, tag_id, date (UTC midnight; NaT for impossible dates)

    def artist_genres(self) -> pd.DataFrame:
        """Per artist: ``genre`` (the canonical genre most often tagged) and ``genres`` (all, most tagged first).

        Artists with no genre-like tag get ``unknown``.
        """
        tags = self.tags.assign(genre=self.tags["tag"].map(lambda t: TAG_TO_GENRE.get(normalise_tag(t))))
        counted = (self.tagged.merge(tags[["tag_id", "genre"]], on="tag_id").dropna(subset=["genre"])
                   .groupby(["artist_id", "genre"]).size().rename("n").reset_index())
        rank = {g: i for i, g in enumerate(GENRES)}
        counted["order"] = counted["genre"].map(rank)
        counted = counted.sort_values(["artist_id", "n", "order"], ascending=[True, False, True])
        ranked = counted.groupby("artist_id")["genre"].agg(list).rename("genres")
        result = self.artists[["artist_id", "name"]].set_index("artist_id").join(ranked)
        result["genres"] = result["genres"].map(lambda g: g if isinstance(g, list) else [])
        result["genre"] = result["genres"].map(lambda g: g[0] if g else UNKNOWN)
        return result.reset_index()


def _read(data_dir: Path, name: str, verify: bool, encoding: str = "utf-8") -> pd.DataFrame:
    path = dataset_file(data_dir, HETREC, name, verify=verify)
    frame = read_table(path, sep="\t", encoding=encoding, quoting=3, dtype=str, keep_default_na=False)
    check_columns(path, frame.columns, _COLUMNS[name])
    return frame


def _ints(path_name: str, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DatasetError(f"{path_name}: column {column!r} must hold integers; row {row + 2} has "
                               f"{frame[column].iloc[row]!r}")
        frame[column] = values.astype("int64")
    return frame


def load_hetrec(data_dir: Path, *, verify: bool = True) -> HetRec:
    plays = _ints("user_artists.dat", _read(data_dir, "user_artists.dat", verify), ["userID", "artistID", "weight"])
    artists = _ints("artists.dat", _read(data_dir, "artists.dat", verify), ["id"])
    tags = _ints("tags.dat", _read(data_dir, "tags.dat", verify, encoding="latin-1"), ["tagID"])
    tagged = _ints("user_taggedartists.dat", _read(data_dir, "user_taggedartists.dat", verify),
                   ["userID", "artistID", "tagID", "day", "month", "year"])
    if (plays["weight"] <= 0).any():
        raise DatasetError("user_artists.dat: every weight must be a positive play count")
    dates = pd.to_datetime(tagged[["year", "month", "day"]], errors="coerce", utc=True)
    # a handful of rows carry impossible years (1956, 1957, 1979: before Last.fm existed)
    dates = dates.where(tagged["year"] >= 2002)
    return HetRec(
        plays=plays.rename(columns={"userID": "user_id", "artistID": "artist_id"}),
        artists=artists.rename(columns={"id": "artist_id"})[["artist_id", "name"]],
        tags=tags.rename(columns={"tagID": "tag_id", "tagValue": "tag"}),
        tagged=pd.DataFrame({"user_id": tagged["userID"], "artist_id": tagged["artistID"],
                             "tag_id": tagged["tagID"], "date": dates}),
    )
