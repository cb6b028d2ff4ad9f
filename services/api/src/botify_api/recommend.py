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
from botify_api.blend import BlendedItem, BlendRules, TrackFacts, blend, skipped_artists
from botify_api.catalog import TrackInfo
from botify_api.experiments import Arm, Experiment
from botify_api.sources import Candidate, CandidateSource, Query, World
from botify_core.ids import new_id

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
        self._facts: dict[str, tuple[TrackInfo, TrackFacts]] = {}

    def facts(self, track_id: str) -> TrackFacts:
        """What blending needs of a track, kept per catalog entry (a new entry replaces an updated track)."""
        info = self.world.catalog.get(track_id)
        if info is None:
            return _UNKNOWN
        known = self._facts.get(track_id)
        if known is not None and known[0] is info:
            return known[1]
        facts = TrackFacts(info.artist_id, frozenset(info.all_genres), info.main_genre)
        self._facts[track_id] = (info, facts)
        return facts

    def recommend(self, request: Request, reported: Sequence[tuple[str, float]] = (),
                  reported_at_ms: int = 0) -> Recommendation:
        """Blend the arm's sources for ``request``; ``reported`` are the user's listens this gateway saw (newest
        first) that ``user-state`` may not hold yet, the latest at ``reported_at_ms``."""
        started = time.perf_counter()
        settings = self.world.settings
        arm = self.experiment.assign(request.user_id)
        user = self.world.users.get(request.user_id)
        history = list(reported) + ([(r.track_id, float(r.fraction)) for r in user.recent] if user else [])
        recent = ([request.context_track_id] if request.context_track_id else []) + [t for t, _ in history]
        query = Query(request.user_id, user, settings.candidates_per_source, request.context_track_id,
                      tuple(dict.fromkeys(recent)), request.genres)
        degraded: list[Degraded] = []
        if user is not None and reported_at_ms and \
                reported_at_ms - int(user.updated_at_ms) > settings.stale_after_s * 1000:
            degraded.append(Degraded("user-state", f"stale: the newest state of {request.user_id} is "
                                                   f"{(reported_at_ms - user.updated_at_ms) / 1000:.0f} s older "
                                                   "than their latest listen"))
        ranked: dict[str, list[Candidate]] = {}
        for name in arm.sources or tuple(self.sources):
            ranked_or_problem = self._ask(self.sources[name], query)
            if isinstance(ranked_or_problem, str):
                degraded.append(Degraded(name, ranked_or_problem))
                metrics.DEGRADED.labels(name).inc()
            else:
                ranked[name] = ranked_or_problem
        drop_heard = arm.drop_heard if arm.drop_heard is not None else settings.drop_heard
        drop = set(request.exclude) | ({t for t, _ in history} if drop_heard else set())
        if request.context_track_id and drop_heard:
            drop.add(request.context_track_id)
        avoid = skipped_artists(history, lambda t: self.facts(t).artist_id, settings.skip_fraction)
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

    def rules(self, arm: Arm) -> BlendRules:
        settings = self.world.settings
        return BlendRules(weights=settings.weights | arm.weights, rrf_k=settings.rrf_k,
                          max_per_artist=arm.max_per_artist or settings.max_per_artist,
                          genre_penalty=arm.genre_penalty if arm.genre_penalty is not None else settings.genre_penalty)

    def _ask(self, source: CandidateSource, query: Query) -> list[Candidate] | str:
        """The source's candidates, or why it gave none."""
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
            metrics.SOURCE_SECONDS.labels(source.name).observe(time.perf_counter() - started)
