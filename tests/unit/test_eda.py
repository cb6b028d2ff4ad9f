"""EDA arithmetic on tiny hand-made logs: periods in UTC, plays and minutes per genre, top-N, long-tail numbers."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botify_lab.eda import auto_period, provenance_kind, slug
from botify_lab.genre_popularity import genre_by_period, genre_totals, top_tracks
from botify_lab.long_tail import LongTail, entities_for_share, gini, lorenz, plays_per, top_share
from botify_lab.time_window import parse_instant, period_of

MIN = 60_000
# 2021-01-31 23:30 UTC, 2021-02-01 00:30 UTC, 2021-02-01 12:00 UTC, 2021-03-15 08:00 UTC
JAN31_2330 = parse_instant("2021-01-31T23:30:00Z")
FEB01_0030 = JAN31_2330 + 60 * MIN
FEB01_1200 = parse_instant("2021-02-01T12:00")
MAR15_0800 = parse_instant("2021-03-15T09:00+01:00")


def log(rows: list[tuple[str, str, str, int, int, int]]) -> pd.DataFrame:
    """(user, track, genre, ts_ms, ms_played, duration_ms) -> a frame with the listening-log columns."""
    frame = pd.DataFrame(rows, columns=["user_id", "track_id", "genre", "ts_ms", "ms_played", "duration_ms"])
    frame["title"] = "T-" + frame["track_id"]
    frame["artist_id"] = "a-" + frame["track_id"]
    frame["artist_name"] = "A-" + frame["track_id"]
    return frame


SMALL = log([
    ("u1", "t1", "rock", JAN31_2330, 3 * MIN, 4 * MIN),
    ("u1", "t1", "rock", FEB01_0030, 4 * MIN, 4 * MIN),
    ("u2", "t2", "rock", FEB01_1200, 1 * MIN, 5 * MIN),
    ("u2", "t3", "jazz", FEB01_1200, 10 * MIN, 10 * MIN),
    ("u3", "t3", "jazz", MAR15_0800, 2 * MIN, 10 * MIN),
])


def test_instants_are_utc_whatever_the_input_zone() -> None:
    assert parse_instant("2021-02-01") == 1_612_137_600_000
    assert parse_instant("2021-02-01T01:00+01:00") == parse_instant("2021-02-01T00:00Z")
    assert parse_instant("2021-03-15T08:00") == MAR15_0800
    with pytest.raises(ValueError, match="ISO date"):
        parse_instant("next tuesday")


def test_periods_are_calendar_periods_of_utc_time() -> None:
    ts = pd.Series([JAN31_2330, FEB01_0030, MAR15_0800])
    assert period_of(ts, "month").astype(str).tolist() == ["2021-01", "2021-02", "2021-03"]
    assert period_of(ts, "day").astype(str).tolist() == ["2021-01-31", "2021-02-01", "2021-03-15"]
    # Sunday 31 Jan and Monday 1 Feb fall in different Monday-to-Sunday weeks
    assert period_of(ts, "week").astype(str).tolist()[:2] == ["2021-01-25/2021-01-31", "2021-02-01/2021-02-07"]
    assert period_of(ts, "year").astype(str).unique().tolist() == ["2021"]
    assert period_of(ts, "quarter").astype(str).tolist() == ["2021Q1"] * 3
    with pytest.raises(ValueError, match="unknown period 'fortnight'"):
        period_of(ts, "fortnight")


def test_genre_totals_count_plays_and_minutes_listened() -> None:
    totals = genre_totals(SMALL)
    assert totals.index.tolist() == ["rock", "jazz"]  # most plays first
    assert totals["plays"].tolist() == [3, 2]
    assert totals.loc["rock", "minutes"] == pytest.approx(8.0)    # 3 + 4 + 1
    assert totals.loc["jazz", "minutes"] == pytest.approx(12.0)   # 10 + 2
    assert totals.loc["rock", "play_share"] == pytest.approx(0.6)
    assert totals.loc["jazz", "minute_share"] == pytest.approx(0.6)
    assert totals.loc["rock", "minutes_per_play"] == pytest.approx(8 / 3)
    assert totals.loc["rock", "played_fraction"] == pytest.approx(8 / 13)  # 8 of 4 + 4 + 5 minutes
    assert totals.loc["jazz", "played_fraction"] == pytest.approx(12 / 20)


def test_genre_by_period_splits_at_utc_midnight_of_the_month() -> None:
    monthly = genre_by_period(SMALL, "month")
    cells = {(str(r.period), r.genre): (r.plays, r.minutes) for r in monthly.itertuples()}
    assert cells == {("2021-01", "rock"): (1, 3.0), ("2021-02", "rock"): (2, 5.0), ("2021-02", "jazz"): (1, 10.0),
                     ("2021-03", "jazz"): (1, 2.0)}
    feb = monthly[monthly["period"].astype(str) == "2021-02"].set_index("genre")
    assert feb.loc["rock", "play_share"] == pytest.approx(2 / 3)
    assert feb.loc["jazz", "minute_share"] == pytest.approx(10 / 15)


def test_top_tracks_rank_by_plays_then_minutes_then_id() -> None:
    frame = log([
        ("u1", "b", "rock", FEB01_0030, MIN, 4 * MIN),
        ("u2", "b", "rock", FEB01_0030, MIN, 4 * MIN),
        ("u1", "a", "rock", FEB01_0030, 3 * MIN, 4 * MIN),  # one play, but more minutes than c
        ("u1", "c", "rock", FEB01_0030, 2 * MIN, 4 * MIN),
        ("u1", "d", "rock", FEB01_0030, 2 * MIN, 4 * MIN),  # ties c exactly: c wins on id
        ("u1", "e", "rock", MAR15_0800, MIN, 4 * MIN),
    ])
    top = top_tracks(frame, "month", 3)
    feb = top[top["period"].astype(str) == "2021-02"]
    assert feb["track_id"].tolist() == ["b", "a", "c"]
    assert feb["rank"].tolist() == [1, 2, 3]
    assert feb["plays"].tolist() == [2, 1, 1]
    assert feb["title"].tolist() == ["T-b", "T-a", "T-c"]
    assert top[top["period"].astype(str) == "2021-03"]["track_id"].tolist() == ["e"]
    with pytest.raises(ValueError, match="n >= 1"):
        top_tracks(frame, "month", 0)


def test_long_tail_numbers_by_hand() -> None:
    equal, one_has_all = pd.Series([5, 5, 5, 5]), pd.Series([0, 0, 0, 8])
    assert gini(equal) == pytest.approx(0.0)
    assert gini(one_has_all) == pytest.approx(0.75)  # (n - 1) / n
    counts = pd.Series([1, 1, 2, 6])
    assert gini(counts) == pytest.approx(0.4)
    assert top_share(counts, 0.25) == pytest.approx(0.6)
    assert top_share(counts, 0.5) == pytest.approx(0.8)
    assert entities_for_share(counts, 0.8) == pytest.approx(0.5)
    assert entities_for_share(counts, 0.81) == pytest.approx(0.75)
    x, y = lorenz(counts)
    assert x.tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert y.tolist() == pytest.approx([0, 0.1, 0.2, 0.4, 1.0])
    tail = LongTail.of(counts)
    assert (tail.entities, tail.plays, tail.median, tail.max) == (4, 10, 1.5, 6)
    with pytest.raises(ValueError, match="positive count"):
        gini(pd.Series([0, 0]))


def test_plays_per_counts_rows_or_sums_weights() -> None:
    assert plays_per(SMALL, "user_id").to_dict() == {"u1": 2, "u2": 2, "u3": 1}
    weighted = pd.DataFrame({"artist_id": [1, 2, 1], "weight": [5, 7, 4]})
    assert plays_per(weighted, "artist_id", "weight").to_dict() == {1: 9, 2: 7}


def test_auto_period_follows_the_span() -> None:
    day = 86_400_000
    assert auto_period(pd.Series([0, 3 * 365 * day])) == "year"
    assert auto_period(pd.Series([0, 150 * day])) == "month"
    assert auto_period(pd.Series([0, 20 * day])) == "week"
    assert auto_period(pd.Series([0, 3 * day])) == "day"
    assert auto_period(pd.Series([0, 3_600_000])) == "hour"


def test_provenance_kinds_and_slugs() -> None:
    assert provenance_kind("real (HetRec user)") == "real"
    assert provenance_kind("simulated: uniform between ...") == "simulated"
    assert provenance_kind("estimated: the gap to the next play") == "estimated"
    assert provenance_kind("the artist's name") == "derived"
    assert provenance_kind("as exported to listens.csv") == "as exported"
    assert slug("HetRec-2k") == "hetrec-2k" and slug("my log (v2).csv") == "my-log-v2-csv"


rows = st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.sampled_from(["t1", "t2", "t3", "t4"]),
                          st.sampled_from(["rock", "jazz", "pop"]),
                          st.integers(1_600_000_000_000, 1_700_000_000_000),
                          st.integers(0, 600_000), st.integers(1, 600_000)), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(rows, st.sampled_from(["year", "month", "week", "day"]), st.integers(1, 3))
def test_aggregations_agree_with_each_other(data: list[tuple[str, str, str, int, int, int]], period: str,
                                            n: int) -> None:
    frame = log(data)
    totals = genre_totals(frame)
    assert totals["plays"].sum() == len(frame)
    assert totals["minutes"].sum() == pytest.approx(frame["ms_played"].sum() / MIN)
    assert totals["play_share"].sum() == pytest.approx(1.0)
    by_period = genre_by_period(frame, period)
    # summing the periods gives back the totals
    assert by_period.groupby("genre")["plays"].sum().to_dict() == totals["plays"].to_dict()
    assert np.allclose(by_period.groupby("period", observed=True)["play_share"].sum(), 1.0)
    top = top_tracks(frame, period, n)
    sizes = top.groupby(["period", "genre"], observed=True).size()
    assert (sizes <= n).all()
    assert len(sizes) == len(by_period)  # every (period, genre) with plays has a top list
    for _, group in top.groupby(["period", "genre"], observed=True):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert group["plays"].is_monotonic_decreasing


@pytest.mark.parametrize("name", ["botify_lab.time_window", "botify_lab.genre_popularity", "botify_lab.long_tail"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
