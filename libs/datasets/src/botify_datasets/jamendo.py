"""MTG-Jamendo genre subset (``mtg-jamendo-genre``): 55k tracks with genre tags and durations."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from botify_datasets.errors import DatasetError
from botify_datasets.files import dataset_file, read_lines
from botify_datasets.genres import UNKNOWN, canonical_genre
from botify_datasets.manifest import JAMENDO

SPLITS = ("train", "validation", "test")
_HEADER = ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS"]


def load_jamendo(data_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """One row per track: track_id, artist_id, album_id, path, duration_s, tags (list), genre, split.

    ``genre`` is the canonical genre of the first tag that has one (``unknown`` if none).
    """
    rows: list[tuple[str, str, str, str, float, list[str], str]] = []
    for split in SPLITS:
        path = dataset_file(data_dir, JAMENDO, f"autotagging_genre-{split}.tsv", verify=verify)
        # rows are ragged (one column per tag) and CRLF-terminated: read them line by line
        lines = read_lines(path)
        header = lines[0].split("\t") if lines else []
        if header != _HEADER:
            raise DatasetError(f"{path}: expected the header {_HEADER}, found {header}")
        for number, line in enumerate(lines[1:], start=2):
            fields = line.split("\t")
            if len(fields) < 6:
                raise DatasetError(f"{path}: line {number} has {len(fields)} fields; expected at least 6")
            try:
                duration = float(fields[4])
            except ValueError:
                duration = math.nan
            if not math.isfinite(duration) or duration <= 0:
                raise DatasetError(f"{path}: line {number} has DURATION {fields[4]!r}; expected positive seconds")
            tags = [t.removeprefix("genre---") for t in fields[5:] if t]
            rows.append((fields[0], fields[1], fields[2], fields[3], duration, tags, split))
    frame = pd.DataFrame(rows, columns=["track_id", "artist_id", "album_id", "path", "duration_s", "tags", "split"])
    frame["genre"] = frame["tags"].map(lambda tags: next((g for g in map(canonical_genre, tags) if g), UNKNOWN))
    return frame


def durations_by_genre(jamendo: pd.DataFrame) -> dict[str, list[float]]:
    """Real track lengths in seconds per canonical genre (tracks count once per genre tag they carry)."""
    exploded = jamendo[["duration_s", "tags"]].explode("tags")
    exploded["genre"] = exploded["tags"].map(lambda t: canonical_genre(t) if isinstance(t, str) else None)
    exploded = exploded.dropna(subset=["genre"])
    result = {str(g): group["duration_s"].tolist() for g, group in exploded.groupby("genre")}
    result[UNKNOWN] = jamendo["duration_s"].tolist()
    return result
