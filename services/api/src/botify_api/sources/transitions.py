"""Next-track transitions: what listeners played after the context track (or the user's latest track)."""

from __future__ import annotations

from botify_api.sources.base import Candidate, Query, Ranked, World


class TransitionsSource:
    name = "transitions"

    def __init__(self, world: World) -> None:
        self.world = world

    def problem(self) -> str | None:
        if not self.world.successors.successors:
            return "no transitions received yet (is the stream processor running?)"
        return None

    def candidates(self, query: Query) -> Ranked:
        if not query.recent:
            return Ranked()
        current = query.recent[0]
        info = self.world.catalog.get(current)
        title = info.title if info is not None and info.title else current
        return Ranked([Candidate(track_id, weight, f"because you played {title}")
                       for track_id, weight in self.world.successors.of(current) if track_id != current][:query.n])
