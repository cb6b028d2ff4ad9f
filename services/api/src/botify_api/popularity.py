"""What the trending and popular candidate sources read of ``genre-trends``: the trends board's current window of
one length (``BOTIFY_API_TRENDING_WINDOW``), by event time. The board (:mod:`botify_api.trends`) is the one state the
gateway keeps of that topic; this view only ranks it for the sources, once per change of the board.

>>> board = TrendBoard()
>>> _ = board.apply(TrendSnapshot(window="1h", window_start_ms=0, window_end_ms=3_600_000, genre="jazz", plays=5,
...     top_tracks=[TrackPlays(track_id="t1", plays=3), TrackPlays(track_id="t2", plays=2)]))
>>> heat = GenreHeat(board, "1h")
>>> heat.genres(), heat.top_tracks("jazz"), heat.top_tracks("polka"), heat.popular(1)
([('jazz', 5)], [('t1', 3), ('t2', 2)], [], [('t1', 3)])
"""

from __future__ import annotations

import contextlib

from botify_api.trends import GenreTrend, Metric, TrendBoard, UnknownWindowError
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot

__all__ = ["GenreHeat", "TrackPlays", "TrendSnapshot"]


class GenreHeat:
    def __init__(self, board: TrendBoard, window: str) -> None:
        self.board = board
        self.window = window
        self._version = -1
        self._genres: list[tuple[str, int]] = []
        self._tracks: dict[str, list[tuple[str, int]]] = {}
        self._popular: list[tuple[str, int]] = []

    def _refresh(self) -> None:
        if self._version == self.board.version:
            return
        genres: tuple[GenreTrend, ...] = ()
        with contextlib.suppress(UnknownWindowError):  # a window nobody publishes: nothing trends in it
            genres = self.board.popularity(self.window, Metric.PLAYS, top_n=1000).genres
        self._genres = [(g.genre, g.plays) for g in genres]
        self._tracks = {g.genre: [(t.track_id, t.plays) for t in g.top_tracks] for g in genres}
        plays: dict[str, int] = {}
        for tracks in self._tracks.values():
            for track_id, count in tracks:
                plays[track_id] = max(plays.get(track_id, 0), count)
        self._popular = sorted(plays.items(), key=lambda item: (-item[1], item[0]))
        self._version = self.board.version

    @property
    def version(self) -> int:
        """The board's version this view shows: what it answers changes only when this does."""
        self._refresh()
        return self._version

    def genres(self) -> list[tuple[str, int]]:
        """(genre, plays) of the current window, most played first."""
        self._refresh()
        return self._genres

    def top_tracks(self, genre: str) -> list[tuple[str, int]]:
        """(track id, plays) of ``genre`` in the current window, most played first; none for an unknown genre."""
        self._refresh()
        return self._tracks.get(genre, [])

    def popular(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` most played tracks over every genre's top tracks (a track in several genres counted once)."""
        self._refresh()
        return self._popular[:n]
