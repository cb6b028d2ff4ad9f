"""Blending on fixed inputs, with exact expected orders: rank fusion and its weights, exclusion of heard and
excluded tracks, the genre filter, diversity per artist and per genre, artists the user only skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botify_api.blend import BlendedItem, BlendRules, TrackFacts, blend, diversify, fuse, keep, skipped_artists
from botify_api.sources import Candidate, Ranked

FACTS = {
    "r1": TrackFacts("a1", frozenset({"rock"}), "rock"),
    "r2": TrackFacts("a2", frozenset({"rock"}), "rock"),
    "r3": TrackFacts("a3", frozenset({"rock"}), "rock"),
    "r4": TrackFacts("a1", frozenset({"rock"}), "rock"),
    "r5": TrackFacts("a1", frozenset({"rock"}), "rock"),
    "j1": TrackFacts("a4", frozenset({"jazz"}), "jazz"),
    "j2": TrackFacts("a4", frozenset({"jazz", "rock"}), "jazz"),
}


def facts(track_id: str) -> TrackFacts:
    return FACTS.get(track_id, TrackFacts())


def ranked(**lists: str) -> dict[str, list[Candidate]]:
    return {source: [Candidate(t, 0.0, f"{source} likes {t}") for t in ids.split()] for source, ids in lists.items()}


def items(*scored: tuple[str, float]) -> list[BlendedItem]:
    return [BlendedItem(t, s, ("cf",), "") for t, s in scored]


def test_fusion_adds_weighted_reciprocal_ranks() -> None:
    lists = ranked(cf="a b c", audio="c a")
    # rrf_k=0: a = 1/1 + 1/2, b = 1/2, c = 1/3 + 1/1
    fused = fuse(lists, {}, rrf_k=0)
    assert [i.track_id for i in fused] == ["a", "c", "b"]
    assert [i.score for i in fused] == pytest.approx([1.5, 4 / 3, 0.5])
    # audio twice as strong: c = 1/3 + 2/1 leads
    assert [i.track_id for i in fuse(lists, {"audio": 2.0}, rrf_k=0)] == ["c", "a", "b"]
    # a weight of 0 switches a source off
    assert [i.track_id for i in fuse(lists, {"cf": 0.0}, rrf_k=0)] == ["c", "a"]


def test_each_item_names_its_sources_strongest_first_and_the_strongest_reason() -> None:
    fused = {i.track_id: i for i in fuse(ranked(cf="a b c", audio="c a"), {}, rrf_k=0)}
    assert fused["c"].sources == ("audio", "cf") and fused["c"].reason == "audio likes c"
    assert fused["a"].sources == ("cf", "audio") and fused["a"].reason == "cf likes a"
    assert fused["b"].sources == ("cf",)


def test_ties_break_by_track_id_and_duplicates_within_a_source_count_once() -> None:
    assert [i.track_id for i in fuse(ranked(cf="x y", audio="y x"), {}, rrf_k=60)] == ["x", "y"]
    assert fuse(ranked(cf="x x y"), {}, rrf_k=0)[1].score == pytest.approx(0.5)
    kept = Ranked([Candidate("x", 3, "first x"), Candidate("y", 2, ""), Candidate("x", 1, "second x")])
    assert [c.reason for c in kept] == ["first x", ""] and kept.rank == {"x": 0, "y": 1} and Ranked.of(kept) is kept


def test_heard_and_excluded_tracks_are_dropped_and_the_genre_filter_keeps_any_matching_genre() -> None:
    fused = fuse(ranked(cf="r1 j1 r2 j2 r3"), {}, rrf_k=0)
    assert [i.track_id for i in keep(fused, facts, drop={"r1", "r3"})] == ["j1", "r2", "j2"]
    assert [i.track_id for i in keep(fused, facts, genres={"jazz"})] == ["j1", "j2"]
    assert [i.track_id for i in keep(fused, facts, avoid_artists={"a4"})] == ["r1", "r2", "r3"]
    # an unknown track has no genre: a genre filter leaves it out, an artist filter does not
    unknown = fuse(ranked(cf="zz r1"), {}, rrf_k=0)
    assert [i.track_id for i in keep(unknown, facts, genres={"rock"})] == ["r1"]
    assert [i.track_id for i in keep(unknown, facts, avoid_artists={"a1"})] == ["zz"]


def test_at_most_n_items_per_artist() -> None:
    ranked_items = items(("r1", 1.0), ("r4", 0.9), ("r5", 0.8), ("r2", 0.7))
    assert [i.track_id for i in diversify(ranked_items, 4, facts, max_per_artist=2, genre_penalty=0.0)] == [
        "r1", "r4", "r2"]
    assert [i.track_id for i in diversify(ranked_items, 4, facts, max_per_artist=1, genre_penalty=0.0)] == [
        "r1", "r2"]


def test_genre_penalty_lets_another_genre_in_sooner() -> None:
    ranked_items = items(("r1", 1.0), ("r2", 0.9), ("r3", 0.8), ("j1", 0.7))
    assert [i.track_id for i in diversify(ranked_items, 4, facts, 5, genre_penalty=0.0)] == ["r1", "r2", "r3", "j1"]
    # after r1, r2 is worth 0.9 * 0.75 = 0.675 < 0.7: j1 comes second; scores stay the fused ones
    chosen = diversify(ranked_items, 4, facts, 5, genre_penalty=0.25)
    assert [(i.track_id, i.score) for i in chosen] == [("r1", 1.0), ("j1", 0.7), ("r2", 0.9), ("r3", 0.8)]
    assert [i.track_id for i in diversify(ranked_items, 2, facts, 5, genre_penalty=0.25)] == ["r1", "j1"]


def test_blend_fuses_filters_and_diversifies() -> None:
    rules = BlendRules(weights={"cf": 1.0, "trending": 0.5}, rrf_k=0, max_per_artist=1, genre_penalty=0.0)
    result = blend(ranked(cf="r1 r4 r2 j1", trending="j2 r3"), k=3, rules=rules, facts=facts, drop={"r2"})
    # fused: r1 1, r4 .5, j2 .5, r3 .25, j1 .25; r4 is a1's second track, j1 a4's second
    assert [i.track_id for i in result] == ["r1", "j2", "r3"]


def test_artists_the_user_only_skipped() -> None:
    artist = {t: f.artist_id for t, f in FACTS.items()}.__getitem__
    assert skipped_artists([("r1", 0.05), ("r4", 0.1), ("r2", 0.1), ("r2", 0.8), ("j1", 0.95)], artist, 0.3) == {"a1"}
    assert skipped_artists([], artist, 0.3) == set()


@given(st.lists(st.sampled_from(sorted(FACTS)), max_size=7, unique=True),
       st.lists(st.sampled_from(sorted(FACTS)), max_size=7, unique=True),
       st.integers(1, 7), st.integers(1, 3), st.floats(0.0, 0.9))
def test_blend_never_repeats_a_track_nor_overfills_an_artist(cf: list[str], audio: list[str], k: int, most: int,
                                                             penalty: float) -> None:
    lists = {"cf": [Candidate(t, 0, "") for t in cf], "audio": [Candidate(t, 0, "") for t in audio]}
    result = blend(lists, k, BlendRules({}, 60, most, penalty), facts)
    ids = [i.track_id for i in result]
    assert len(ids) == len(set(ids)) <= k
    assert set(ids) <= set(cf) | set(audio)
    per_artist = [facts(t).artist_id for t in ids]
    assert all(per_artist.count(a) <= most for a in per_artist)


def plain_greedy(items: list[BlendedItem], k: int, most: int, penalty: float) -> list[BlendedItem]:
    """The diversity re-rank as its docstring states it, over the whole list at every step."""
    factor: dict[str, float] = {}
    per_artist: dict[str, int] = {}
    left = list(enumerate(items))
    chosen: list[BlendedItem] = []
    while len(chosen) < k:
        allowed = [(-item.score * factor.get(facts(item.track_id).main_genre, 1.0), position, item)
                   for position, item in left
                   if not facts(item.track_id).artist_id or per_artist.get(facts(item.track_id).artist_id, 0) < most]
        if not allowed:
            break
        _, position, item = min(allowed, key=lambda entry: entry[:2])
        left = [(p, i) for p, i in left if p != position]
        chosen.append(item)
        track = facts(item.track_id)
        factor[track.main_genre] = factor.get(track.main_genre, 1.0) * (1.0 - penalty)
        if track.artist_id:
            per_artist[track.artist_id] = per_artist.get(track.artist_id, 0) + 1
    return chosen


@given(st.lists(st.tuples(st.sampled_from([*sorted(FACTS), "zz"]), st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9, 1.0])),
                max_size=12),
       st.integers(1, 8), st.integers(1, 3), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9]))
def test_diversify_reads_lazily_but_chooses_as_the_plain_greedy_does(scored: list[tuple[str, float]], k: int,
                                                                     most: int, penalty: float) -> None:
    ranked_items = sorted(items(*scored), key=lambda item: -item.score)   # best first, as fuse gives them
    read: list[str] = []

    def reading() -> Iterator[BlendedItem]:
        for item in ranked_items:
            read.append(item.track_id)
            yield item

    assert diversify(reading(), k, facts, most, penalty) == plain_greedy(ranked_items, k, most, penalty)
    if k == 1 and ranked_items:
        assert len(read) <= 2     # the best item, and the next to see that it is worth no more


def plain_fusion(ranked_lists: dict[str, list[Candidate]], weights: dict[str, float],
                 rrf_k: float) -> list[BlendedItem]:
    """Rank fusion as :func:`fuse`'s docstring states it, one candidate at a time."""
    scores: dict[str, float] = {}
    parts: dict[str, list[tuple[float, int, str, str]]] = {}
    for order, (source, candidates) in enumerate(ranked_lists.items()):
        weight = weights.get(source, 1.0)
        if weight <= 0:
            continue
        firsts: list[Candidate] = []      # a repeat in one list neither counts nor takes a rank
        for candidate in candidates:
            if all(candidate.track_id != first.track_id for first in firsts):
                firsts.append(candidate)
        for rank, candidate in enumerate(firsts, 1):
            share = weight / (rrf_k + rank)
            scores[candidate.track_id] = scores.get(candidate.track_id, 0.0) + share
            parts.setdefault(candidate.track_id, []).append((-share, order, source, candidate.reason))
    return [BlendedItem(t, s, tuple(p[2] for p in sorted(parts[t])), sorted(parts[t])[0][3])
            for t, s in sorted(scores.items(), key=lambda entry: (-entry[1], entry[0]))]


@given(st.dictionaries(st.sampled_from(["cf", "audio", "trending", "popular"]),
                       st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("xyz")), max_size=8),
                       max_size=4),
       st.dictionaries(st.sampled_from(["cf", "audio", "trending"]), st.sampled_from([0.0, 0.5, 1.0, 2.0])),
       st.sampled_from([0.0, 1.0, 60.0]))
def test_fusion_matches_the_plain_definition(lists: dict[str, list[tuple[str, str]]], weights: dict[str, float],
                                             rrf_k: float) -> None:
    ranked_lists = {source: [Candidate(t, 0.0, f"{source}:{t}:{tag}") for t, tag in entries]
                    for source, entries in lists.items()}
    assert fuse(ranked_lists, weights, rrf_k) == plain_fusion(ranked_lists, weights, rrf_k)
