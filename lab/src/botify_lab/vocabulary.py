"""Tag and genre vocabularies of the real datasets: which HetRec tags are genres, how Botify's canonical genres are
covered by HetRec artists and MTG-Jamendo tracks, and how long each genre's tracks are."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from botify_datasets.genres import GENRES, TAG_TO_GENRE, UNKNOWN, canonical_genre
from botify_datasets.hetrec import HetRec


def tag_vocabulary(hetrec: HetRec) -> pd.DataFrame:
    """One row per HetRec tag used at least once, most assigned first: tag, assignments, artists, users, and the
    canonical genre it maps to (None for tags that are not genres)."""
    used = hetrec.tagged.groupby("tag_id").agg(assignments=("user_id", "size"), artists=("artist_id", "nunique"),
                                               users=("user_id", "nunique"))
    result = hetrec.tags.set_index("tag_id").join(used, how="inner").reset_index()
    result["genre"] = result["tag"].map(canonical_genre)
    return result.sort_values(["assignments", "tag"], ascending=[False, True]).reset_index(drop=True)


def tag_coverage(vocabulary: pd.DataFrame, artist_genres: pd.DataFrame, plays: pd.DataFrame) -> dict[str, float]:
    """How much of HetRec the genre mapping reaches: shares of tags, tag assignments, artists and plays."""
    is_genre = vocabulary["genre"].notna()
    known = artist_genres.set_index("artist_id")["genre"] != UNKNOWN
    played = plays.groupby("artist_id")["weight"].sum()
    return {
        "tags_used": len(vocabulary),
        "genre_tags": int(is_genre.sum()),
        "share_of_tags_that_are_genres": float(is_genre.mean()),
        "share_of_assignments_to_genre_tags": float(vocabulary.loc[is_genre, "assignments"].sum()
                                                    / vocabulary["assignments"].sum()),
        "share_of_artists_with_a_genre": float(known.mean()),
        "share_of_plays_to_artists_with_a_genre": float(played[known.reindex(played.index, fill_value=False)].sum()
                                                         / played.sum()),
    }


def jamendo_genre_tracks(jamendo: pd.DataFrame) -> pd.DataFrame:
    """One row per (track, canonical genre) of MTG-Jamendo, from all of its tags: track_id, genre, duration_s.

    A track tagged ``rock`` and ``poprock`` counts once for ``rock``; a track with no genre-like tag is left out.
    """
    exploded = jamendo[["track_id", "duration_s", "tags"]].explode("tags")
    exploded["genre"] = exploded["tags"].map(lambda t: canonical_genre(t) if isinstance(t, str) else None)
    exploded = exploded.dropna(subset=["genre"]).drop_duplicates(["track_id", "genre"])
    return exploded[["track_id", "genre", "duration_s"]].reset_index(drop=True)


def jamendo_tags(jamendo: pd.DataFrame) -> pd.DataFrame:
    """One row per MTG-Jamendo genre tag, most used first: tag, tracks, canonical genre (None if unmapped),
    median track length in minutes."""
    exploded = jamendo[["duration_s", "tags"]].explode("tags").dropna(subset=["tags"])
    result = exploded.groupby("tags").agg(tracks=("duration_s", "size"), median_minutes=("duration_s", "median"))
    result["median_minutes"] = result["median_minutes"] / 60
    result = result.rename_axis("tag").reset_index()
    result["genre"] = result["tag"].map(canonical_genre)
    return result.sort_values(["tracks", "tag"], ascending=[False, True]).reset_index(drop=True)[
        ["tag", "tracks", "genre", "median_minutes"]]


def genre_vocabulary(artist_genres: pd.DataFrame, plays: pd.DataFrame, jamendo: pd.DataFrame) -> pd.DataFrame:
    """Per canonical genre: how many tag spellings map to it, HetRec artists whose main genre it is and their
    share of all real HetRec plays, MTG-Jamendo tracks carrying it and their median length in minutes
    (``unknown``: artists with no genre-like tag, tracks with none)."""
    members = Counter(TAG_TO_GENRE.values())
    main = artist_genres.set_index("artist_id")["genre"]
    played = plays.groupby("artist_id")["weight"].sum()
    plays_by_genre = played.groupby(main.reindex(played.index).fillna(UNKNOWN)).sum()
    tracks = jamendo_genre_tracks(jamendo)
    untagged = jamendo.loc[~jamendo["track_id"].isin(tracks["track_id"]), ["track_id", "duration_s"]]
    tracks = pd.concat([tracks, untagged.assign(genre=UNKNOWN)], ignore_index=True)
    per_genre = tracks.groupby("genre").agg(jamendo_tracks=("track_id", "size"), seconds=("duration_s", "median"))
    rows = []
    for genre in (*GENRES, UNKNOWN):
        rows.append({
            "genre": genre, "tag_spellings": members.get(genre, 0),
            "hetrec_artists": int((main == genre).sum()),
            "hetrec_play_share": float(plays_by_genre.get(genre, 0) / played.sum()),
            "jamendo_tracks": int(per_genre["jamendo_tracks"].get(genre, 0)),
            "jamendo_median_minutes": float(per_genre["seconds"].get(genre, float("nan")) / 60),
        })
    return pd.DataFrame(rows)
