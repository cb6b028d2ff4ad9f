"""Event-time windows and the late-event policy: which windows hold an event, and when a window stops taking them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botify_core.proto.botify.v1.stream_pb2 import TrendDelta
from botify_recommender.trends import TrendPartials
from botify_recommender.windows import WindowSpec, is_open, parse_duration, parse_windows

SPECS = [WindowSpec("1m", 60_000, 60_000), WindowSpec("1h", 3_600_000, 600_000), WindowSpec("1d", 86_400_000,
                                                                                              3_600_000)]


def per_window(deltas: list[TrendDelta]) -> dict[tuple[str, int], tuple[int, int]]:
    """(window, start) -> (plays, ms): each delta's run spread over the windows it covers."""
    specs = {s.name: s for s in SPECS}
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    for d in deltas:
        for start in specs[d.window].run(d.window_start_ms, d.last_window_start_ms):
            plays, ms = counts.get((d.window, start), (0, 0))
            counts[(d.window, start)] = (plays + d.plays, ms + d.ms_played)
    return counts


@given(t=st.integers(0, 2**41), spec=st.sampled_from(SPECS))
def test_an_event_is_in_exactly_the_windows_that_contain_it(t: int, spec: WindowSpec) -> None:
    starts = list(spec.starts(t))
    assert len(starts) == spec.size_ms // spec.step_ms
    assert all(s <= t < s + spec.size_ms and s % spec.step_ms == 0 for s in starts)
    # the window before the first and after the last do not hold it
    assert starts[0] - spec.step_ms + spec.size_ms <= t < starts[-1] + spec.step_ms


@given(st.lists(st.tuples(st.integers(0, 3 * 3_600_000), st.sampled_from("ab")), max_size=80),
       st.integers(0, 1_800_000))
def test_the_counts_are_those_of_the_policy_applied_window_by_window(events: list[tuple[int, str]], grace: int) -> None:
    """The batch-friendly fold (runs of windows) counts exactly what the policy says, event by event, window by
    window: every window holding the event that is still open when the event arrives."""
    partials = TrendPartials(SPECS[:2], grace_ms=grace)
    expected: dict[tuple[str, int], int] = {}
    late = 0
    watermark = -(2**62)
    for t, track in events:
        partials.add(t_ms=t, genres=("rock",), track_id=track, ms_played=t % 1000)
        watermark = max(watermark, t)
        for spec in SPECS[:2]:
            for start in range((t - spec.size_ms) // spec.step_ms * spec.step_ms, t + 1, spec.step_ms):
                if start <= t < start + spec.size_ms:
                    if is_open(spec, start, watermark, grace):
                        expected[(spec.name, start)] = expected.get((spec.name, start), 0) + 1
                    else:
                        late += 1
    assert {k: plays for k, (plays, _) in per_window(partials.take_deltas()).items()} == expected
    assert partials.late == late


def test_window_edges_belong_to_the_window_that_starts_there() -> None:
    minute = SPECS[0]
    assert list(minute.starts(60_000)) == [60_000]
    assert list(minute.starts(59_999)) == [0]
    assert list(SPECS[1].starts(3_600_000)) == [600_000 * k for k in range(1, 7)]


def test_a_window_takes_events_until_the_watermark_reaches_end_plus_grace() -> None:
    minute = SPECS[0]
    assert is_open(minute, 0, watermark_ms=60_000 + 29_999, grace_ms=30_000)
    assert not is_open(minute, 0, watermark_ms=60_000 + 30_000, grace_ms=30_000)
    assert not is_open(minute, 0, watermark_ms=60_000, grace_ms=0)


def test_late_events_count_in_open_windows_only_and_are_counted_as_late() -> None:
    partials = TrendPartials(SPECS[:2], grace_ms=30_000)
    partials.add(t_ms=200_000, genres=("rock",), track_id="a", ms_played=1_000)
    partials.add(t_ms=150_000, genres=("rock",), track_id="b", ms_played=2_000)   # 50 s late: 1m window [120, 180) open
    partials.add(t_ms=100_000, genres=("rock",), track_id="c", ms_played=4_000)   # 100 s late: [60, 120) closed
    deltas = per_window(partials.take_deltas())
    assert deltas[("1m", 180_000)] == (1, 1_000)
    assert deltas[("1m", 120_000)] == (1, 2_000)
    assert ("1m", 60_000) not in deltas
    assert deltas[("1h", 0)] == (3, 7_000)          # the hour is open for all three
    assert partials.late == 1
    assert partials.take_deltas() == []             # taken once


def test_replays_of_old_data_land_in_old_windows() -> None:
    partials = TrendPartials(SPECS[:1], grace_ms=0)
    t_2008 = 1_228_716_814_000
    partials.add(t_ms=t_2008, genres=("jazz",), track_id="x", ms_played=60_000)
    (delta,) = partials.take_deltas()
    assert delta.window_start_ms == t_2008 - t_2008 % 60_000 and delta.window_end_ms == delta.window_start_ms + 60_000


@pytest.mark.parametrize("text", ["", "1m,1m", "0m", "1h:7m", "1m:1h", "1x", "1h:10m:1m"])
def test_bad_window_settings_are_refused_with_the_format(text: str) -> None:
    with pytest.raises(ValueError):
        parse_windows(text)


def test_window_settings_parse() -> None:
    assert parse_windows("1m, 1h:10m") == (WindowSpec("1m", 60_000, 60_000), WindowSpec("1h", 3_600_000, 600_000))
    assert parse_duration("250ms") == 250
