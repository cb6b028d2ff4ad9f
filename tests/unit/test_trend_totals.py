"""The owner side of genre trends: the changelog holds a run's totals and each track's counts apart, so a flush
writes only what changed; a run's counts reach every window it covers; entries of the older one-window layout
restore exactly and are rewritten; the top-N kept incrementally is the top-N of a full sort."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from botify_core.proto.botify.v1.stream_pb2 import StateEntry, TrackDelta, TrendDelta, TrendTotals
from botify_core.proto.botify.v1.trends_pb2 import TrendSnapshot
from botify_recommender.catalog import Catalog
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Keyed, PartitionContext
from botify_recommender.trend_totals import Counts, Totals, TrendTotalsStage, TrendTotalsState

SETTINGS = RecommenderSettings(windows="1m", trend_retention_ms=120_000, snapshot_interval_ms=0)


def owner() -> TrendTotalsState:
    return TrendTotalsStage().open(0, PartitionContext(0, SETTINGS, Catalog()))


def delta(start: int, genre: str, *tracks: tuple[str, int, int], window: str = "1m", last: int | None = None) -> Keyed:
    return Keyed("", TrendDelta(window=window, window_start_ms=start,
                                last_window_start_ms=start if last is None else last, genre=genre,
                                plays=sum(p for _, p, _ in tracks), ms_played=sum(m for _, _, m in tracks),
                                tracks=[TrackDelta(track_id=t, plays=p, ms_played=m) for t, p, m in tracks]))


def entry(start: int, genre: str, plays: int = 0, ms: int = 0, track: tuple[str, int, int] | None = None,
          last: int | None = None) -> StateEntry:
    """A changelog entry of the 1m run ``start``..``last`` (the older layout when ``last`` is None)."""
    t = TrendTotals(window="1m", window_start_ms=start, window_end_ms=start + 60_000, genre=genre, plays=plays,
                    ms_played=ms, tracks=[] if track is None else [TrackDelta(track_id=track[0], plays=track[1],
                                                                              ms_played=track[2])])
    if last is not None:
        t.last_window_start_ms = last
    return StateEntry(trend=t)


def test_a_flush_writes_the_totals_and_only_the_tracks_that_changed() -> None:
    state = owner()
    state.fold([delta(0, "rock", ("a", 3, 300), ("b", 1, 100), ("c", 2, 200))], [])
    state.changes()
    state.fold([delta(0, "rock", ("b", 1, 50))], [])
    assert state.changes() == {"1m/0/0/rock": entry(0, "rock", 7, 650, last=0),
                               "1m/0/0/rock/t/b": entry(0, "rock", track=("b", 2, 150), last=0)}


def test_a_run_counts_in_every_window_it_covers_and_is_one_entry() -> None:
    hourly = RecommenderSettings(windows="1h:10m", trend_retention_ms=7_200_000, snapshot_interval_ms=0)
    state = TrendTotalsStage().open(0, PartitionContext(0, hourly, Catalog()))
    # a listen at 0:55 with the windows from 0:10 on still open: five of the six windows that hold it
    state.fold([delta(600_000, "rock", ("a", 1, 10), window="1h", last=3_000_000)], [])
    assert {k: (t.plays, t.tracks) for k, t in state.totals.items()} == {
        ("1h", start, "rock"): (1, {"a": [1, 10]}) for start in range(600_000, 3_000_001, 600_000)}
    assert {k for k in state.changes() if not k.startswith("newest/")} == {"1h/600000/3000000/rock",
                                                                           "1h/600000/3000000/rock/t/a"}
    published: list[Emit] = []
    state.tick(1, published)
    assert sorted(e.value.window_start_ms for e in published if isinstance(e.value, TrendSnapshot)) == \
        list(range(600_000, 3_000_001, 600_000))


def test_a_window_past_retention_is_deleted_with_every_track_entry() -> None:
    state = owner()
    state.fold([delta(0, "rock", ("a", 1, 10), ("b", 1, 10))], [])
    state.changes()
    state.fold([delta(180_000, "jazz", ("c", 1, 10))], [])
    changes = state.changes()
    assert {k for k, v in changes.items() if v is None} == {"1m/0/0/rock", "1m/0/0/rock/t/a", "1m/0/0/rock/t/b"}
    assert ("1m", 0, "rock") not in state.totals and ("1m", 0, 0, "rock") not in state.runs


def test_entries_of_the_older_layout_restore_exactly_and_are_rewritten_on_the_next_flush() -> None:
    state = owner()
    older = {"1m/0/rock": entry(0, "rock", 3, 30), "1m/0/rock/t/a": entry(0, "rock", track=("a", 2, 20)),
             "1m/0/rock/t/b": entry(0, "rock", track=("b", 1, 10))}
    for key, value in older.items():
        state.restore(key, value)
    changes = state.changes()
    assert {k for k, v in changes.items() if v is None} == set(older)
    assert {k for k, v in changes.items() if v is not None} == {"1m/0/0/rock", "1m/0/0/rock/t/a", "1m/0/0/rock/t/b"}
    again = owner()
    for key, written in changes.items():
        if written is not None:
            again.restore(key, written)
    assert again.totals[("1m", 0, "rock")].tracks == state.totals[("1m", 0, "rock")].tracks == {"a": [2, 20],
                                                                                                  "b": [1, 10]}
    assert again.totals[("1m", 0, "rock")].plays == 3
    assert again.changes() == {}     # nothing left to rewrite


def test_a_malformed_run_is_dropped_and_counted() -> None:
    state = owner()
    state.fold([delta(0, "rock", ("a", 1, 10), last=60_000),            # 1m is tumbling: a run of two is wrong
                delta(0, "rock", ("a", 1, 10), window="1w")], [])        # not a configured window
    assert state.dropped == 2 and not state.totals and not state.runs


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(-1, 3), st.integers(0, 50)),
                         min_size=1, max_size=4), min_size=1, max_size=30),
       st.integers(1, 5))
def test_the_incremental_top_is_the_top_of_a_full_sort(steps: list[list[tuple[str, int, int]]], n: int) -> None:
    totals = Totals()
    for step in steps:
        totals.add(Counts.of(TrendDelta(tracks=[TrackDelta(track_id=t, plays=p, ms_played=m if p >= 0 else -m)
                                                for t, p, m in step])))
        full = sorted(totals.tracks.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:n]
        assert [(x.track_id, x.plays) for x in totals.top(n)] == [(t, p) for t, (p, _) in full]


def test_a_track_gone_to_zero_in_the_flush_its_window_expires_is_deleted_too() -> None:
    state = owner()
    state.fold([delta(0, "unknown", ("x", 1, 10), ("y", 1, 10))], [])
    state.changes()
    state.fold([delta(0, "unknown", ("x", -1, -10)), delta(180_000, "jazz", ("c", 1, 10))], [])
    changes = state.changes()
    assert {k for k, v in changes.items() if v is None} == {"1m/0/0/unknown", "1m/0/0/unknown/t/x",
                                                            "1m/0/0/unknown/t/y"}


def test_the_current_window_is_published_at_every_snapshot_and_the_others_at_their_slower_cadence() -> None:
    hourly = RecommenderSettings(windows="1m,1h:10m", trend_retention_ms=7_200_000, snapshot_interval_ms=0,
                                 snapshot_others_interval_ms=5_000)
    state = TrendTotalsStage().open(0, PartitionContext(0, hourly, Catalog()))

    def tick(at_ms: int) -> list[tuple[str, int, int]]:
        out: list[Emit] = []
        state.tick(at_ms, out)
        return sorted((e.value.window, e.value.window_start_ms, e.value.plays) for e in out
                      if isinstance(e.value, TrendSnapshot))

    # listens at 0:55: in the minute from 0:55 and the six hour windows that hold it, from 0:00 to 0:50
    state.fold([delta(0, "rock", ("a", 1, 10), window="1h", last=3_000_000),
                delta(3_300_000, "rock", ("a", 1, 10))], [])
    assert len(tick(0)) == 1 + 6          # the first snapshot publishes every changed window
    state.fold([delta(0, "rock", ("b", 2, 20), window="1h", last=3_000_000),
                delta(3_300_000, "rock", ("b", 2, 20))], [])
    # the current hour window is the oldest that holds the newest listen (0:00-1:00), the current minute 0:55
    assert tick(1_000) == [("1h", 0, 3), ("1m", 3_300_000, 3)]
    assert tick(2_000) == []              # nothing changed since
    assert tick(5_000) == [("1h", start, 3) for start in range(600_000, 3_000_001, 600_000)]
    # the newest listen moves to the next minute (1:00), then one still in flight for 0:55 comes: the minute that
    # just closed is out at the next snapshot, not at the slower cadence; the hour windows wait for it
    state.fold([delta(3_360_000, "rock", ("c", 1, 10)), delta(600_000, "rock", ("c", 1, 10), window="1h",
                                                                last=3_600_000)], [])
    assert tick(6_000) == [("1h", 600_000, 4), ("1m", 3_360_000, 1)]
    state.fold([delta(3_300_000, "rock", ("d", 1, 10))], [])
    assert tick(7_000) == [("1m", 3_300_000, 4)]
