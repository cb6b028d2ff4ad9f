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

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from botify_api.sources.base import Candidate


@dataclass(frozen=True)
class BlendedItem:
    track_id: str
    score: float
    sources: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class TrackFacts:
    """What blending needs to know of a track."""

    artist_id: str = ""
    genres: frozenset[str] = frozenset()
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
    scores: dict[str, float] = defaultdict(float)
    parts: dict[str, list[tuple[float, int, str, str]]] = defaultdict(list)
    for order, (source, candidates) in enumerate(ranked.items()):
        weight = weights.get(source, 1.0)
        if weight <= 0:
            continue
        seen: set[str] = set()
        for candidate in candidates:
            if candidate.track_id in seen:
                continue
            seen.add(candidate.track_id)  # a repeat in one list neither counts nor takes a rank
            contribution = weight / (rrf_k + len(seen))
            scores[candidate.track_id] += contribution
            parts[candidate.track_id].append((-contribution, order, source, candidate.reason))
    items = []
    for track_id, score in scores.items():
        contributions = sorted(parts[track_id])
        items.append(BlendedItem(track_id, score, tuple(p[2] for p in contributions), contributions[0][3]))
    items.sort(key=lambda item: (-item.score, item.track_id))
    return items


def keep(items: Iterable[BlendedItem], facts: Callable[[str], TrackFacts], drop: Collection[str] = (),
         genres: Collection[str] = (), avoid_artists: Collection[str] = ()) -> list[BlendedItem]:
    """The items not in ``drop``, of one of ``genres`` (when given), and not by an artist of ``avoid_artists``."""
    wanted = frozenset(genres)
    kept = []
    for item in items:
        if item.track_id in drop:
            continue
        track = facts(item.track_id)
        if wanted and not (track.genres & wanted):
            continue
        if track.artist_id and track.artist_id in avoid_artists:
            continue
        kept.append(item)
    return kept


def diversify(items: Sequence[BlendedItem], k: int, facts: Callable[[str], TrackFacts], max_per_artist: int,
              genre_penalty: float) -> list[BlendedItem]:
    """Choose ``k`` items greedily: each step takes the item with the best ``score * (1 - genre_penalty) ** n``
    (``n``: items of its main genre already chosen; ties by the input order), skipping an artist that already has
    ``max_per_artist`` items. Items keep their fused score."""
    queues: dict[str, deque[tuple[int, BlendedItem, str]]] = defaultdict(deque)  # (position, item, artist)
    for position, item in enumerate(items):
        track = facts(item.track_id)
        queues[track.main_genre].append((position, item, track.artist_id))
    per_artist: Counter[str] = Counter()
    per_genre: Counter[str] = Counter()
    chosen: list[BlendedItem] = []
    keep_share = 1.0 - genre_penalty
    while len(chosen) < k:
        heads: list[tuple[float, int, str]] = []
        for genre, queue in queues.items():
            while queue and _full(queue[0][2], per_artist, max_per_artist):
                queue.popleft()
            if queue:
                position, item, _ = queue[0]
                heads.append((-item.score * keep_share ** per_genre[genre], position, genre))
        if not heads:
            break
        _, _, genre = min(heads)
        _, item, artist = queues[genre].popleft()
        chosen.append(item)
        per_genre[genre] += 1
        if artist:
            per_artist[artist] += 1
    return chosen


def _full(artist: str, per_artist: Counter[str], most: int) -> bool:
    return bool(artist) and per_artist[artist] >= most


def blend(ranked: Mapping[str, Sequence[Candidate]], k: int, rules: BlendRules, facts: Callable[[str], TrackFacts],
          drop: Collection[str] = (), genres: Collection[str] = (),
          avoid_artists: Collection[str] = ()) -> list[BlendedItem]:
    """Fuse, filter and diversify: the answer's ``k`` items (``facts`` is asked once per candidate)."""
    fused = fuse(ranked, rules.weights, rules.rrf_k)
    known = {item.track_id: facts(item.track_id) for item in fused}
    return diversify(keep(fused, known.__getitem__, drop, genres, avoid_artists), k, known.__getitem__,
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
