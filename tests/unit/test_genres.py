"""Free-form tags land on Botify's canonical genres: spelling variants normalised, non-genres rejected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botify_datasets.genres import GENRES, TAG_TO_GENRE, canonical_genre, normalise_tag


@pytest.mark.parametrize(("tag", "normalised"), [
    ("Hip-Hop", "hiphop"), ("hip hop", "hiphop"), ("genre---hiphop", "hiphop"), ("  Rock  ", "rock"),
    ("R&B", "rb"), ("rock 'n' roll", "rocknroll"), ("singer/songwriter", "singersongwriter"), ("J.Rock", "jrock"),
    ("Drum_and_Bass", "drumandbass"),
])
def test_normalise_tag_drops_case_spaces_and_punctuation(tag: str, normalised: str) -> None:
    assert normalise_tag(tag) == normalised


@pytest.mark.parametrize(("tag", "genre"), [
    ("Hip-Hop", "hiphop"), ("rap", "hiphop"), ("genre---drumnbass", "electronic"), ("drum and bass", "electronic"),
    ("R&B", "rnb"), ("Soul", "rnb"), ("indie", "alternative"), ("Alternative Rock", "alternative"),
    ("classic rock", "rock"), ("Post-Rock", "rock"), ("Trip-Hop", "ambient"), ("easylistening", "ambient"),
    ("Heavy Metal", "metal"), ("Nu-Metal", "metal"), ("singer-songwriter", "folk"), ("bossanova", "world"),
    ("house", "dance"), ("orchestral", "classical"), ("soundtrack", "soundtrack"), ("Alt-Country", "country"),
])
def test_known_spellings_map_to_their_genre(tag: str, genre: str) -> None:
    assert canonical_genre(tag) == genre


@pytest.mark.parametrize("tag", ["seen live", "female vocalists", "80s", "british", "instrumental", "<3", ""])
def test_tags_that_are_not_genres_map_to_nothing(tag: str) -> None:
    assert canonical_genre(tag) is None


def test_every_canonical_genre_is_its_own_tag_and_the_mapping_stays_inside_the_vocabulary() -> None:
    assert all(canonical_genre(g) == g for g in GENRES)
    assert set(TAG_TO_GENRE.values()) == set(GENRES)
    assert all(normalise_tag(key) == key for key in TAG_TO_GENRE)  # keys are stored normalised


@given(st.text(max_size=30))
def test_normalising_is_idempotent_and_lookup_ignores_spelling(tag: str) -> None:
    once = normalise_tag(tag)
    assert normalise_tag(once) == once
    assert canonical_genre(tag) == canonical_genre(once)
    assert canonical_genre(tag.lower()) == canonical_genre(tag)
