"""Live genre trends: the gateway's view of ``genre-trends`` (pure: snapshots in, popularity and top tracks out).

What the stream processor publishes (``botify_recommender.trend_totals``): for every (window, window start, genre)
whose totals changed, one :class:`TrendSnapshot` with the exact totals over all ``listens`` partitions (not a
per-partition count), keyed ``<window>/<genre>``. Hopping windows (``1h`` every 10 min, ``1d`` every hour) mean
several starts of one window hold the same instant and share that key, so the board keeps every start it has seen
per (window, genre) and drops the ones that no longer hold "now".

"Now" is the newest event time the snapshots reveal, never the wall clock, so a replay of 2008 listens shows 2008's
trends: a window starts at or before the newest listen it counts, so the latest start seen in any window is a lower
bound of the newest event time, within the shortest window step (one minute by default). The current window of a
length is the oldest of its starts that still holds now: for a hopping window, the one that has counted most of the
trailing period; when none holds now (no listens of late), the newest one.

>>> board = TrendBoard()
>>> board.apply(TrendSnapshot(window="1m", window_start_ms=60_000, window_end_ms=120_000, genre="rock",
...                           plays=3, minutes=7.5, top_tracks=[TrackPlays(track_id="t1", plays=3, minutes=7.5)]))
True
>>> board.apply(TrendSnapshot(window="1m", window_start_ms=60_000, window_end_ms=120_000, genre="jazz",
...                           plays=5, minutes=2.0))
True
>>> [(g.genre, g.plays) for g in board.popularity("1m", Metric.PLAYS).genres]
[('jazz', 5), ('rock', 3)]
>>> [(g.genre, g.share) for g in board.popularity("1m", Metric.MINUTES).genres]
[('rock', 0.7894736842105263), ('jazz', 0.21052631578947367)]
>>> board.top_tracks("1m", "rock", n=5).tracks
(TrackCount(track_id='t1', plays=3, minutes=7.5),)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot

#: The stream processor's default windows (``BOTIFY_RECOMMENDER_WINDOWS``) and their lengths: always valid here,
#: even before their first snapshot; windows seen in the topic are valid too.
DEFAULT_WINDOWS: dict[str, int] = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}


class Metric(StrEnum):
    PLAYS = "plays"
    MINUTES = "minutes"


class UnknownWindowError(ValueError):
    """A window name that is neither a default nor seen in ``genre-trends``."""

    def __init__(self, window: str, valid: list[str]) -> None:
        self.window = window
        self.valid = valid
        super().__init__(f"unknown window {window!r}; valid windows: {', '.join(valid)}")


class UnknownGenreError(KeyError):
    """A genre no snapshot of the window has mentioned."""

    def __init__(self, genre: str, window: str, known: list[str]) -> None:
        self.genre = genre
        self.known = known
        shown = ", ".join(known) if known else "none yet"
        super().__init__(f"no trends for genre {genre!r} in window {window!r}; genres with trends: {shown}")

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidSnapshotError(ValueError):
    """A TrendSnapshot that cannot be placed (no window or genre, or an empty window)."""


@dataclass(frozen=True, slots=True)
class TrackCount:
    track_id: str
    plays: int
    minutes: float


@dataclass(frozen=True, slots=True)
class _Entry:
    """One snapshot of one (window, start, genre), as stored."""

    start_ms: int
    end_ms: int
    plays: int
    minutes: float
    top_tracks: tuple[TrackCount, ...]


@dataclass(frozen=True, slots=True)
class GenreTrend:
    genre: str
    plays: int
    minutes: float
    share: float                        # of the window's total by the chosen metric (0 when the total is 0)
    top_tracks: tuple[TrackCount, ...]


@dataclass(frozen=True, slots=True)
class Popularity:
    """Genres of one window, most popular first by ``metric`` (ties by name)."""

    window: str
    metric: Metric
    window_start_ms: int | None         # None: no snapshot of this window yet
    window_end_ms: int | None
    now_ms: int | None
    total_plays: int
    total_minutes: float
    genres: tuple[GenreTrend, ...]


@dataclass(frozen=True, slots=True)
class GenreTracks:
    window: str
    genre: str
    window_start_ms: int | None
    window_end_ms: int | None
    plays: int
    minutes: float
    tracks: tuple[TrackCount, ...]      # most played first, as the stream processor ranked them


def _entry(snapshot: TrendSnapshot) -> _Entry:
    return _Entry(start_ms=snapshot.window_start_ms, end_ms=snapshot.window_end_ms, plays=snapshot.plays,
                  minutes=snapshot.minutes, top_tracks=tuple(_track(t) for t in snapshot.top_tracks))


def _track(track: TrackPlays) -> TrackCount:
    return TrackCount(track_id=track.track_id, plays=track.plays, minutes=track.minutes)


class TrendBoard:
    """The newest snapshot per (window, genre, start), now by event time, and the views of the current windows.

    ``version`` grows by one whenever what the board shows may have changed, so a stream can tell.
    """

    def __init__(self) -> None:
        self._windows: dict[str, dict[str, dict[int, _Entry]]] = {}   # window -> genre -> start -> entry
        self._sizes: dict[str, int] = {}
        self.now_ms: int | None = None
        self.version = 0

    def apply(self, snapshot: TrendSnapshot) -> bool:
        """Take one snapshot; True when it changed the board (a resend of the same totals does not)."""
        if not snapshot.window or not snapshot.genre:
            raise InvalidSnapshotError(f"a TrendSnapshot needs a window and a genre, got window "
                                       f"{snapshot.window!r} and genre {snapshot.genre!r}")
        size = snapshot.window_end_ms - snapshot.window_start_ms
        if size <= 0:
            raise InvalidSnapshotError(f"window {snapshot.window} of {snapshot.genre} ends at "
                                       f"{snapshot.window_end_ms}, not after its start {snapshot.window_start_ms}")
        entry = _entry(snapshot)
        starts = self._windows.setdefault(snapshot.window, {}).setdefault(snapshot.genre, {})
        if starts.get(entry.start_ms) == entry:
            return False
        starts[entry.start_ms] = entry
        self._sizes[snapshot.window] = size
        if self.now_ms is None or entry.start_ms > self.now_ms:
            self.now_ms = entry.start_ms
        self._prune(starts)
        self.version += 1
        return True

    def remove(self, window: str, genre: str) -> bool:
        """Forget a (window, genre), as a tombstone on its key asks; True when there was something to forget."""
        genres = self._windows.get(window, {})
        if genres.pop(genre, None) is None:
            return False
        self.version += 1
        return True

    def _prune(self, starts: dict[int, _Entry]) -> None:
        """Drop the starts that ended by now, keeping the newest (it is shown when no start holds now)."""
        newest = max(starts)
        assert self.now_ms is not None
        for start in [s for s, e in starts.items() if e.end_ms <= self.now_ms and s != newest]:
            del starts[start]

    def windows(self) -> list[str]:
        """Every valid window name, shortest first: the defaults and those seen."""
        sizes = DEFAULT_WINDOWS | self._sizes
        return sorted(sizes, key=lambda name: (sizes[name], name))

    def _genres(self, window: str) -> dict[str, dict[int, _Entry]]:
        if window not in self._windows and window not in DEFAULT_WINDOWS:
            raise UnknownWindowError(window, self.windows())
        return self._windows.get(window, {})

    def current_start(self, window: str) -> int | None:
        """The start of ``window``'s current window: the oldest holding now, else the newest; None before data."""
        genres = self._genres(window)
        starts = {s for by_start in genres.values() for s in by_start}
        if not starts or self.now_ms is None:
            return None
        size = self._sizes[window]
        holding = [s for s in starts if s <= self.now_ms < s + size]
        return min(holding) if holding else max(starts)

    def popularity(self, window: str, metric: Metric, top_n: int = 0) -> Popularity:
        """Genre popularity in the current ``window`` by ``metric``, with up to ``top_n`` top tracks each."""
        genres = self._genres(window)
        start = self.current_start(window)
        entries = [(genre, by_start[start]) for genre, by_start in genres.items()
                   if start is not None and start in by_start]
        total_plays = sum(e.plays for _, e in entries)
        total_minutes = sum(e.minutes for _, e in entries)
        total = total_plays if metric is Metric.PLAYS else total_minutes

        def value(entry: _Entry) -> float:
            return entry.plays if metric is Metric.PLAYS else entry.minutes

        ranked = sorted(entries, key=lambda ge: (-value(ge[1]), ge[0]))
        return Popularity(
            window=window, metric=metric, window_start_ms=start,
            window_end_ms=None if start is None else start + self._sizes[window], now_ms=self.now_ms,
            total_plays=total_plays, total_minutes=total_minutes,
            genres=tuple(GenreTrend(genre=g, plays=e.plays, minutes=e.minutes,
                                    share=value(e) / total if total > 0 else 0.0, top_tracks=e.top_tracks[:top_n])
                         for g, e in ranked))

    def top_tracks(self, window: str, genre: str, n: int) -> GenreTracks:
        """The ``n`` most played tracks of ``genre`` in the current ``window`` (none when it had no plays there).

        Raises :class:`UnknownGenreError` when no snapshot of the window ever named the genre.
        """
        genres = self._genres(window)
        if genre not in genres:
            raise UnknownGenreError(genre, window, sorted(genres))
        start = self.current_start(window)
        entry = genres[genre].get(start) if start is not None else None
        return GenreTracks(window=window, genre=genre, window_start_ms=start,
                           window_end_ms=None if start is None else start + self._sizes[window],
                           plays=entry.plays if entry else 0, minutes=entry.minutes if entry else 0.0,
                           tracks=entry.top_tracks[:n] if entry else ())
