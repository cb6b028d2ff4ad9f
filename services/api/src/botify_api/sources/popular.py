"""Popular fallback: the most played tracks over every genre, so an answer is never empty while any trend is known;
before any trend, catalog order."""

from __future__ import annotations

from itertools import islice

from botify_api.sources.base import Candidate, Query, World


class PopularSource:
    name = "popular"

    def __init__(self, world: World) -> None:
        self.world = world

    def problem(self) -> str | None:
        if not len(self.world.catalog):
            return "no tracks received yet"
        return None

    def candidates(self, query: Query) -> list[Candidate]:
        popular = self.world.heat.popular(query.n)
        if popular:
            return [Candidate(track_id, float(plays), "popular right now") for track_id, plays in popular]
        return [Candidate(info.track_id, 0.0, "in the catalog")
                for info in islice(self.world.catalog, query.n)]
