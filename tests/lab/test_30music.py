"""The 30Music sessions loader on the real files, and on corrupted copies of them: each problem is a DatasetError
whose message names the file and says what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from botify_datasets.errors import DatasetError
from botify_datasets.thirty_music import COLUMNS, drop_exact_duplicates, load_30music, window_file
from tests.lab.test_loaders import copy_set, flip_byte, rewrite_line

pytestmark = pytest.mark.data

FOLDER = "30music-sessions"


def test_30music_matches_its_published_shape(data_dir: Path) -> None:
    plays = load_30music(data_dir)
    assert plays.columns.tolist() == COLUMNS
    assert len(plays) == 121_547 and plays["user_id"].nunique() == 4_620
    assert plays["session_id"].nunique() == 9_519 and plays["track_id"].nunique() == 57_684
    assert plays["artist_id"].nunique() == 10_355
    assert plays["window"].value_counts().sort_index().tolist() == [23_718, 21_021, 21_226, 22_796, 32_786]
    assert plays["ts_ms"].is_monotonic_increasing
    assert pd.Timestamp(int(plays["ts_ms"].iloc[0]), unit="ms") == pd.Timestamp("2014-04-20 03:51:57")
    assert pd.Timestamp(int(plays["ts_ms"].iloc[-1]), unit="ms") == pd.Timestamp("2014-12-21 09:23:42")
    assert len(plays) - len(drop_exact_duplicates(plays)) == 3_205
    # no session spans two windows; 445 users appear in more than one
    assert (plays.groupby("session_id")["window"].nunique() == 1).all()
    assert (plays.groupby("user_id")["window"].nunique() > 1).sum() == 445


def test_a_missing_window_is_named(data_dir: Path, tmp_path: Path) -> None:
    copy = copy_set(data_dir, tmp_path, FOLDER)
    (copy / FOLDER / window_file(3)).unlink()
    with pytest.raises(DatasetError, match="missing") as error:
        load_30music(copy)
    assert str(copy / FOLDER / window_file(3)) in str(error.value)


def test_a_flipped_byte_fails_the_checksum(data_dir: Path, tmp_path: Path) -> None:
    copy = copy_set(data_dir, tmp_path, FOLDER)
    path = copy / FOLDER / window_file(2)
    path.rename(path.with_suffix(".tsv"))        # flip_byte flips a digit only in files it knows are text
    flip_byte(path.with_suffix(".tsv"))
    path.with_suffix(".tsv").rename(path)
    with pytest.raises(DatasetError, match="does not match the published checksum") as error:
        load_30music(copy)
    assert str(path) in str(error.value)


BAD_CONTENT = [  # (window, line, edit, what the message must say)
    (0, 1, lambda s: s.replace("ItemId", "TrackId"), r"expected columns \['UserId', 'SessionId', 'ItemId'"),
    (1, 7, lambda s: s.replace("\t", "\tx", 1), "line 7 has a field that is not an integer"),
    (4, 3, lambda s: "\t".join([*s.split("\t")[:3], "1700000000", s.split("\t")[4]]),
     "line 3 has Time 1700000000, not an epoch second in 2014"),
    (2, 2, lambda s: "\t".join(["1", *s.split("\t")[1:]]), "a SessionId belongs to more than one UserId"),
]


@pytest.mark.parametrize(("window", "line", "edit", "message"), BAD_CONTENT,
                         ids=["header", "text-field", "time-outside-2014", "shared-session"])
def test_malformed_content_says_what_is_wrong_and_where(data_dir: Path, tmp_path: Path, window: int, line: int,
                                                        edit: Callable[[str], str], message: str) -> None:
    copy = copy_set(data_dir, tmp_path, FOLDER)
    path = copy / FOLDER / window_file(window)
    rewrite_line(path, line, edit)
    with pytest.raises(DatasetError, match=message) as error:
        load_30music(copy, verify=False)
    assert str(path) in str(error.value)
