"""The candidate-source interface: a source proposes ranked tracks for one request, with a short reason for each.

A source reads the read model (:class:`World`) only. It says why it cannot answer through :meth:`problem` (the
answer then lists it as degraded) or by raising :class:`SourceUnavailableError`; any other exception is also caught by
the recommender and degrades the answer instead of failing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from botify_api import metrics
from botify_api.candidate_cache import CandidateCache
from botify_api.catalog import Catalog
from botify_api.popularity import GenreHeat
from botify_api.read_model import Successors, UserStates
from botify_api.settings import ApiSettings
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.vectors import VectorStore

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Candidate:
    track_id: str
    score: float
    reason: str


class Ranked(tuple[Candidate, ...]):
    """A source's answer: its candidates best first, each track once (a repeat neither counts nor takes a rank),
    and each track's rank from 0 in ``rank``. Kept answers (the vector sources', trending's, popular's) are handed
    out as they are and blended again and again, so what blending needs of one is derived here, once."""

    rank: dict[str, int]

    def __new__(cls, candidates: Iterable[Candidate] = ()) -> Ranked:
        firsts: dict[str, Candidate] = {}
        for candidate in candidates:
            firsts.setdefault(candidate.track_id, candidate)
        ranked = super().__new__(cls, firsts.values())
        ranked.rank = dict(zip(firsts, range(len(firsts)), strict=True))
        return ranked

    @classmethod
    def of(cls, candidates: Iterable[Candidate]) -> Ranked:
        return candidates if isinstance(candidates, Ranked) else cls(candidates)


@dataclass(frozen=True)
class Query:
    """What a source is asked: candidates for ``user_id`` (its state, when the read model has one)."""

    user_id: str
    user: UserState | None
    n: int
    context_track_id: str | None = None
    #: the tracks the user played most recently, newest first (the context track first when given)
    recent: tuple[str, ...] = ()
    #: only these genres, when not empty
    genres: frozenset[str] = field(default_factory=frozenset)


@dataclass
class World:
    """Everything a source may read."""

    settings: ApiSettings
    catalog: Catalog
    users: UserStates
    successors: Successors
    heat: GenreHeat
    store: VectorStore | None
    #: why the vector store cannot be used now (None: it can); the read model's sink reports it
    store_health: Callable[[], str | None] = field(default=lambda: None)
    #: the last search that failed (why, monotonic time); None once one succeeds
    search_failure: tuple[str, float] | None = None

    def cache(self) -> CandidateCache[T]:
        """An empty :class:`~botify_api.candidate_cache.CandidateCache` of the configured size and age limit."""
        return CandidateCache(self.settings.candidate_cache_size, self.settings.candidate_max_age_s)

    def store_problem(self) -> str | None:
        """Why the vector sources cannot query now, else None. After a failed search they stand down for
        ``store_retry_s`` (kept answers too: the store is down, and a search would wait for its timeout), then
        the next search tries again."""
        if self.store is None:
            return "vector store unavailable: not open"
        problem = self.store_health()
        if problem is None and self.search_failure is not None and \
                time.monotonic() - self.search_failure[1] < self.settings.store_retry_s:
            problem = f"vector store unavailable: {self.search_failure[0]}"
        return problem


class SourceUnavailableError(RuntimeError):
    """The source cannot answer now; the message says why."""


class QueryError(ValueError):
    """This request's query cannot be searched (say, a user's factors of another size than the collection's): the
    answer goes without the source, and the store is not suspected."""


class StoreBacked:
    """Base of the sources that query the vector store: unusable while the store is. Their answers are kept in a
    :class:`~botify_api.candidate_cache.CandidateCache` while the inputs of their search last."""

    name: str

    def __init__(self, world: World) -> None:
        self.world = world
        self.cache: CandidateCache[Ranked] = world.cache()
        self._hit = metrics.CANDIDATE_CACHE.labels(self.name, "hit")
        self._miss = metrics.CANDIDATE_CACHE.labels(self.name, "miss")

    def problem(self) -> str | None:
        return self.world.store_problem()

    def store(self) -> VectorStore:
        store = self.world.store
        if store is None:
            raise SourceUnavailableError("vector store unavailable")
        return store

    def track_id(self, point_id: object) -> str:
        """A hit's track id, as the catalog's own string when it knows the track (kept answers then share it)."""
        track_id = str(point_id)
        info = self.world.catalog.get(track_id)
        return info.track_id if info is not None else track_id

    def remembered(self, key: Hashable, inputs: Sequence[object],
                   search: Callable[[], Iterable[Candidate]]) -> Ranked:
        """The candidates kept for ``key`` and these ``inputs`` (and the catalog's epoch: a track's removal), else
        ``search()``'s, which are kept. ``search`` raises :class:`QueryError` for a query that cannot be searched;
        anything else it raises is the store's failure."""
        inputs = (*inputs, self.world.catalog.epoch)     # a track gone from the catalog: search again
        found = self.cache.get(key, inputs)
        if found is None:
            self._miss.inc()
            try:
                found = Ranked(search())
            except QueryError:
                raise
            except Exception as exc:   # the store failed: stand the vector sources down for a while
                self.world.search_failure = (f"{type(exc).__name__}: {exc}", time.monotonic())
                raise
            self.world.search_failure = None
            self.cache.put(key, inputs, found)
        else:
            self._hit.inc()
        return found


class CandidateSource(Protocol):
    #: short name, in answers and metrics (``cf``, ``audio``, ...)
    name: str

    def problem(self) -> str | None:
        """Why the source cannot be used at all now (its data is missing or its store is gone), else None."""
        ...

    def candidates(self, query: Query) -> Sequence[Candidate]:
        """At most ``query.n`` candidates, best first (a :class:`Ranked` when the source keeps its answers)."""
        ...
