"""Popular fallback: the most played tracks over every genre of the current trends window, then the rest of the
catalog in its order, so an answer is never short while the catalog has tracks."""

from __future__ import annotations

from itertools import islice

from botify_api.sources.base import Candidate, Query, Ranked, World


class PopularSource:
    name = "popular"

    def __init__(self, world: World) -> None:
        self.world = world
        self._memo: dict[tuple[int, int, int], Ranked] = {}   # (heat, catalog version, n) -> answer

    def problem(self) -> str | None:
        if not len(self.world.catalog):
            return "no tracks received yet"
        return None

    def candidates(self, query: Query) -> Ranked:
        key = (self.world.heat.version, self.world.catalog.version, query.n)
        found = self._memo.get(key)
        if found is None:
            self._memo.clear()      # the same for everyone: only the newest versions are asked for
            found = self._memo[key] = Ranked(self._rank(query.n))
        return found

    def _rank(self, n: int) -> list[Candidate]:
        found = [Candidate(track_id, float(plays), "popular right now")
                 for track_id, plays in self.world.heat.popular(n)]
        if len(found) < n:
            named = {c.track_id for c in found}
            rest = (info.track_id for info in self.world.catalog if info.track_id not in named)
            found += [Candidate(track_id, 0.0, "in the catalog") for track_id in islice(rest, n - len(found))]
        return found
