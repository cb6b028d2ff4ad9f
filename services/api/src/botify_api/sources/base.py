"""The candidate-source interface: a source proposes ranked tracks for one request, with a short reason for each.

A source reads the read model (:class:`World`) only. It says why it cannot answer through :meth:`problem` (the
answer then lists it as degraded) or by raising :class:`SourceUnavailableError`; any other exception is also caught by
the recommender and degrades the answer instead of failing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from botify_api.catalog import Catalog
from botify_api.popularity import GenreHeat
from botify_api.read_model import Successors, UserStates
from botify_api.settings import ApiSettings
from botify_core.proto.botify.v1.models_pb2 import UserState
from botify_core.vectors import VectorStore


@dataclass(frozen=True)
class Candidate:
    track_id: str
    score: float
    reason: str


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

    def store_problem(self) -> str | None:
        """Why the vector sources cannot query now, else None."""
        return "vector store unavailable: not open" if self.store is None else self.store_health()


class SourceUnavailableError(RuntimeError):
    """The source cannot answer now; the message says why."""


class StoreBacked:
    """Base of the sources that query the vector store: unusable while the store is."""

    def __init__(self, world: World) -> None:
        self.world = world

    def problem(self) -> str | None:
        return self.world.store_problem()


class CandidateSource(Protocol):
    #: short name, in answers and metrics (``cf``, ``audio``, ...)
    name: str

    def problem(self) -> str | None:
        """Why the source cannot be used at all now (its data is missing or its store is gone), else None."""
        ...

    def candidates(self, query: Query) -> list[Candidate]:
        """At most ``query.n`` candidates, best first."""
        ...
