"""Trending in the user's genres: the top tracks of the genres the user likes most (``genre_affinity`` of
``user-state``, else the genres of what they just played), in the configured ``genre-trends`` window."""

from __future__ import annotations

from botify_api.candidate_cache import CandidateCache
from botify_api.sources.base import Candidate, Query, Ranked, World

#: the user's best liked genres whose trending tracks are candidates
MOST_GENRES = 5
#: answers kept per version of the trends (many users like the same genres)
MEMO_SIZE = 10_000


class TrendingSource:
    name = "trending"

    def __init__(self, world: World) -> None:
        self.world = world
        # a user's liked genres, while their state and recent tracks are the same objects (plain requests)
        self._liked: CandidateCache[tuple[str, ...]] = world.cache()
        # (liked genres, n) -> answer, for the heat's version in _memo_version: many users like the same genres
        self._memo: dict[tuple[tuple[str, ...], int], Ranked] = {}
        self._memo_version = -1

    def problem(self) -> str | None:
        if not self.world.heat.genres():
            return "no genre-trends received yet (is the stream processor running?)"
        return None

    def user_genres(self, query: Query) -> list[str]:
        """Liked genres, best first: positive affinity, then the genres of recent tracks; the query's genre
        filter, when given, wins."""
        liked: list[str] = []
        if query.user is not None:
            liked = [g for g, a in sorted(query.user.genre_affinity.items(), key=lambda i: (-i[1], i[0])) if a > 0]
        for track_id in query.recent:
            info = self.world.catalog.get(track_id)
            if info is not None and info.main_genre and info.main_genre not in liked:
                liked.append(info.main_genre)
        if query.genres:
            liked = [g for g in liked if g in query.genres] + sorted(query.genres - set(liked))
        return liked

    def candidates(self, query: Query) -> Ranked:
        heat = self.world.heat
        liked = None if query.genres else self._liked.get(query.user_id, (query.user, query.recent))
        if liked is None:
            liked = tuple(self.user_genres(query)[:MOST_GENRES])
            if not query.genres:
                self._liked.put(query.user_id, (query.user, query.recent), liked)
        if heat.version != self._memo_version or len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
            self._memo_version = heat.version
        key = (liked, query.n)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._rank(liked, query.n)
        return found

    def _rank(self, liked: tuple[str, ...], n: int) -> Ranked:
        heat = self.world.heat
        period = _period(heat.window)
        seen: set[str] = set()
        ranked: list[tuple[float, str, str]] = []
        for position, genre in enumerate(liked):
            for track_id, plays in heat.top_tracks(genre):
                if track_id not in seen:
                    seen.add(track_id)
                    # a liked genre's tracks before a less liked one's, by plays within a genre
                    ranked.append((plays / (1 + position), track_id, f"trending in {genre} this {period}"))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return Ranked(Candidate(track_id, score, reason) for score, track_id, reason in ranked[:n])


def _period(window: str) -> str:
    """``1h`` -> ``hour``; other windows by their name.

    >>> _period("1h"), _period("1d"), _period("1m"), _period("6h")
    ('hour', 'day', 'minute', '6h window')
    """
    return {"1m": "minute", "1h": "hour", "1d": "day"}.get(window, f"{window} window")
