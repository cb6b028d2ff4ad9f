"""User state: recent history, current session, decayed genre affinity and skip rate, published to ``user-state``.

Pure core: :func:`apply_listen` folds one listen into a :class:`Profile` (plain Python; protobuf in the changelog).
Affinity per genre is the decayed sum of the signed feedback weights (:mod:`botify_recommender.feedback`), published
divided by the decayed sum of their absolute values, hence in [-1, 1]; the skip rate is decayed skips over decayed
listens. Decay is by event time (half-life a setting), so out-of-order events give the same result. A session ends
after a pause longer than ``session_gap_ms`` (or when the event carries another ``session_id``).

Within a session, each listen that follows another and is not a skip is a transition ``previous -> this``; the stage
sends the flush's transitions, decayed, to ``transition-deltas`` (see :mod:`botify_recommender.transitions`).

The stage publishes a changed user at most every ``user_state_debounce_ms`` (and once more after a restore, since a
publication may have been due when the previous owner stopped). Factors come from the stage named ``models`` on
the same partition when it offers :class:`UserFactorSource`; the cluster id from the stage named ``taste-clusters``
when it offers :class:`TasteClusterer` (see :mod:`botify_recommender.taste_clusters`).

>>> from botify_core.proto.botify.v1.listen_pb2 import ListenKind
>>> from botify_recommender.settings import RecommenderSettings
>>> rules = UserRules.from_settings(RecommenderSettings())
>>> profile = Profile()
>>> apply_listen(profile, "t1", ("rock",), 1_000, 0.9, ListenKind.LISTEN_KIND_PLAY, "", rules)
>>> apply_listen(profile, "t2", ("jazz",), 2_000, 0.1, ListenKind.LISTEN_KIND_PLAY, "", rules)  # a skip
>>> apply_listen(profile, "t3", ("rock",), 3_000, 1.0, ListenKind.LISTEN_KIND_PLAY, "", rules)  # follows t2
't2'
>>> [r[0] for r in profile.recent], round(skip_rate(profile), 2), affinity(profile)
(['t3', 't2', 't1'], 0.33, {'rock': 0.8, 'jazz': -0.2})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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


@runtime_checkable
class TasteClusterer(Protocol):
    """Offered by the taste-clusters stage: the cluster of a user's genre affinity, learning from it when the user's
    listens (``listens_before`` at their previous publication, ``listens_now``) call for it."""

    def assign(self, affinity: Mapping[str, float], listens_before: int, listens_now: int) -> int: ...


@dataclass(frozen=True, slots=True)
class UserRules:
    feedback: FeedbackRules
    recent_size: int
    session_gap_ms: int
    half_life_ms: int

    @classmethod
    def from_settings(cls, s: RecommenderSettings) -> UserRules:
        return cls(FeedbackRules.from_settings(s), s.recent_size, s.session_gap_ms, s.affinity_half_life_ms)


#: Decayed sums are kept relative to an anchor time, 2 ** ((t - anchor) / half_life) per event, so adding an event
#: touches one entry; the anchor moves (and every entry is rescaled) only when that factor would grow past 2 ** 32.
_REANCHOR_HALF_LIVES = 32


@dataclass(slots=True)
class Profile:
    """What the processor keeps about a user (plain Python in the hot path; protobuf only in the changelog)."""

    #: (track, event time, fraction), newest first; changed only through :meth:`remember`
    recent: list[tuple[str, int, float]] = field(default_factory=list, init=False)
    session_id: str = ""
    session_started_ms: int = 0
    last_event_ms: int = 0
    anchor_ms: int = 0
    affinity: dict[str, float] = field(default_factory=dict)    # sum of weight * 2 ** ((t - anchor) / half-life)
    skip_weight: float = 0.0
    listen_weight: float = 0.0
    listens: int = 0
    cluster_id: int = -1
    #: ``recent`` as the changelog's and ``user-state``'s messages, built once per listen: a flush writes and
    #: publishes every user it changed, and building their 2 x ``recent_size`` messages each time was a third of
    #: the worker's time
    recent_plays: list[RecentPlay] = field(default_factory=list, init=False)
    recent_listens: list[RecentListen] = field(default_factory=list, init=False)

    def remember(self, at: int, track_id: str, t_ms: int, fraction: float, keep: int) -> None:
        """Insert a play into ``recent`` (and its messages) at position ``at``; keep the newest ``keep``."""
        self.recent.insert(at, (track_id, t_ms, fraction))
        self.recent_plays.insert(at, RecentPlay(track_id=track_id, event_time_ms=t_ms, fraction=fraction))
        self.recent_listens.insert(at, RecentListen(track_id=track_id, event_time_ms=t_ms, fraction=fraction))
        del self.recent[keep:], self.recent_plays[keep:], self.recent_listens[keep:]

    def write(self, into: UserProfile) -> None:
        """Fill ``into`` (a changelog entry's ``user``, in place: building a profile and then copying it into the
        entry cost a quarter more)."""
        into.recent.extend(self.recent_plays)
        into.session_id = self.session_id
        into.session_started_ms = self.session_started_ms
        into.last_event_ms = self.last_event_ms
        into.affinity_ref_ms = self.anchor_ms
        into.affinity.update(self.affinity)
        into.skip_weight = self.skip_weight
        into.listen_weight = self.listen_weight
        into.listens = self.listens
        into.cluster_id = self.cluster_id

    def to_proto(self) -> UserProfile:
        profile = UserProfile()
        self.write(profile)
        return profile

    @classmethod
    def from_proto(cls, p: UserProfile) -> Profile:
        profile = cls(p.session_id, p.session_started_ms, p.last_event_ms, p.affinity_ref_ms, dict(p.affinity),
                      p.skip_weight, p.listen_weight, p.listens, p.cluster_id)
        for r in reversed(p.recent):
            profile.remember(0, r.track_id, r.event_time_ms, r.fraction, len(p.recent))
        return profile


def apply_listen(profile: Profile, track_id: str, genres: Sequence[str], t_ms: int, fraction: float,
                 kind: int, session_id: str, rules: UserRules) -> str | None:
    """Fold one listen into the profile; return the track it follows in the session (a transition), if any."""
    new_session = (profile.listens == 0 or abs(t_ms - profile.last_event_ms) > rules.session_gap_ms
                   or (session_id != "" and session_id != profile.session_id))
    recent = profile.recent
    previous = recent[0][0] if recent and not new_session and t_ms >= recent[0][1] else None
    if new_session:
        profile.session_id = session_id or f"s{t_ms}"
        profile.session_started_ms = t_ms
    profile.last_event_ms = max(profile.last_event_ms, t_ms)

    if profile.listens == 0:
        profile.anchor_ms = t_ms
    elif t_ms - profile.anchor_ms > _REANCHOR_HALF_LIVES * rules.half_life_ms:
        shrink = decay.factor(profile.anchor_ms, t_ms, rules.half_life_ms)
        profile.affinity = {g: v * shrink for g, v in profile.affinity.items()}
        profile.skip_weight *= shrink
        profile.listen_weight *= shrink
        profile.anchor_ms = t_ms
    grow = 2.0 ** ((t_ms - profile.anchor_ms) / rules.half_life_ms)
    weight = rules.feedback.weight(kind, fraction)
    skipped = rules.feedback.is_skip(kind, fraction)
    share = weight * grow / len(genres)
    affinity = profile.affinity
    for genre in genres:
        affinity[genre] = affinity.get(genre, 0.0) + share
    if skipped:
        profile.skip_weight += grow
    profile.listen_weight += grow
    profile.listens += 1

    at = 0 if not recent or t_ms >= recent[0][1] else \
        next((i for i, r in enumerate(recent) if r[1] <= t_ms), len(recent))
    profile.remember(at, track_id, t_ms, fraction, rules.recent_size)
    return previous if not skipped else None


def affinity(profile: Profile, digits: int = 4) -> dict[str, float]:
    total = sum(abs(v) for v in profile.affinity.values())
    return {g: round(v / total, digits) for g, v in profile.affinity.items()} if total > 0 else {}


def skip_rate(profile: Profile) -> float:
    return profile.skip_weight / profile.listen_weight if profile.listen_weight > 0 else 0.0


def decayed_successors(pairs: Sequence[tuple[str, int]], half_life_ms: int) -> tuple[dict[str, float], int]:
    """(successor, event time) pairs -> their decayed counts at the newest time, and that time.

    >>> decayed_successors([("a", 0), ("a", 1000), ("b", 1000)], half_life_ms=1000)
    ({'a': 1.5, 'b': 1.0}, 1000)
    """
    ref = max(t for _, t in pairs)
    weights: dict[str, float] = {}
    for track, t in pairs:
        weights[track] = weights.get(track, 0.0) + decay.factor(t, ref, half_life_ms)
    return weights, ref


class UserStateState:
    def __init__(self, context: PartitionContext) -> None:
        settings = context.settings
        self.rules = UserRules.from_settings(settings)
        self.debounce_ms = settings.user_state_debounce_ms
        self.half_life_transitions = settings.transitions_half_life_ms
        self.peers = context.peers
        self.users: dict[str, Profile] = {}
        self._changed: set[str] = set()
        self._unpublished: set[str] = set()
        self._published_at: dict[str, int] = {}
        self._listens_published: dict[str, int] = {}   # a user's listens at their previous publication
        self._successions: dict[str, list[tuple[str, int]]] = {}

    def restore(self, key: str, entry: StateEntry) -> None:
        self.users[key] = Profile.from_proto(entry.user)
        self._listens_published[key] = self.users[key].listens
        self._unpublished.add(key)

    def fold(self, batch: Sequence[Listen], out: list[Emit]) -> None:
        for listen in batch:
            event = listen.event
            profile = self.users.get(event.user_id)
            if profile is None:
                profile = self.users[event.user_id] = Profile()
            previous = apply_listen(profile, event.track_id, listen.genres, event.event_time_ms, listen.fraction,
                                    event.kind, event.session_id, self.rules)
            if previous is not None:
                self._successions.setdefault(previous, []).append((event.track_id, event.event_time_ms))
            self._changed.add(event.user_id)
            self._unpublished.add(event.user_id)

    def _factors(self) -> tuple[Callable[[str], Sequence[float] | None], str]:
        models: object = self.peers.get("models")
        if isinstance(models, UserFactorSource):
            return models.user_factors, models.model_version
        return (lambda _user: None), ""

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        for track, pairs in self._successions.items():
            weights, ref = decayed_successors(pairs, self.half_life_transitions)
            out.append(Emit(Topic.TRANSITION_DELTAS, track, TransitionDelta(
                track_id=track, ref_time_ms=ref,
                successors=[DecayedWeight(track_id=t, weight=w) for t, w in weights.items()])))
        self._successions.clear()
        due = sorted(u for u in self._unpublished   # sorted: a seeded model sees users in a reproducible order
                     if now_ms - self._published_at.get(u, -(2**62)) >= self.debounce_ms)
        if not due:
            return
        factors, version = self._factors()
        clusters: object = self.peers.get("taste-clusters")
        clusterer = clusters if isinstance(clusters, TasteClusterer) else None  # once: a protocol check is slow
        for user_id in due:
            profile = self.users[user_id]
            taste = affinity(profile)
            if clusterer is not None:
                cluster = clusterer.assign(taste, self._listens_published.get(user_id, 0), profile.listens)
                if cluster != profile.cluster_id:
                    profile.cluster_id = cluster
                    self._changed.add(user_id)
                self._listens_published[user_id] = profile.listens
            out.append(Emit(Topic.USER_STATE, user_id, UserState(
                user_id=user_id, factors=factors(user_id) or [],
                recent=profile.recent_listens,
                genre_affinity=taste, cluster_id=profile.cluster_id, listens=profile.listens,
                skip_rate=skip_rate(profile), model_version=version, updated_at_ms=now_ms)))
            self._published_at[user_id] = now_ms
            self._unpublished.discard(user_id)

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {}
        for user_id in self._changed:
            result[user_id] = entry = StateEntry()
            self.users[user_id].write(entry.user)
        self._changed.clear()
        return result


class UserStateStage:
    name = "user-state"
    source = Topic.LISTENS

    def open(self, partition: int, context: PartitionContext) -> UserStateState:
        return UserStateState(context)
