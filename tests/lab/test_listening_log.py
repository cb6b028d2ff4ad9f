"""The listening logs built from the real datasets: every column present and accounted for (real, derived or
simulated), plays no longer than their tracks, genres joined from the artists' tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from botify_datasets.genres import GENRES, UNKNOWN
from botify_datasets.hetrec import HetRec, load_hetrec
from botify_datasets.jamendo import load_jamendo
from botify_datasets.lastfm1k import load_scrobbles
from botify_datasets.listening_log import LOG_COLUMNS, ListeningLog, hetrec_log, lastfm1k_log
from botify_lab.eda import provenance_kind
from botify_lab.vocabulary import jamendo_genre_tracks

pytestmark = pytest.mark.data
SCALE = 0.001


@pytest.fixture(scope="module")
def hetrec(data_dir: Path) -> HetRec:
    return load_hetrec(data_dir)


@pytest.fixture(scope="module")
def jamendo(data_dir: Path) -> pd.DataFrame:
    return load_jamendo(data_dir)


@pytest.fixture(scope="module")
def het_log(hetrec: HetRec, jamendo: pd.DataFrame) -> ListeningLog:
    return hetrec_log(hetrec, jamendo, scale=SCALE, seed=3)


@pytest.fixture(scope="module")
def lfm_log(data_dir: Path, hetrec: HetRec) -> ListeningLog:
    return lastfm1k_log(load_scrobbles(data_dir), hetrec)


@pytest.fixture(params=["hetrec", "lastfm1k"])
def any_log(request: pytest.FixtureRequest, het_log: ListeningLog, lfm_log: ListeningLog) -> ListeningLog:
    return het_log if request.param == "hetrec" else lfm_log


def test_columns_provenance_and_order(any_log: ListeningLog) -> None:
    frame = any_log.frame
    assert list(frame.columns) == list(LOG_COLUMNS)
    assert set(LOG_COLUMNS) <= set(any_log.provenance)
    assert {provenance_kind(any_log.provenance[c]) for c in LOG_COLUMNS} <= {"real", "derived", "estimated",
                                                                             "simulated"}
    assert any_log.provenance["user_id"].startswith("real")
    assert frame["ts_ms"].is_monotonic_increasing
    assert not frame[list(LOG_COLUMNS)].isna().any().any()


def test_plays_last_no_longer_than_their_tracks(any_log: ListeningLog) -> None:
    frame = any_log.frame
    assert (frame["duration_ms"] > 0).all()
    assert frame["ms_played"].between(0, frame["duration_ms"]).all()


def test_every_genre_is_canonical(any_log: ListeningLog) -> None:
    assert set(any_log.frame["genre"]) <= {*GENRES, UNKNOWN}


def test_hetrec_log_is_real_counts_expanded(het_log: ListeningLog, hetrec: HetRec, jamendo: pd.DataFrame) -> None:
    frame = het_log.frame
    assert het_log.provenance["ts_ms"].startswith("simulated")
    assert het_log.provenance["artist_id"].startswith("real")
    totals = hetrec.plays.groupby("user_id")["weight"].sum()
    expected = (totals * SCALE).round().clip(1, 2000).astype(int)
    per_user = frame.groupby("user_id").size()
    assert per_user.to_dict() == {f"hetrec-u{u}": n for u, n in expected.items()}
    # every play is of an artist the user really played
    pairs = set(zip("hetrec-u" + hetrec.plays["user_id"].astype(str),
                    "hetrec-a" + hetrec.plays["artist_id"].astype(str), strict=True))
    assert set(zip(frame["user_id"], frame["artist_id"], strict=True)) <= pairs
    # the genre is the artist's main HetRec genre
    main = hetrec.artist_genres().set_index("artist_id")["genre"]
    artist = frame["artist_id"].str.removeprefix("hetrec-a").astype(int)
    assert (frame["genre"].to_numpy() == main.reindex(artist).to_numpy()).all()
    # durations are real MTG-Jamendo lengths of the same genre
    rock = set((jamendo_genre_tracks(jamendo).query("genre == 'rock'")["duration_s"] * 1000).round().astype(int))
    assert set(frame.loc[frame["genre"] == "rock", "duration_ms"]) <= rock
    assert frame["ts_ms"].min() >= pd.Timestamp("2005-01-01", tz="UTC").value // 1_000_000


def test_hetrec_log_is_reproducible_from_its_seed(hetrec: HetRec, jamendo: pd.DataFrame,
                                                  het_log: ListeningLog) -> None:
    pd.testing.assert_frame_equal(hetrec_log(hetrec, jamendo, scale=SCALE, seed=3).frame, het_log.frame)
    assert not hetrec_log(hetrec, jamendo, scale=SCALE, seed=4).frame["ts_ms"].equals(het_log.frame["ts_ms"])


def test_lastfm1k_log_keeps_real_times_and_joins_genres_by_artist(lfm_log: ListeningLog, data_dir: Path) -> None:
    frame = lfm_log.frame
    scrobbles = load_scrobbles(data_dir)
    assert len(frame) == len(scrobbles) == 5_000
    assert sorted(frame["ts_ms"]) == sorted(scrobbles["ts"].dt.as_unit("ms").astype("int64"))
    assert lfm_log.provenance["ts_ms"].startswith("real")
    assert lfm_log.provenance["ms_played"].startswith("estimated")
    genre_of = frame.drop_duplicates("artist_name").set_index("artist_name")["genre"]
    assert genre_of["Plaid"] == "electronic" and genre_of["Coldplay"] == "alternative"
    assert genre_of["Masomenos"] == UNKNOWN  # not among HetRec's artists
    # a play lasts until the user's next play, at most the track's length
    mine = frame[frame["user_id"] == "user_000001"]
    gap = mine["ts_ms"].diff().shift(-1).iloc[:-1]
    assert (mine["ms_played"].iloc[:-1] == np.minimum(gap, mine["duration_ms"].iloc[:-1])).all()


def test_a_saved_log_loads_back_identical(het_log: ListeningLog, tmp_path: Path) -> None:
    path = tmp_path / "logs" / "hetrec.csv"
    het_log.save(path)
    loaded = ListeningLog.load(path)
    pd.testing.assert_frame_equal(loaded.frame, het_log.frame, check_dtype=False)
    assert loaded.source == "hetrec" and loaded.provenance["genre"] == "as exported to hetrec.csv"


def test_between_keeps_the_half_open_window(het_log: ListeningLog) -> None:
    ts = het_log.frame["ts_ms"]
    start, end = int(ts.quantile(0.25)), int(ts.quantile(0.75))
    window = het_log.between(start, end).frame
    assert len(window) == int(((ts >= start) & (ts < end)).sum())
    assert window["ts_ms"].min() >= start and window["ts_ms"].max() < end
