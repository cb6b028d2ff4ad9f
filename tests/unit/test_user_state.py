"""User state: feedback weights, decayed affinity and skip rate, sessions, recent history, and the stage's
publication and changelog."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.topics import Topic
from botify_recommender.catalog import Catalog
from botify_recommender.feedback import FeedbackRules
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Listen, PartitionContext
from botify_recommender.user_state import Profile, UserRules, UserStateStage, affinity, apply_listen, skip_rate

SETTINGS = RecommenderSettings(affinity_half_life_ms=1_000, session_gap_ms=10_000, recent_size=3,
                               user_state_debounce_ms=500)
RULES = UserRules.from_settings(SETTINGS)
PLAY, SKIP, LIKE, DISLIKE = (ListenKind.LISTEN_KIND_PLAY, ListenKind.LISTEN_KIND_SKIP, ListenKind.LISTEN_KIND_LIKE,
                             ListenKind.LISTEN_KIND_DISLIKE)


def test_skips_are_negative_and_completed_plays_and_likes_positive() -> None:
    rules = FeedbackRules()
    assert rules.weight(PLAY, 0.1) < 0 and rules.is_skip(PLAY, 0.1)
    assert rules.weight(SKIP, 0.9) < 0 and rules.is_skip(SKIP, 0.9)
    assert rules.weight(PLAY, 0.9) == 1.0 and rules.weight(LIKE, 0.0) == 2.0
    assert 0 < rules.weight(PLAY, 0.5) < 1.0
    assert rules.weight(DISLIKE, 1.0) == -2.0 and not rules.is_skip(DISLIKE, 1.0)


def test_affinity_decays_by_event_time_with_the_half_life() -> None:
    profile = Profile()
    apply_listen(profile, "a", ("rock",), 0, 1.0, PLAY, "", RULES)
    apply_listen(profile, "b", ("jazz",), 1_000, 1.0, PLAY, "", RULES)   # rock has aged one half-life
    assert affinity(profile) == {"rock": round(0.5 / 1.5, 4), "jazz": round(1 / 1.5, 4)}
    apply_listen(profile, "c", ("jazz",), 2_000, 0.05, PLAY, "", RULES)  # a skip: negative
    assert affinity(profile)["jazz"] < round(1 / 1.5, 4)
    assert 0 < skip_rate(profile) < 1


@given(st.permutations([(0, "rock", 0.9), (300, "jazz", 0.1), (700, "pop", 1.0), (1_500, "rock", 0.5)]))
def test_affinity_and_skip_rate_do_not_depend_on_arrival_order(order: list[tuple[int, str, float]]) -> None:
    reference, shuffled = Profile(), Profile()
    for t, genre, fraction in sorted(order):
        apply_listen(reference, f"t{t}", (genre,), t, fraction, PLAY, "s", RULES)
    for t, genre, fraction in order:
        apply_listen(shuffled, f"t{t}", (genre,), t, fraction, PLAY, "s", RULES)
    assert affinity(shuffled) == affinity(reference)
    assert abs(skip_rate(shuffled) - skip_rate(reference)) < 1e-12
    assert [r[0] for r in shuffled.recent] == [r[0] for r in reference.recent] == ["t1500", "t700", "t300"]


def test_sessions_split_on_long_pauses_and_successions_stay_within_them() -> None:
    profile = Profile()
    assert apply_listen(profile, "a", ("rock",), 0, 1.0, PLAY, "", RULES) is None
    assert apply_listen(profile, "b", ("rock",), 5_000, 1.0, PLAY, "", RULES) == "a"
    assert apply_listen(profile, "c", ("rock",), 50_000, 1.0, PLAY, "", RULES) is None   # pause > 10 s: new session
    assert profile.session_started_ms == 50_000
    assert apply_listen(profile, "d", ("rock",), 51_000, 0.01, PLAY, "", RULES) is None  # skipped: not a succession


def test_decay_re_anchors_over_years_without_overflow() -> None:
    profile = Profile()
    for year in range(10):
        apply_listen(profile, "a", ("rock",), year * 365 * 86_400_000, 1.0, PLAY, "", RULES)
    assert affinity(profile) == {"rock": 1.0} and profile.listens == 10


def listen(user: str, track: str, t: int, fraction: float = 1.0) -> Listen:
    event = ListenEvent(event_id=f"{user}{t}", user_id=user, track_id=track, event_time_ms=t,
                        ms_played=int(fraction * 1000), track_duration_ms=1000, kind=PLAY)
    return Listen(event, ("rock",), True, event.ms_played, 1000)


def test_the_stage_publishes_debounced_and_writes_each_changed_user_once_per_flush() -> None:
    state = UserStateStage().open(0, PartitionContext(0, SETTINGS, Catalog()))
    out: list[Emit] = []
    state.fold([listen("u1", "a", 0), listen("u1", "b", 100), listen("u2", "a", 0)], out)
    state.tick(10_000, out)
    published = {e.key: e.value for e in out if e.topic is Topic.USER_STATE}
    assert set(published) == {"u1", "u2"}
    u1 = published["u1"]
    assert isinstance(u1, UserState) and u1.listens == 2 and [r.track_id for r in u1.recent] == ["b", "a"]
    assert [e.key for e in out if e.topic is Topic.TRANSITION_DELTAS] == ["a"]
    assert set(state.changes()) == {"u1", "u2"} and state.changes() == {}
    out.clear()
    state.fold([listen("u1", "c", 200)], out)
    state.tick(10_100, out)                      # within the debounce: not yet
    assert not [e for e in out if e.topic is Topic.USER_STATE]
    state.tick(10_500, out)
    assert [e.key for e in out if e.topic is Topic.USER_STATE] == ["u1"]


def test_the_stage_restores_from_its_changes_and_republishes() -> None:
    context = PartitionContext(0, SETTINGS, Catalog())
    state = UserStateStage().open(0, context)
    state.fold([listen("u1", "a", 0), listen("u1", "b", 100)], [])
    changes = state.changes()
    restored = UserStateStage().open(0, context)
    for key, entry in changes.items():
        assert entry is not None
        restored.restore(key, entry)
    out: list[Emit] = []
    restored.fold([listen("u1", "c", 200)], out)
    restored.tick(0, out)
    (published,) = [e.value for e in out if e.topic is Topic.USER_STATE]
    assert isinstance(published, UserState) and published.listens == 3


@given(st.lists(st.tuples(st.integers(0, 5_000), st.floats(0.0, 1.0)), max_size=12))
def test_the_recent_messages_always_match_the_recent_plays(plays: list[tuple[int, float]]) -> None:
    profile = Profile()
    for n, (t, fraction) in enumerate(plays):
        apply_listen(profile, f"t{n}", ("rock",), t, fraction, PLAY, "s", RULES)
    expected = [(r[0], r[1], r[2]) for r in profile.recent]
    assert len(expected) == min(len(plays), RULES.recent_size)
    stored = profile.to_proto()
    assert [(r.track_id, r.event_time_ms) for r in stored.recent] == [(t, ms) for t, ms, _ in expected]
    assert [r.fraction for r in stored.recent] == pytest.approx([f for _, _, f in expected], abs=1e-6)
    assert [(r.track_id, r.event_time_ms) for r in profile.recent_listens] == [(t, ms) for t, ms, _ in expected]
    restored = Profile.from_proto(stored)
    assert [(t, ms) for t, ms, _ in restored.recent] == [(t, ms) for t, ms, _ in expected]
    assert restored.to_proto() == stored
