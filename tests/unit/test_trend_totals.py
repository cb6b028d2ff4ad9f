"""The owner side of genre trends: the changelog holds a window's totals and each track's counts apart, so a flush
writes only what changed; the top-N kept incrementally is the top-N of a full sort."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from botify_core.proto.botify.v1.stream_pb2 import StateEntry, TrackDelta, TrendDelta, TrendTotals
from botify_recommender.catalog import Catalog
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Keyed, PartitionContext
from botify_recommender.trend_totals import Totals, TrendTotalsStage, TrendTotalsState

SETTINGS = RecommenderSettings(windows="1m", trend_retention_ms=120_000, snapshot_interval_ms=0)


def owner() -> TrendTotalsState:
    return TrendTotalsStage().open(0, PartitionContext(0, SETTINGS, Catalog()))


def delta(start: int, genre: str, *tracks: tuple[str, int, int]) -> Keyed:
    return Keyed("", TrendDelta(window="1m", window_start_ms=start, window_end_ms=start + 60_000, genre=genre,
                                plays=sum(p for _, p, _ in tracks), ms_played=sum(m for _, _, m in tracks),
                                tracks=[TrackDelta(track_id=t, plays=p, ms_played=m) for t, p, m in tracks]))


def test_a_flush_writes_the_totals_and_only_the_tracks_that_changed() -> None:
    state = owner()
    state.fold([delta(0, "rock", ("a", 3, 300), ("b", 1, 100), ("c", 2, 200))], [])
    state.changes()
    state.fold([delta(0, "rock", ("b", 1, 50))], [])
    assert state.changes() == {
        "1m/0/rock": StateEntry(trend=TrendTotals(window="1m", window_start_ms=0, window_end_ms=60_000,
                                                  genre="rock", plays=7, ms_played=650)),
        "1m/0/rock/t/b": StateEntry(trend=TrendTotals(window="1m", window_start_ms=0, window_end_ms=60_000,
                                                      genre="rock", tracks=[TrackDelta(track_id="b", plays=2,
                                                                                       ms_played=150)])),
    }


def test_a_window_past_retention_is_deleted_with_every_track_entry() -> None:
    state = owner()
    state.fold([delta(0, "rock", ("a", 1, 10), ("b", 1, 10))], [])
    state.changes()
    state.fold([delta(180_000, "jazz", ("c", 1, 10))], [])
    changes = state.changes()
    assert {k for k, v in changes.items() if v is None} == {"1m/0/rock", "1m/0/rock/t/a", "1m/0/rock/t/b"}
    assert ("1m", 0, "rock") not in state.totals


def test_an_entry_written_with_all_its_tracks_is_split_on_the_next_flush() -> None:
    state = owner()
    whole = StateEntry(trend=TrendTotals(window="1m", window_start_ms=0, window_end_ms=60_000, genre="rock",
                                         plays=3, ms_played=30,
                                         tracks=[TrackDelta(track_id="a", plays=2, ms_played=20),
                                                 TrackDelta(track_id="b", plays=1, ms_played=10)]))
    state.restore("1m/0/rock", whole)
    changes = state.changes()
    assert set(changes) == {"1m/0/rock", "1m/0/rock/t/a", "1m/0/rock/t/b"}
    assert not changes["1m/0/rock"].trend.tracks  # type: ignore[union-attr]
    again = owner()
    for key, entry in changes.items():
        assert entry is not None
        again.restore(key, entry)
    assert again.totals[("1m", 0, "rock")].tracks == {"a": [2, 20], "b": [1, 10]}
    assert again.totals[("1m", 0, "rock")].plays == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(-1, 3), st.integers(0, 50)),
                         min_size=1, max_size=4), min_size=1, max_size=30),
       st.integers(1, 5))
def test_the_incremental_top_is_the_top_of_a_full_sort(steps: list[list[tuple[str, int, int]]], n: int) -> None:
    totals = Totals()
    for step in steps:
        totals.add(TrendDelta(tracks=[TrackDelta(track_id=t, plays=p, ms_played=m if p >= 0 else -m)
                                      for t, p, m in step]))
        full = sorted(totals.tracks.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:n]
        assert [(x.track_id, x.plays) for x in totals.top(n)] == [(t, p) for t, (p, _) in full]


def test_a_track_gone_to_zero_in_the_flush_its_window_expires_is_deleted_too() -> None:
    state = owner()
    state.fold([delta(0, "unknown", ("x", 1, 10), ("y", 1, 10))], [])
    state.changes()
    state.fold([delta(0, "unknown", ("x", -1, -10)), delta(180_000, "jazz", ("c", 1, 10))], [])
    changes = state.changes()
    assert {k for k, v in changes.items() if v is None} == {"1m/0/unknown", "1m/0/unknown/t/x", "1m/0/unknown/t/y"}
