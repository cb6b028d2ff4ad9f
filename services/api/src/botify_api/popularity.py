"""What is being played: the newest ``genre-trends`` snapshot of each genre in one window, read by the trending and
popular candidate sources.

>>> heat = GenreHeat("1h")
>>> snap = TrendSnapshot(window="1h", window_start_ms=0, window_end_ms=3_600_000, genre="jazz", plays=5,
...                      top_tracks=[TrackPlays(track_id="t1", plays=3), TrackPlays(track_id="t2", plays=2)])
>>> heat.on_snapshot("1h/jazz", codec_for(TrendSnapshot).encode(snap))
>>> heat.top_tracks("jazz"), heat.popular(1)
([('t1', 3), ('t2', 2)], [('t1', 3)])
"""

from __future__ import annotations

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot

__all__ = ["GenreHeat", "TrackPlays", "TrendSnapshot"]


class GenreHeat:
    """The newest snapshot per genre of window ``window`` (a later window replaces an earlier one; an older
    snapshot arriving late is ignored)."""

    def __init__(self, window: str) -> None:
        self.window = window
        self._snapshots: dict[str, TrendSnapshot] = {}
        self._popular: list[tuple[str, int]] | None = []
        #: newest window end seen: the gateway's "now" in event time
        self.newest_ms = 0

    def on_snapshot(self, key: str, value: bytes | None) -> None:
        """Handler of ``genre-trends`` (key ``<window>/<genre>``)."""
        if value is None:
            window, _, genre = key.partition("/")
            if window == self.window and self._snapshots.pop(genre, None) is not None:
                self._popular = None
            return
        snapshot = codec_for(TrendSnapshot).decode(value)
        if snapshot.window != self.window:
            return
        old = self._snapshots.get(snapshot.genre)
        if old is not None and old.window_start_ms > snapshot.window_start_ms:
            return
        self._snapshots[snapshot.genre] = snapshot
        self.newest_ms = max(self.newest_ms, snapshot.window_end_ms)
        self._popular = None

    def genres(self) -> list[tuple[str, int]]:
        """(genre, plays), most played first."""
        return sorted(((g, int(s.plays)) for g, s in self._snapshots.items()), key=lambda item: (-item[1], item[0]))

    def top_tracks(self, genre: str) -> list[tuple[str, int]]:
        """(track id, plays) of ``genre``'s newest window, most played first."""
        snapshot = self._snapshots.get(genre)
        return [(t.track_id, int(t.plays)) for t in snapshot.top_tracks] if snapshot is not None else []

    def popular(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` most played tracks over every genre's top tracks (a track in several genres counted once)."""
        if self._popular is None:
            plays: dict[str, int] = {}
            for snapshot in self._snapshots.values():
                for track in snapshot.top_tracks:
                    plays[track.track_id] = max(plays.get(track.track_id, 0), int(track.plays))
            self._popular = sorted(plays.items(), key=lambda item: (-item[1], item[0]))
        return self._popular[:n]
