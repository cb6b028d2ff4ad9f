"""Listening logs: one row per play, joined to genres and durations, built from the real datasets.

Every log has the columns of :data:`LOG_COLUMNS` and says, column by column, what is real and what is derived or
simulated (``ListeningLog.provenance``), because no staged dataset has per-play times, genres and durations
together:

* ``lastfm1k_log``: real plays and UTC times (Last.fm 1K sample); genres by joining artist names to HetRec tags;
  durations and played time estimated from the gaps between a user's consecutive plays.
* ``hetrec_log``: HetRec all-time user-artist play counts expanded into dated plays (see its docstring for the
  process); genres from the artists' HetRec tags; durations drawn from real MTG-Jamendo lengths of the same genre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from botify_core.ids import stable_id
from botify_datasets.genres import UNKNOWN
from botify_datasets.hetrec import HetRec
from botify_datasets.jamendo import durations_by_genre

LOG_COLUMNS = ("user_id", "track_id", "title", "artist_id", "artist_name", "genre", "ts_ms", "ms_played",
               "duration_ms")
DEFAULT_DURATION_MS = 240_000
MIN_TRACK_MS, MAX_TRACK_MS = 30_000, 15 * 60_000


@dataclass(frozen=True)
class ListeningLog:
    source: str
    frame: pd.DataFrame            # LOG_COLUMNS, sorted by ts_ms
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in LOG_COLUMNS if c not in self.frame.columns]
        if missing:
            raise ValueError(f"a listening log needs the columns {missing}")

    def between(self, start_ms: int | None, end_ms: int | None) -> ListeningLog:
        ts = self.frame["ts_ms"]
        keep = np.ones(len(ts), dtype=bool)
        if start_ms is not None:
            keep &= (ts >= start_ms).to_numpy()
        if end_ms is not None:
            keep &= (ts < end_ms).to_numpy()
        return ListeningLog(self.source, self.frame[keep].reset_index(drop=True), self.provenance)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.to_csv(path, index=False)

    @classmethod
    def load(cls, path: Path, source: str | None = None) -> ListeningLog:
        frame = pd.read_csv(path, dtype={"user_id": str, "track_id": str, "artist_id": str, "title": str,
                                         "artist_name": str, "genre": str}, keep_default_na=False)
        return cls(source or path.stem, frame.sort_values("ts_ms", kind="stable").reset_index(drop=True),
                   dict.fromkeys(LOG_COLUMNS, f"as exported to {path.name}"))


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(["ts_ms", "user_id"], kind="stable").reset_index(drop=True)
    return frame[list(LOG_COLUMNS)]


def lastfm1k_log(scrobbles: pd.DataFrame, hetrec: HetRec | None = None) -> ListeningLog:
    """The Last.fm 1K sample as a listening log (see the module docstring for what is estimated)."""
    frame = scrobbles.copy()
    frame["ts_ms"] = frame["ts"].dt.as_unit("ms").astype("int64")
    frame["track_id"] = [mbid or stable_id("lastfm-track", artist, title) for mbid, artist, title
                         in zip(frame["track_mbid"], frame["artist_name"], frame["track_name"], strict=True)]
    frame["artist_id"] = [mbid or stable_id("lastfm-artist", artist) for mbid, artist
                          in zip(frame["artist_mbid"], frame["artist_name"], strict=True)]
    frame = frame.sort_values(["user_id", "ts_ms"], kind="stable")
    gap = frame.groupby("user_id")["ts_ms"].shift(-1) - frame["ts_ms"]
    plausible = gap.where((gap >= MIN_TRACK_MS) & (gap <= MAX_TRACK_MS))
    duration = plausible.groupby(frame["track_id"]).transform("median").fillna(DEFAULT_DURATION_MS)
    frame["duration_ms"] = duration.round().astype("int64")
    played = gap.fillna(frame["duration_ms"]).clip(lower=0)
    frame["ms_played"] = played.where(played < frame["duration_ms"], frame["duration_ms"]).astype("int64")
    frame["title"] = frame["track_name"]
    genres = {}
    if hetrec is not None:
        by_name = hetrec.artist_genres()
        genres = dict(zip(by_name["name"].str.casefold(), by_name["genre"], strict=True))
    frame["genre"] = frame["artist_name"].str.casefold().map(genres).fillna(UNKNOWN)
    provenance = {
        "user_id": "real (Last.fm 1K)", "ts_ms": "real (scrobble time, UTC)", "track_id": "real MusicBrainz id, "
        "or a stable hash of artist and title when it is empty", "title": "real", "artist_id": "real MusicBrainz "
        "id, or a stable hash of the name", "artist_name": "real",
        "genre": "derived: the artist's most-tagged genre in HetRec 2k, matched by name (unknown when absent)",
        "duration_ms": "estimated: median gap to the user's next play over the track's plays that lasted "
                       "30 s - 15 min; 240 s when none did",
        "ms_played": "estimated: the gap to the user's next play, capped at the duration",
    }
    return ListeningLog("lastfm-1k", _finish(frame), provenance)


def hetrec_log(hetrec: HetRec, jamendo: pd.DataFrame, *, scale: float = 0.005, max_per_user: int = 2000,
               seed: int = 0) -> ListeningLog:
    """Expand HetRec's all-time play counts into a dated log of plays.

    The process, per user (all draws from one seeded generator):

    1. ``n = clip(round(total plays x scale), 1, max_per_user)`` plays are drawn, each picking an artist with
       probability proportional to the user's real play count of that artist.
    2. Each play gets a time drawn uniformly between the user's first tag assignment (HetRec's only dates; the
       dataset's first date when the user tagged nothing) and the dataset's last tag date.
    3. Its length is drawn from the real MTG-Jamendo track lengths of the artist's genre.
    4. It is skipped (5-25% played) with probability ``0.05 + 0.35 (1 - s)^2``, where ``s`` is the artist's share of
       the user's top artist's plays (favourites are skipped less); otherwise played to the end (80%) or to a
       uniform 50-100%.
    """
    rng = np.random.default_rng(seed)
    artists = hetrec.artist_genres().set_index("artist_id")
    durations = {g: np.asarray(v) * 1000 for g, v in durations_by_genre(jamendo).items()}
    dated = hetrec.tagged.dropna(subset=["date"])
    first_day = dated.groupby("user_id")["date"].min()
    global_start = int(dated["date"].min().value // 1_000_000)
    global_end = int(dated["date"].max().value // 1_000_000) + 86_400_000
    parts = []
    for user_id, plays in hetrec.plays.groupby("user_id", sort=True):
        weights = plays["weight"].to_numpy(dtype=np.float64)
        n = int(np.clip(round(weights.sum() * scale), 1, max_per_user))
        counts = rng.multinomial(n, weights / weights.sum())
        artist_ids = np.repeat(plays["artist_id"].to_numpy(), counts)
        share = np.repeat(weights / weights.max(), counts)
        start = int(first_day[user_id].value // 1_000_000) if user_id in first_day.index else global_start
        ts = rng.integers(min(start, global_end - 86_400_000), global_end, size=n)
        genre = artists["genre"].reindex(artist_ids).fillna(UNKNOWN).to_numpy()
        duration = np.empty(n)
        for g in np.unique(genre):
            mask = genre == g
            duration[mask] = rng.choice(durations.get(g, durations[UNKNOWN]), size=int(mask.sum()))
        skipped = rng.random(n) < 0.05 + 0.35 * (1 - share) ** 2
        fraction = np.where(rng.random(n) < 0.8, 1.0, rng.uniform(0.5, 1.0, n))
        fraction = np.where(skipped, rng.uniform(0.05, 0.25, n), fraction)
        parts.append(pd.DataFrame({
            "user_id": f"hetrec-u{user_id}", "track_id": [f"hetrec-a{a}" for a in artist_ids],
            "artist_id": [f"hetrec-a{a}" for a in artist_ids],
            "artist_name": artists["name"].reindex(artist_ids).fillna("").to_numpy(),
            "genre": genre, "ts_ms": ts, "duration_ms": duration.round().astype(np.int64),
            "ms_played": (duration * fraction).round().astype(np.int64)}))
    frame = pd.concat(parts, ignore_index=True)
    frame["title"] = frame["artist_name"]
    provenance = {
        "user_id": "real (HetRec user)", "artist_id": "real (HetRec artist)", "artist_name": "real",
        "track_id": "derived: the artist (HetRec items are artists, not tracks)", "title": "the artist's name",
        "genre": "derived: the artist's most-assigned canonical genre among its HetRec tags",
        "ts_ms": "simulated: uniform between the user's first tag date and the dataset's last date",
        "duration_ms": "simulated: drawn from real MTG-Jamendo track lengths of the same genre",
        "ms_played": "simulated: skips likelier for artists the user plays less (see hetrec_log)",
    }
    provenance["plays"] = (f"simulated count: {scale:g} x the user's real all-time plays, "
                           f"drawn per artist in proportion to real counts")
    return ListeningLog("hetrec-2k", _finish(frame), provenance)
