"""The gateway's trend board: popularity by plays and minutes, the current window by event time, top tracks, and the
wake-ups of streaming clients. Pure logic on fixed snapshots, with exact expected answers."""

from __future__ import annotations

import asyncio
import doctest
import importlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botify_api.trends import (
    InvalidSnapshotError,
    Metric,
    TrackCount,
    TrendBoard,
    UnknownGenreError,
    UnknownWindowError,
)
from botify_api.trends_feed import TrendFeed
from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot

MINUTE = 60_000
HOUR = 60 * MINUTE
T2008 = 1_228_716_000_000       # 2008-12-08 06:00 UTC, a whole hour: replays of Last.fm data land around here


def snap(window: str, start: int, size: int, genre: str, plays: int, minutes: float,
         tracks: tuple[tuple[str, int, float], ...] = ()) -> TrendSnapshot:
    return TrendSnapshot(window=window, window_start_ms=start, window_end_ms=start + size, genre=genre, plays=plays,
                         minutes=minutes, top_tracks=[TrackPlays(track_id=t, plays=p, minutes=m) for t, p, m in tracks])


def board_of(*snapshots: TrendSnapshot) -> TrendBoard:
    board = TrendBoard()
    for s in snapshots:
        board.apply(s)
    return board


@pytest.mark.parametrize("name", ["botify_api.trends", "botify_api.trends_feed"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_plays_and_minutes_rank_genres_differently() -> None:
    board = board_of(snap("1m", T2008, MINUTE, "rock", 10, 20.0),
                     snap("1m", T2008, MINUTE, "jazz", 4, 30.0),
                     snap("1m", T2008, MINUTE, "pop", 10, 10.0))
    by_plays = board.popularity("1m", Metric.PLAYS)
    assert [(g.genre, g.plays, g.share) for g in by_plays.genres] == [
        ("pop", 10, 10 / 24), ("rock", 10, 10 / 24), ("jazz", 4, 4 / 24)]       # ties by name
    by_minutes = board.popularity("1m", Metric.MINUTES)
    assert [(g.genre, g.minutes, g.share) for g in by_minutes.genres] == [
        ("jazz", 30.0, 0.5), ("rock", 20.0, 1 / 3), ("pop", 10.0, 1 / 6)]
    assert (by_plays.total_plays, by_plays.total_minutes) == (24, 60.0)
    assert (by_plays.window_start_ms, by_plays.window_end_ms, by_plays.now_ms) == (T2008, T2008 + MINUTE, T2008)


def test_now_is_the_newest_event_time_seen_not_the_wall_clock() -> None:
    """Old (2008) data is current when it is the newest seen; a newer minute moves every window's current start."""
    board = board_of(snap("1m", T2008, MINUTE, "rock", 2, 4.0),
                     snap("1m", T2008 + MINUTE, MINUTE, "rock", 5, 9.0),
                     snap("1m", T2008 + MINUTE, MINUTE, "jazz", 1, 1.0))
    assert board.now_ms == T2008 + MINUTE
    assert [(g.genre, g.plays) for g in board.popularity("1m", Metric.PLAYS).genres] == [("rock", 5), ("jazz", 1)]
    board.apply(snap("1m", T2008, MINUTE, "pop", 7, 7.0))      # a late minute does not move now back
    assert board.now_ms == T2008 + MINUTE
    assert [g.genre for g in board.popularity("1m", Metric.PLAYS).genres] == ["rock", "jazz"]


def test_hopping_window_shows_the_oldest_start_that_holds_now() -> None:
    """1h windows every 10 minutes: at 06:35 the current one is [05:40, 06:40), which counted most of the hour."""
    step = 10 * MINUTE
    snapshots = [snap("1h", T2008 - HOUR + k * step, HOUR, "rock", 100 - k, 1.0) for k in range(3, 10)]
    board = board_of(*snapshots, snap("1m", T2008 + 35 * MINUTE, MINUTE, "rock", 1, 1.0))
    popularity = board.popularity("1h", Metric.PLAYS)
    assert (popularity.window_start_ms, popularity.window_end_ms) == (T2008 - 20 * MINUTE, T2008 + 40 * MINUTE)
    assert [(g.genre, g.plays) for g in popularity.genres] == [("rock", 96)]
    board.apply(snap("1m", T2008 + 45 * MINUTE, MINUTE, "rock", 1, 1.0))   # now 06:45: [05:40, 06:40) has ended
    assert board.current_start("1h") == T2008 - 10 * MINUTE


def test_ended_windows_are_dropped_but_the_newest_is_kept_when_none_holds_now() -> None:
    board = board_of(snap("1h", T2008, HOUR, "jazz", 3, 6.0, (("t1", 3, 6.0),)),
                     snap("1m", T2008 + 3 * HOUR, MINUTE, "rock", 1, 2.0))
    popularity = board.popularity("1h", Metric.PLAYS)    # nothing holds 09:00 in 1h: show the last hour seen
    assert (popularity.window_start_ms, [g.genre for g in popularity.genres]) == (T2008, ["jazz"])
    board.apply(snap("1h", T2008 + 3 * HOUR, HOUR, "jazz", 1, 1.0))
    assert board.popularity("1h", Metric.PLAYS).window_start_ms == T2008 + 3 * HOUR
    assert board.top_tracks("1h", "jazz", n=5).tracks == ()      # the old start was dropped with its tracks


def test_top_tracks_per_genre() -> None:
    tracks = (("a", 9, 20.0), ("b", 5, 11.0), ("c", 1, 3.5))
    board = board_of(snap("1d", T2008, 24 * HOUR, "rock", 15, 34.5, tracks),
                     snap("1d", T2008, 24 * HOUR, "jazz", 1, 1.0))
    result = board.top_tracks("1d", "rock", n=2)
    assert result.tracks == (TrackCount("a", 9, 20.0), TrackCount("b", 5, 11.0))
    assert (result.plays, result.minutes, result.window_start_ms) == (15, 34.5, T2008)
    assert [len(g.top_tracks) for g in board.popularity("1d", Metric.PLAYS, top_n=1).genres] == [1, 0]
    with pytest.raises(UnknownGenreError, match=r"'blues'.*genres with trends: jazz, rock"):
        board.top_tracks("1d", "blues", n=3)


def test_a_genre_without_plays_in_the_current_window_has_no_tracks() -> None:
    board = board_of(snap("1m", T2008, MINUTE, "jazz", 2, 2.0, (("j", 2, 2.0),)),
                     snap("1m", T2008 + MINUTE, MINUTE, "rock", 1, 1.0))
    result = board.top_tracks("1m", "jazz", n=3)
    assert (result.plays, result.tracks, result.window_start_ms) == (0, (), T2008 + MINUTE)


def test_windows_valid_before_data_and_as_seen() -> None:
    board = TrendBoard()
    assert board.windows() == ["1m", "1h", "1d"]
    empty = board.popularity("1h", Metric.MINUTES)
    assert (empty.genres, empty.window_start_ms, empty.now_ms) == ((), None, None)
    board.apply(snap("5m", T2008, 5 * MINUTE, "rock", 1, 1.0))
    assert board.windows() == ["1m", "5m", "1h", "1d"]
    with pytest.raises(UnknownWindowError, match="unknown window '2h'; valid windows: 1m, 5m, 1h, 1d"):
        board.popularity("2h", Metric.PLAYS)


def test_a_resend_changes_nothing_and_a_new_total_does() -> None:
    board = board_of(snap("1m", T2008, MINUTE, "rock", 1, 1.0))
    assert board.version == 1
    assert not board.apply(snap("1m", T2008, MINUTE, "rock", 1, 1.0))
    assert board.version == 1
    assert board.apply(snap("1m", T2008, MINUTE, "rock", 2, 2.5))
    assert (board.version, board.popularity("1m", Metric.PLAYS).genres[0].plays) == (2, 2)


@pytest.mark.parametrize("bad", [TrendSnapshot(window="", genre="rock", window_start_ms=0, window_end_ms=1),
                                 TrendSnapshot(window="1m", genre="", window_start_ms=0, window_end_ms=1),
                                 TrendSnapshot(window="1m", genre="rock", window_start_ms=5, window_end_ms=5)])
def test_snapshots_that_cannot_be_placed_are_refused(bad: TrendSnapshot) -> None:
    with pytest.raises(InvalidSnapshotError):
        TrendBoard().apply(bad)


def test_a_tombstone_forgets_its_window_and_genre() -> None:
    feed = TrendFeed()
    feed.handle("1m/rock", snap("1m", T2008, MINUTE, "rock", 1, 1.0))
    feed.handle("1m/jazz", snap("1m", T2008, MINUTE, "jazz", 2, 1.0))
    assert feed.handle("1m/rock", None)
    assert [g.genre for g in feed.board.popularity("1m", Metric.PLAYS).genres] == ["jazz"]
    assert not feed.handle("1m/rock", None)
    with pytest.raises(InvalidSnapshotError, match="<window>/<genre>"):
        feed.handle("garbage", None)


def test_records_are_decoded_and_bad_bytes_refused() -> None:
    feed = TrendFeed()
    feed.on_record("1m/rock", codec_for(TrendSnapshot).encode(snap("1m", T2008, MINUTE, "rock", 3, 6.0)))
    assert [(g.genre, g.plays) for g in feed.board.popularity("1m", Metric.PLAYS).genres] == [("rock", 3)]
    with pytest.raises(CodecError):             # the read model sends it to dead letters and goes on
        feed.on_record("1m/rock", b"\xff\xff")
    feed.on_record("1m/rock", None)
    assert feed.board.popularity("1m", Metric.PLAYS).genres == ()


async def test_subscriptions_wake_once_per_burst_and_leave_when_done() -> None:
    feed = TrendFeed()
    async with feed.subscribe() as first, feed.subscribe() as second:
        assert feed.subscribers == 2
        assert not await first.wait(timeout_s=0.01)                 # nothing changed yet
        for plays in range(1, 50):
            feed.handle("1m/rock", snap("1m", T2008, MINUTE, "rock", plays, 1.0))
        assert await first.wait(timeout_s=1.0)
        assert not await first.wait(timeout_s=0.01)                 # the burst woke it once
        assert await second.wait(timeout_s=1.0)
        feed.handle("1m/rock", snap("1m", T2008, MINUTE, "rock", 49, 1.0))   # a resend: no wake-up
        assert not await second.wait(timeout_s=0.01)
        feed.close()
        assert await first.wait(timeout_s=1.0) and first.closed
    assert feed.subscribers == 0


async def test_a_cancelled_client_is_unsubscribed() -> None:
    feed = TrendFeed()
    entered = asyncio.Event()

    async def client() -> None:
        async with feed.subscribe() as subscription:
            entered.set()
            await subscription.wait(timeout_s=60.0)

    task = asyncio.create_task(client())
    await entered.wait()
    assert feed.subscribers == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert feed.subscribers == 0


@given(st.lists(st.tuples(st.sampled_from(["rock", "jazz", "pop", "folk"]), st.integers(0, 1000),
                          st.floats(0, 1e4, allow_nan=False)), min_size=1, max_size=12),
       st.sampled_from(list(Metric)))
def test_popularity_is_ordered_and_shares_sum_to_one(rows: list[tuple[str, int, float]], metric: Metric) -> None:
    board = board_of(*(snap("1m", T2008, MINUTE, g, p, m) for g, p, m in rows))
    genres = board.popularity("1m", metric).genres
    values = [g.plays if metric is Metric.PLAYS else g.minutes for g in genres]
    assert values == sorted(values, reverse=True)
    assert len({g.genre for g in genres}) == len(genres) == len({g for g, _, _ in rows})
    if sum(values) > 0:
        assert sum(g.share for g in genres) == pytest.approx(1.0)
    else:
        assert all(g.share == 0.0 for g in genres)
