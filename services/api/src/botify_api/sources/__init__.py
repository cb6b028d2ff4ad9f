"""Candidate sources, one module each behind :class:`~botify_api.sources.base.CandidateSource`. A new source is
one module plus one line in :data:`SOURCES` (its name must match the class's ``name``);
``tests/unit/test_sources_contract.py`` runs the same contract over every entry."""

from __future__ import annotations

from collections.abc import Callable

from botify_api.sources.audio import AudioSource
from botify_api.sources.base import Candidate, CandidateSource, Query, QueryError, Ranked, SourceUnavailableError, World
from botify_api.sources.collaborative import CollaborativeSource
from botify_api.sources.popular import PopularSource
from botify_api.sources.transitions import TransitionsSource
from botify_api.sources.trending import TrendingSource

SOURCES: dict[str, Callable[[World], CandidateSource]] = {
    "cf": CollaborativeSource,
    "audio": AudioSource,
    "transitions": TransitionsSource,
    "trending": TrendingSource,
    "popular": PopularSource,
}

__all__ = ["SOURCES", "Candidate", "CandidateSource", "Query", "QueryError", "Ranked", "SourceUnavailableError",
           "World"]
