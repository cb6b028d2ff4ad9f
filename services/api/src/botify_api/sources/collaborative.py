"""Collaborative filtering: the user's factors (from ``user-state``) as a query over the ``cf`` collection."""

from __future__ import annotations

from botify_api.sources.base import Candidate, Query, SourceUnavailableError, StoreBacked
from botify_core.vectors import CF


class CollaborativeSource(StoreBacked):
    name = "cf"

    def problem(self) -> str | None:
        problem = super().problem()
        if problem:
            return problem
        if not self.world.users.states:
            return "no user-state received yet (is the stream processor running?)"
        return None

    def candidates(self, query: Query) -> list[Candidate]:
        if query.user is None or not query.user.factors:
            return []
        store = self.world.store
        if store is None:
            raise SourceUnavailableError("vector store unavailable")
        hits = sorted(store.search(CF, list(query.user.factors), query.n, payload=False),
                      key=lambda h: (-h.score, str(h.id)))
        return [Candidate(str(hit.id), float(hit.score), "people with your taste play it") for hit in hits]
