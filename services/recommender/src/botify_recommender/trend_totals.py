"""Genre trends, owner side: sum the deltas of every ``listens`` partition and publish ``TrendSnapshot``s.

Each partition of ``trend-deltas`` owns the (window, start, genre) keys that hash to it. Its state holds the exact
totals (plays, integer milliseconds played, per-track counts) of those keys; it is changed only by deltas consumed
in a transaction, so every delta is summed exactly once. Changed keys are published to ``genre-trends`` (key
``<window>/<genre>``) at most every ``snapshot_interval_ms``, with the top-N tracks.

The changelog holds a key's totals and each of its tracks' counts as separate entries (``<window>/<start>/<genre>``
and ``.../t/<track>``), so a flush writes only the tracks that changed, not a day window's every track; restoring
sums the latest entry of every key. The top-N is kept incrementally: while counts only grow, the new top is among
the old top and the tracks that just grew (a negative delta, from an unknown track moving to its genres, makes the
next one a full sort).

Retention by event time: per window length, the owner forgets a window that starts more than ``trend_retention_ms``
before the newest window of that length it has seen; a delta that still arrives for it is dropped and counted in
:attr:`TrendTotalsState.dropped` (it can only come from a ``listens`` partition that far behind the others, in
event time: keep the retention above the skew a replay can build up between partitions).

>>> totals = Totals()
>>> totals.add(TrendDelta(plays=2, ms_played=90_000, tracks=[TrackDelta(track_id="a", plays=2, ms_played=90_000)]))
>>> totals.add(TrendDelta(plays=1, ms_played=60_000, tracks=[TrackDelta(track_id="b", plays=1, ms_played=60_000)]))
>>> totals.plays, totals.ms_played, [t.track_id for t in totals.top(1)]
(3, 150000, ['a'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from botify_core.proto.botify.v1.stream_pb2 import StateEntry, TrackDelta, TrendDelta, TrendTotals
from botify_core.proto.botify.v1.trends_pb2 import TrackPlays, TrendSnapshot
from botify_core.topics import Topic
from botify_recommender import metrics
from botify_recommender.stages import Emit, Keyed, PartitionContext
from botify_recommender.windows import WindowSpec

MS_PER_MINUTE = 60_000.0


@dataclass(slots=True)
class Totals:
    plays: int = 0
    ms_played: int = 0
    tracks: dict[str, list[int]] = field(default_factory=dict)
    _top: list[str] | None = None                               # the last top-N, None: sort them all next time
    _grown: set[str] = field(default_factory=set)               # tracks grown since

    def add(self, delta: TrendDelta | TrendTotals) -> None:
        self.plays += delta.plays
        self.ms_played += delta.ms_played
        for track in delta.tracks:
            entry = self.tracks.setdefault(track.track_id, [0, 0])
            entry[0] += track.plays
            entry[1] += track.ms_played
            if track.plays < 0 or track.ms_played < 0:
                self._top = None
            elif self._top is not None:
                self._grown.add(track.track_id)
            if entry == [0, 0]:
                del self.tracks[track.track_id]

    def top(self, n: int) -> list[TrackPlays]:
        tracks = self.tracks
        pool: Iterable[str] = tracks if self._top is None or len(self._top) != min(n, len(tracks)) else \
            {t for t in (*self._top, *self._grown) if t in tracks}
        best = sorted(pool, key=lambda t: (-tracks[t][0], -tracks[t][1], t))[:n]
        self._top, self._grown = best, set()
        return [TrackPlays(track_id=t, plays=tracks[t][0], minutes=tracks[t][1] / MS_PER_MINUTE) for t in best]


Key = tuple[str, int, str]   # window, start, genre


class TrendTotalsState:
    def __init__(self, context: PartitionContext) -> None:
        settings = context.settings
        self.specs: dict[str, WindowSpec] = {s.name: s for s in settings.window_specs()}
        self.retention_ms = settings.trend_retention_ms
        self.top_n = settings.top_tracks
        self.interval_ms = settings.snapshot_interval_ms
        self.totals: dict[Key, Totals] = {}
        self.newest: dict[str, int] = {}          # window name -> newest start seen
        self.dropped = 0
        self._changed: dict[Key, set[str]] = {}   # not written to the changelog yet: key -> its changed tracks
        self._newest_changed: set[str] = set()
        self._unpublished: set[Key] = set()
        self._last_publish_ms = 0

    def _oldest_kept(self, window: str) -> int:
        return self.newest[window] - self.retention_ms

    def restore(self, key: str, entry: StateEntry) -> None:
        if entry.HasField("trend"):
            t = entry.trend
            k = (t.window, t.window_start_ms, t.genre)
            self.totals.setdefault(k, Totals()).add(t)   # the key's totals and each track's counts: they sum
            self._unpublished.add(k)            # a snapshot may have been due when the predecessor stopped
            if t.tracks and key == entry_key(k):   # written before tracks had entries of their own: split it
                self._changed.setdefault(k, set()).update(track.track_id for track in t.tracks)
        else:
            self.newest[key.removeprefix("newest/")] = entry.watermark_ms

    def fold(self, batch: Sequence[Keyed], out: list[Emit]) -> None:
        for record in batch:
            delta: TrendDelta = record.value
            w = delta.window
            if w not in self.specs:
                self.dropped += 1
                metrics.TREND_DROPPED.inc()
                continue
            if delta.window_start_ms > self.newest.get(w, -(2**62)):
                self.newest[w] = delta.window_start_ms
                self._newest_changed.add(w)
            if delta.window_start_ms < self._oldest_kept(w):
                self.dropped += 1
                metrics.TREND_DROPPED.inc()
                continue
            k = (w, delta.window_start_ms, delta.genre)
            self.totals.setdefault(k, Totals()).add(delta)
            self._changed.setdefault(k, set()).update(track.track_id for track in delta.tracks)
            self._unpublished.add(k)

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        if not self._unpublished or now_ms - self._last_publish_ms < self.interval_ms:
            return
        self._last_publish_ms = now_ms
        for w, start, genre in sorted(self._unpublished):
            totals = self.totals.get((w, start, genre))
            if totals is None:
                continue
            out.append(Emit(Topic.GENRE_TRENDS, f"{w}/{genre}", TrendSnapshot(
                window=w, window_start_ms=start, window_end_ms=start + self.specs[w].size_ms, genre=genre,
                plays=totals.plays, minutes=totals.ms_played / MS_PER_MINUTE, top_tracks=totals.top(self.top_n),
                updated_at_ms=now_ms)))
        self._unpublished.clear()

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {}
        for w in self._newest_changed:   # only a newer window moves the retention horizon
            result[f"newest/{w}"] = StateEntry(watermark_ms=self.newest[w])
            oldest = self._oldest_kept(w)
            for k in [k for k in self.totals if k[0] == w and k[1] < oldest]:
                prefix = entry_key(k)
                result[prefix] = None
                # its tracks, and those that went to zero since the last flush (no longer in its tracks)
                tracks = set(self.totals.pop(k).tracks) | self._changed.pop(k, set())
                result.update((f"{prefix}/t/{t}", None) for t in tracks)
                self._unpublished.discard(k)
        self._newest_changed.clear()
        for k, tracks in self._changed.items():
            w, start, genre = k
            totals = self.totals[k]
            end = start + self.specs[w].size_ms
            prefix = entry_key(k)
            result[prefix] = StateEntry(trend=TrendTotals(window=w, window_start_ms=start, window_end_ms=end,
                                                          genre=genre, plays=totals.plays,
                                                          ms_played=totals.ms_played))
            for t in tracks:
                counts = totals.tracks.get(t)
                result[f"{prefix}/t/{t}"] = None if counts is None else StateEntry(trend=TrendTotals(
                    window=w, window_start_ms=start, window_end_ms=end, genre=genre,
                    tracks=[TrackDelta(track_id=t, plays=counts[0], ms_played=counts[1])]))
        self._changed.clear()
        return result


def entry_key(key: Key) -> str:
    """The changelog key of a (window, start, genre)'s totals; its tracks' counts are under ``<this>/t/<track>``."""
    window, start, genre = key
    return f"{window}/{start}/{genre}"


class TrendTotalsStage:
    name = "trend-totals"
    source = Topic.TREND_DELTAS

    def open(self, partition: int, context: PartitionContext) -> TrendTotalsState:
        return TrendTotalsState(context)
