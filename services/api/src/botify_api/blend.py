"""Blending, pure: weighted reciprocal rank fusion of the sources' ranked candidates, filters (heard, excluded,
genres, artists the user only skipped), and a diversity re-rank (at most N per artist; an item's score shrinks for
each item of its main genre already chosen, MMR-like). Each item keeps its score, the sources that proposed it
(strongest first) and the reason of the strongest.

>>> ranked = {"cf": [Candidate("a", 1, "cf says a"), Candidate("b", 1, "cf says b")],
...           "trending": [Candidate("b", 9, "trending in jazz this hour")]}
>>> [(i.track_id, i.sources, i.reason) for i in fuse(ranked, {"cf": 1.0, "trending": 1.0}, rrf_k=60)]
[('b', ('trending', 'cf'), 'trending in jazz this hour'), ('a', ('cf',), 'cf says a')]
"""

from __future__ import annotations

import functools
import heapq
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import neg
from typing import NamedTuple, Protocol

from botify_api.sources.base import Candidate, Ranked

# The request path blends about a hundred candidates per answer, so these functions are written for it: plain
# tuples and dicts, no per-candidate objects beyond the answer's own items.


class BlendedItem(NamedTuple):
    track_id: str
    score: float
    sources: tuple[str, ...]
    reason: str


class Facts(Protocol):
    """What blending needs to know of a track (the gateway's catalog entries have it)."""

    @property
    def artist_id(self) -> str: ...
    @property
    def all_genres(self) -> Collection[str]: ...
    @property
    def main_genre(self) -> str: ...


@dataclass(frozen=True)
class TrackFacts:
    """:class:`Facts` on their own (tests, and a track the catalog does not know)."""

    artist_id: str = ""
    all_genres: frozenset[str] = frozenset()
    main_genre: str = ""


@dataclass(frozen=True)
class BlendRules:
    weights: Mapping[str, float]
    rrf_k: float = 60.0
    max_per_artist: int = 2
    genre_penalty: float = 0.15


def fuse(ranked: Mapping[str, Sequence[Candidate]], weights: Mapping[str, float], rrf_k: float) -> list[BlendedItem]:
    """Weighted reciprocal rank fusion: ``score(t) = sum over sources s of w_s / (rrf_k + rank_s(t))`` (ranks from
    1; a source not in ``weights`` weighs 1); best first, ties by track id."""
    return list(fused(ranked, weights, rrf_k))


def fused(ranked: Mapping[str, Sequence[Candidate]], weights: Mapping[str, float],
          rrf_k: float) -> Iterator[BlendedItem]:
    """:func:`fuse`'s items one at a time: every score is summed first; an item's sources and reason are found
    when it is read (an answer reads a few of the hundred or so candidates)."""
    scores: dict[str, float] = {}
    lists: list[tuple[int, str, Ranked, tuple[float, ...]]] = []
    for order, (source, candidates) in enumerate(ranked.items()):
        weight = weights.get(source, 1.0)
        if weight <= 0:
            continue
        answer = Ranked.of(candidates)     # each track once, with its rank
        shares = _shares(weight, rrf_k, len(answer))
        so_far = scores.get
        for track_id, share in zip(answer.rank, shares, strict=True):
            scores[track_id] = so_far(track_id, 0.0) + share
        lists.append((order, source, answer, shares))
    # best first, ties by track id: a heap, as only the first few are read
    ranking = list(zip(map(neg, scores.values()), scores, strict=True))
    heapq.heapify(ranking)
    while ranking:
        negative, track_id = heapq.heappop(ranking)
        parts = [(-shares[i], order, source, answer[i].reason)
                 for order, source, answer, shares in lists if (i := answer.rank.get(track_id, -1)) >= 0]
        if len(parts) > 1:
            parts.sort()
        yield BlendedItem(track_id, -negative, tuple([p[2] for p in parts]), parts[0][3])


@functools.lru_cache(maxsize=256)
def _shares(weight: float, rrf_k: float, n: int) -> tuple[float, ...]:
    """A source's contributions by rank: ``weight / (rrf_k + rank)`` for ranks 1 to ``n``."""
    return tuple(weight / (rrf_k + rank) for rank in range(1, n + 1))


def keep(items: Iterable[BlendedItem], facts: Callable[[str], Facts], drop: Collection[str] = (),
         genres: Collection[str] = (), avoid_artists: Collection[str] = ()) -> Iterator[BlendedItem]:
    """The items not in ``drop``, of one of ``genres`` (when given), and not by an artist of ``avoid_artists``, in
    their order, read one at a time."""
    wanted = frozenset(genres)
    for item in items:
        if item.track_id in drop:
            continue
        if wanted or avoid_artists:
            track = facts(item.track_id)
            if wanted and wanted.isdisjoint(track.all_genres):
                continue
            if track.artist_id and track.artist_id in avoid_artists:
                continue
        yield item


def diversify(items: Iterable[BlendedItem], k: int, facts: Callable[[str], Facts], max_per_artist: int,
              genre_penalty: float) -> list[BlendedItem]:
    """Choose ``k`` items greedily: each step takes the item with the best ``score * (1 - genre_penalty) ** n``
    (``n``: items of its main genre already chosen, the factor multiplied up one step at a time; ties by the input
    order), skipping an artist that already has ``max_per_artist`` items. Items keep their fused score. ``items``
    come best first (as :func:`fuse` gives them), scores not negative, ``0 <= genre_penalty < 1``; they are read only
    as far as the choice needs: an unread item is worth at most its score."""
    queues: dict[str, deque[tuple[int, BlendedItem, str]]] = {}  # per main genre: (position, item, artist)
    factor: dict[str, float] = {}           # (1 - genre_penalty) ** items of the genre chosen so far
    per_artist: dict[str, int] = {}

    def head(genre: str) -> tuple[float, int, str] | None:
        """The genre's best item an artist cap allows, as a heap key."""
        queue = queues[genre]
        while queue and queue[0][2] and per_artist.get(queue[0][2], 0) >= max_per_artist:
            queue.popleft()
        return (-queue[0][1].score * factor[genre], queue[0][0], genre) if queue else None

    # Lazy greedy: each genre with items waiting has one key in the heap, which can only be better than the
    # genre's true head now (factors shrink, capped artists drop out, a queue's next item scores no more); so a
    # popped key that is still true, and better than any unread item could be, is the best choice.
    heap: list[tuple[float, int, str]] = []
    unread = enumerate(items)
    upcoming = next(unread, None)
    chosen: list[BlendedItem] = []
    keep_share = 1.0 - genre_penalty
    while len(chosen) < k:
        while upcoming is not None and (not heap or heap[0] > (-upcoming[1].score, upcoming[0])):
            position, item = upcoming
            track = facts(item.track_id)
            genre = track.main_genre
            queue = queues.get(genre)
            if queue is None:
                queue = queues[genre] = deque()
                factor[genre] = 1.0
            queue.append((position, item, track.artist_id))
            if len(queue) == 1 and (key := head(genre)) is not None:
                heapq.heappush(heap, key)
            upcoming = next(unread, None)
        if not heap:
            break
        popped = heapq.heappop(heap)
        genre = popped[2]
        now = head(genre)
        if now != popped:
            if now is not None:
                heapq.heappush(heap, now)
            continue
        _, item, artist = queues[genre].popleft()
        chosen.append(item)
        factor[genre] *= keep_share
        if artist:
            per_artist[artist] = per_artist.get(artist, 0) + 1
        following = head(genre)
        if following is not None:
            heapq.heappush(heap, following)
    return chosen


def blend(ranked: Mapping[str, Sequence[Candidate]], k: int, rules: BlendRules, facts: Callable[[str], Facts],
          drop: Collection[str] = (), genres: Collection[str] = (),
          avoid_artists: Collection[str] = ()) -> list[BlendedItem]:
    """Fuse, filter and diversify: the answer's ``k`` items. The fused items are built, filtered and looked up
    (``facts``) only as far as the diversity re-rank reads them."""
    return diversify(keep(fused(ranked, rules.weights, rules.rrf_k), facts, drop, genres, avoid_artists), k, facts,
                     rules.max_per_artist, rules.genre_penalty)


def skipped_artists(recent: Iterable[tuple[str, float]], artist_of: Callable[[str], str],
                    skip_fraction: float) -> set[str]:
    """Artists every recent listen of whom was a skip (listened fraction below ``skip_fraction``).

    >>> artists = {"t1": "a1", "t2": "a1", "t3": "a2"}.__getitem__
    >>> sorted(skipped_artists([("t1", 0.05), ("t2", 0.1), ("t3", 0.05), ("t3", 0.9)], artists, 0.3))
    ['a1']
    """
    skipped: set[str] = set()
    played: set[str] = set()
    for track_id, fraction in recent:
        artist = artist_of(track_id)
        if artist:
            (skipped if fraction < skip_fraction else played).add(artist)
    return skipped - played
