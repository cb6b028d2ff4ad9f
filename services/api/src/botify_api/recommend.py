"""One recommendation: ask every source of the user's experiment arm, blend, and say what was left out.

The request path reads the read model and the vector store only. A source that reports a problem, raises, or
feeds on a stale user state is listed in ``degraded`` and the answer goes on with the others; it never fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from botify_api import metrics
from botify_api.blend import BlendedItem, BlendRules, Facts, TrackFacts, blend, skipped_artists
from botify_api.candidate_cache import CandidateCache
from botify_api.experiments import Arm, Experiment
from botify_api.sources import Candidate, CandidateSource, Query, World
from botify_core.ids import new_id
from botify_core.proto.botify.v1.models_pb2 import UserState

log = logging.getLogger(__name__)

_UNKNOWN = TrackFacts()


@dataclass(frozen=True)
class Request:
    user_id: str
    k: int
    context_track_id: str | None = None
    exclude: frozenset[str] = frozenset()
    genres: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Degraded:
    source: str
    reason: str


@dataclass(frozen=True)
class Recommendation:
    recommendation_id: str
    user_id: str
    items: list[BlendedItem]
    experiment: str
    arm: str
    degraded: list[Degraded]
    model_versions: dict[str, str]
    latency_ms: float
    #: the user has no state yet: trending and audio neighbours of what they just played
    cold_start: bool = False
    sources: list[str] = field(default_factory=list)


class Recommender:
    def __init__(self, world: World, sources: Mapping[str, CandidateSource], experiment: Experiment) -> None:
        self.world = world
        self.sources = dict(sources)
        self.experiment = experiment
        # artists a user only skipped, per state history (the catalog's artists change seldom: the cache's age)
        self._avoid: CandidateCache[set[str]] = world.cache()
        self._timers = {name: metrics.SOURCE_SECONDS.labels(source.name) for name, source in self.sources.items()}

    def facts(self, track_id: str) -> Facts:
        """What blending needs of a track: its catalog entry (which derives it once), or no facts at all."""
        return self.world.catalog.get(track_id) or _UNKNOWN

    def recommend(self, request: Request, reported: Sequence[tuple[str, float]] = (),
                  reported_at_ms: int = 0) -> Recommendation:
        """Blend the arm's sources for ``request``; ``reported`` are the user's listens this gateway saw (newest
        first) that ``user-state`` may not hold yet, the latest at ``reported_at_ms``."""
        started = time.perf_counter()
        settings = self.world.settings
        arm = self.experiment.assign(request.user_id)
        user, history, query = self._query(request, reported)
        degraded: list[Degraded] = []
        if user is not None and reported_at_ms and \
                reported_at_ms - int(user.updated_at_ms) > settings.stale_after_s * 1000:
            degraded.append(Degraded("user-state", f"stale: the newest state of {request.user_id} is "
                                                   f"{(reported_at_ms - user.updated_at_ms) / 1000:.0f} s older "
                                                   "than their latest listen"))
        ranked: dict[str, Sequence[Candidate]] = {}
        for name in arm.sources or tuple(self.sources):
            ranked_or_problem = self._ask(name, query)
            if isinstance(ranked_or_problem, str):
                degraded.append(Degraded(name, ranked_or_problem))
                metrics.DEGRADED.labels(name).inc()
            else:
                ranked[name] = ranked_or_problem
        drop_heard = arm.drop_heard if arm.drop_heard is not None else settings.drop_heard
        # heard: the user's history and the context track, which query.recent holds
        drop = set(request.exclude).union(query.recent) if drop_heard else set(request.exclude)
        avoid = self._skipped_artists(request.user_id, history, bool(reported))
        items = blend(ranked, request.k, self.rules(arm), self.facts, drop, request.genres, avoid)
        versions = {}
        if user is not None and user.model_version:
            versions["cf"] = user.model_version
        seed = next((info for t in query.recent if (info := self.world.catalog.get(t)) and info.embedding_version),
                    None)
        if seed is not None:
            versions["audio"] = seed.embedding_version
        metrics.SERVED.labels(arm.name).inc()
        return Recommendation(new_id(), request.user_id, items, self.experiment.name, arm.name, degraded, versions,
                              (time.perf_counter() - started) * 1000, cold_start=user is None,
                              sources=list(ranked))

    def _query(self, request: Request, reported: Sequence[tuple[str, float]]) \
            -> tuple[UserState | None, Sequence[tuple[str, float]], Query]:
        """The user's state, their history (newest first: ``reported``, then their state's) and the sources' query."""
        users = self.world.users
        user = users.get(request.user_id)
        known = users.histories.get(request.user_id, ())
        history = [*reported, *known] if reported else known
        if reported or request.context_track_id:
            recent = ([request.context_track_id] if request.context_track_id else []) + [t for t, _ in history]
            recent_ids = tuple(dict.fromkeys(recent))
        else:
            recent_ids = users.recent_ids.get(request.user_id, ())
        return user, history, Query(request.user_id, user, self.world.settings.candidates_per_source,
                                    request.context_track_id, recent_ids, request.genres)

    def _skipped_artists(self, user_id: str, history: Sequence[tuple[str, float]], reported: bool) -> set[str]:
        """:func:`~botify_api.blend.skipped_artists` of the history, kept per user state when nothing was reported."""
        found = None if reported else self._avoid.get(user_id, (history,))
        if found is None:
            found = skipped_artists(history, lambda t: self.facts(t).artist_id, self.world.settings.skip_fraction)
            if not reported:
                self._avoid.put(user_id, (history,), found)
        return found

    def warm(self, user_id: str) -> None:
        """Ask the user's sources what a plain request would, so that the answers the candidate cache keeps
        (:mod:`botify_api.candidate_cache`) are there before the user asks."""
        _, _, query = self._query(Request(user_id, self.world.settings.default_k), ())
        for name in self.experiment.assign(user_id).sources or tuple(self.sources):
            self._ask(name, query)

    def rules(self, arm: Arm) -> BlendRules:
        settings = self.world.settings
        return BlendRules(weights=settings.weights | arm.weights, rrf_k=settings.rrf_k,
                          max_per_artist=arm.max_per_artist or settings.max_per_artist,
                          genre_penalty=arm.genre_penalty if arm.genre_penalty is not None else settings.genre_penalty)

    def _ask(self, name: str, query: Query) -> Sequence[Candidate] | str:
        """The candidates of the source registered as ``name``, or why it gave none."""
        source = self.sources[name]
        started = time.perf_counter()
        try:
            problem = source.problem()
            if problem:
                return problem
            return source.candidates(query)
        except Exception as exc:  # a failing source degrades the answer, it never fails it
            log.warning("source %s failed: %s: %s", source.name, type(exc).__name__, exc)
            return f"failed: {type(exc).__name__}: {exc}"
        finally:
            self._timers[name].observe(time.perf_counter() - started)
