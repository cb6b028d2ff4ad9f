"""User state: recent history, current session, decayed genre affinity and skip rate, published to ``user-state``.

Pure core: :func:`apply_listen` folds one listen into a :class:`~botify_core.proto.botify.v1.stream_pb2.UserProfile`.
Affinity per genre is the decayed sum of the signed feedback weights (:mod:`botify_recommender.feedback`), published
divided by the decayed sum of their absolute values, hence in [-1, 1]; the skip rate is decayed skips over decayed
listens. Decay is by event time (half-life a setting), so out-of-order events give the same result. A session ends
after a pause longer than ``session_gap_ms`` (or when the event carries another ``session_id``).

Within a session, each listen that follows another and is not a skip is a transition ``previous -> this``; the stage
sends the flush's transitions, decayed, to ``transition-deltas`` (see :mod:`botify_recommender.transitions`).

The stage publishes a changed user at most every ``user_state_debounce_ms`` (and once more after a restore, since a
publication may have been due when the previous owner stopped). Factors come from the stage named ``models`` on
the same partition when it offers :class:`UserFactorSource`; the cluster id from a :class:`Clusterer`.

>>> from botify_core.proto.botify.v1.listen_pb2 import ListenKind
>>> from botify_recommender.settings import RecommenderSettings
>>> rules = UserRules.from_settings(RecommenderSettings())
>>> profile = UserProfile()
>>> apply_listen(profile, "t1", ("rock",), 1_000, 0.9, ListenKind.LISTEN_KIND_PLAY, "", rules)
>>> apply_listen(profile, "t2", ("jazz",), 2_000, 0.1, ListenKind.LISTEN_KIND_PLAY, "", rules)  # a skip
>>> apply_listen(profile, "t3", ("rock",), 3_000, 1.0, ListenKind.LISTEN_KIND_PLAY, "", rules)  # follows t2
't2'
>>> [r.track_id for r in profile.recent], round(skip_rate(profile), 2), affinity(profile)
(['t3', 't2', 't1'], 0.33, {'rock': 0.8, 'jazz': -0.2})
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from botify_core.proto.botify.v1.models_pb2 import RecentListen, UserState
from botify_core.proto.botify.v1.stream_pb2 import (
    DecayedWeight,
    RecentPlay,
    StateEntry,
    TransitionDelta,
    UserProfile,
)
from botify_core.topics import Topic
from botify_recommender import decay
from botify_recommender.feedback import FeedbackRules
from botify_recommender.settings import RecommenderSettings
from botify_recommender.stages import Emit, Listen, PartitionContext


@runtime_checkable
class UserFactorSource(Protocol):
    """Offered by the models stage: a user's latest factors, or None before the user's first update."""

    model_version: str

    def user_factors(self, user_id: str) -> Sequence[float] | None: ...


class Clusterer(Protocol):
    """Online clustering of taste vectors (genre affinity): learn from the vector, return its cluster."""

    def learn_predict(self, user_id: str, affinity: dict[str, float]) -> int: ...


@dataclass(frozen=True, slots=True)
class UserRules:
    feedback: FeedbackRules
    recent_size: int
    session_gap_ms: int
    half_life_ms: int

    @classmethod
    def from_settings(cls, s: RecommenderSettings) -> UserRules:
        return cls(FeedbackRules.from_settings(s), s.recent_size, s.session_gap_ms, s.affinity_half_life_ms)


def apply_listen(profile: UserProfile, track_id: str, genres: Sequence[str], t_ms: int, fraction: float,
                 kind: int, session_id: str, rules: UserRules) -> str | None:
    """Fold one listen into the profile; return the track it follows in the session (a transition), if any."""
    new_session = (profile.listens == 0 or abs(t_ms - profile.last_event_ms) > rules.session_gap_ms
                   or (session_id != "" and session_id != profile.session_id))
    previous = profile.recent[0].track_id if profile.recent and not new_session else None
    if previous is not None and t_ms < profile.recent[0].event_time_ms:
        previous = None                        # out of order: not a succession we can place
    if new_session:
        profile.session_id = session_id or f"s{t_ms}"
        profile.session_started_ms = t_ms
    profile.last_event_ms = max(profile.last_event_ms, t_ms)

    weight = rules.feedback.weight(kind, fraction)
    skipped = rules.feedback.is_skip(kind, fraction)
    ref = max(profile.affinity_ref_ms, t_ms)
    scaled = decay.rescale(dict(profile.affinity), profile.affinity_ref_ms, ref, rules.half_life_ms)
    f = decay.factor(t_ms, ref, rules.half_life_ms)
    for genre in genres:
        scaled[genre] = scaled.get(genre, 0.0) + weight * f / len(genres)
    old = decay.factor(profile.affinity_ref_ms, ref, rules.half_life_ms)
    profile.skip_weight = profile.skip_weight * old + skipped * f
    profile.listen_weight = profile.listen_weight * old + f
    profile.affinity_ref_ms = ref
    profile.affinity.clear()
    profile.affinity.update(scaled)
    profile.listens += 1

    recent = [*profile.recent, RecentPlay(track_id=track_id, event_time_ms=t_ms, fraction=fraction)]
    recent.sort(key=lambda r: -r.event_time_ms)
    del profile.recent[:]
    profile.recent.extend(recent[:rules.recent_size])
    return previous if not skipped else None


def affinity(profile: UserProfile, digits: int = 4) -> dict[str, float]:
    total = sum(abs(v) for v in profile.affinity.values())
    return {g: round(v / total, digits) for g, v in profile.affinity.items()} if total > 0 else {}


def skip_rate(profile: UserProfile) -> float:
    return profile.skip_weight / profile.listen_weight if profile.listen_weight > 0 else 0.0


class UserStateState:
    def __init__(self, context: PartitionContext, clusterer: Clusterer | None) -> None:
        settings = context.settings
        self.rules = UserRules.from_settings(settings)
        self.debounce_ms = settings.user_state_debounce_ms
        self.half_life_transitions = settings.transitions_half_life_ms
        self.peers = context.peers
        self.clusterer = clusterer
        self.users: dict[str, UserProfile] = {}
        self._changed: set[str] = set()
        self._unpublished: set[str] = set()
        self._published_at: dict[str, int] = {}
        self._transitions: dict[str, tuple[dict[str, float], int]] = {}

    def restore(self, key: str, entry: StateEntry) -> None:
        self.users[key] = entry.user
        self._unpublished.add(key)

    def fold(self, batch: Sequence[Listen], out: list[Emit]) -> None:
        for listen in batch:
            profile = self.users.get(listen.user_id)
            if profile is None:
                profile = self.users[listen.user_id] = UserProfile(cluster_id=-1)
            previous = apply_listen(profile, listen.track_id, listen.genres, listen.time_ms, listen.fraction,
                                    listen.kind, listen.event.session_id, self.rules)
            if previous is not None:
                weights, ref = self._transitions.get(previous, ({}, listen.time_ms))
                value, ref2 = decay.add(weights.get(listen.track_id, 0.0), ref, listen.time_ms, 1.0,
                                        self.half_life_transitions)
                if ref2 != ref:
                    weights = decay.rescale(weights, ref, ref2, self.half_life_transitions)
                weights[listen.track_id] = value
                self._transitions[previous] = (weights, ref2)
            self._changed.add(listen.user_id)
            self._unpublished.add(listen.user_id)

    def _factors(self) -> tuple[Callable[[str], Sequence[float] | None], str]:
        models: object = self.peers.get("models")
        if isinstance(models, UserFactorSource):
            return models.user_factors, models.model_version
        return (lambda _user: None), ""

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        for track, (weights, ref) in self._transitions.items():
            out.append(Emit(Topic.TRANSITION_DELTAS, track, TransitionDelta(
                track_id=track, ref_time_ms=ref,
                successors=[DecayedWeight(track_id=t, weight=w) for t, w in weights.items()])))
        self._transitions.clear()
        due = [u for u in self._unpublished if now_ms - self._published_at.get(u, -(2**62)) >= self.debounce_ms]
        if not due:
            return
        factors, version = self._factors()
        for user_id in due:
            profile = self.users[user_id]
            taste = affinity(profile)
            if self.clusterer is not None:
                profile.cluster_id = self.clusterer.learn_predict(user_id, taste)
                self._changed.add(user_id)
            out.append(Emit(Topic.USER_STATE, user_id, UserState(
                user_id=user_id, factors=factors(user_id) or [],
                recent=[RecentListen(track_id=r.track_id, event_time_ms=r.event_time_ms, fraction=r.fraction)
                        for r in profile.recent],
                genre_affinity=taste, cluster_id=profile.cluster_id, listens=profile.listens,
                skip_rate=skip_rate(profile), model_version=version, updated_at_ms=now_ms)))
            self._published_at[user_id] = now_ms
            self._unpublished.discard(user_id)

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {u: StateEntry(user=self.users[u]) for u in self._changed}
        self._changed.clear()
        return result


class UserStateStage:
    name = "user-state"
    source = Topic.LISTENS

    def __init__(self, clusterer: Callable[[], Clusterer] | None = None) -> None:
        self.clusterer = clusterer

    def open(self, partition: int, context: PartitionContext) -> UserStateState:
        return UserStateState(context, self.clusterer() if self.clusterer is not None else None)
