"""Collaborative filtering: the user's factors (from ``user-state``) as a query over the ``cf`` collection."""

from __future__ import annotations

import math

from botify_api.sources.base import Candidate, Query, QueryError, Ranked, StoreBacked
from botify_core.vectors import CF

REASON = "people with your taste play it"


class CollaborativeSource(StoreBacked):
    name = "cf"

    def problem(self) -> str | None:
        problem = super().problem()
        if problem:
            return problem
        if not self.world.users.states:
            return "no user-state received yet (is the stream processor running?)"
        return None

    def candidates(self, query: Query) -> Ranked:
        user = query.user
        if user is None or not user.factors:
            return Ranked()
        store = self.store()

        def search() -> list[Candidate]:
            assert user is not None
            dim = self.world.settings.vectors.cf_dim
            if len(user.factors) != dim or not all(math.isfinite(x) for x in user.factors):
                raise QueryError(f"the factors of {query.user_id} ({len(user.factors)} values) do not fit the cf "
                                 f"collection ({dim} finite values)")
            hits = sorted(store.search(CF, list(user.factors), query.n, payload=False),
                          key=lambda h: (-h.score, str(h.id)))
            return [Candidate(self.track_id(hit.id), float(hit.score), REASON) for hit in hits]

        # kept until user-state brings the user a new state (or the cache's age limit)
        return self.remembered((query.user_id, query.n), (user,), search)
