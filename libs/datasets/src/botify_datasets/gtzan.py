"""GTZAN: precomputed features of 1,000 clips (``gtzan-features``) and 100 FLAC clips (``gtzan-mini-audio``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from botify_datasets.errors import DatasetError
from botify_datasets.files import dataset_file, read_table, sha256_of
from botify_datasets.manifest import GTZAN_AUDIO, GTZAN_FEATURES

GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
_MANIFEST_COLUMNS = ["file", "genre", "orig_wav", "samplerate", "channels", "subtype", "frames", "duration_s",
                     "wav_bytes", "wav_sha256", "flac_bytes", "flac_sha256"]


def load_gtzan_features(data_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """1,000 rows: filename, length, 57 numeric features, label."""
    path = dataset_file(data_dir, GTZAN_FEATURES, "features_30_sec.csv", verify=verify)
    frame = read_table(path)
    for column in ("filename", "length", "tempo", "label"):
        if column not in frame.columns:
            raise DatasetError(f"{path}: missing column {column!r}")
    numeric = frame.drop(columns=["filename", "label"])
    non_numeric = [c for c in numeric.columns if not pd.api.types.is_numeric_dtype(numeric[c])]
    if non_numeric:
        raise DatasetError(f"{path}: feature columns must be numeric, these are not: {non_numeric}")
    missing = numeric.isna().any()
    if missing.any():
        column = str(missing[missing].index[0])
        row = int(numeric[column].isna().to_numpy().argmax()) + 2
        raise DatasetError(f"{path}: column {column!r} has a missing value on line {row}")
    unknown = sorted(set(frame["label"]) - set(GTZAN_GENRES))
    if unknown:
        raise DatasetError(f"{path}: unknown genre labels {unknown}")
    return frame


def load_gtzan_clips(data_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """The 100 clips: path (absolute), genre, duration_s; each FLAC checked against the manifest's sha256."""
    manifest_path = dataset_file(data_dir, GTZAN_AUDIO, "manifest.csv", verify=verify)
    manifest = read_table(manifest_path)
    if list(manifest.columns) != _MANIFEST_COLUMNS:
        raise DatasetError(f"{manifest_path}: expected columns {_MANIFEST_COLUMNS}, found {list(manifest.columns)}")
    paths = []
    for row in manifest.itertuples():
        path = manifest_path.parent / str(row.file)
        if not path.is_file():
            raise DatasetError(f"missing {path}, listed in {manifest_path}")
        if verify and sha256_of(path, path.stat().st_mtime_ns, path.stat().st_size) != row.flac_sha256:
            raise DatasetError(f"{path} does not match the sha256 in {manifest_path}: corrupt or replaced")
        paths.append(path)
    return pd.DataFrame({"path": paths, "genre": manifest["genre"], "duration_s": manifest["duration_s"]})
