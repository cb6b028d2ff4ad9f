"""Genre trends, listens side: fold a partition's listens into per-(window, genre) deltas by event time.

Listens are keyed by user, trends by genre, so each ``listens`` partition counts what it sees and sends the counts
of each flush as :class:`TrendDelta` records keyed ``<window>/<genre>`` to ``trend-deltas``, in the same transaction
as the offsets they reflect; the partition that owns the key sums them exactly
(:mod:`botify_recommender.trend_totals`). A listen is in every window of a length that holds it and is still open:
consecutive starts, a *run* (six for an hour every 10 minutes, 24 for a day every hour). A delta carries the counts
of one run, not of each window in it, so what a listen costs here and on the owner's changelog does not grow with
the number of hopping windows.

Late and out-of-order events. Each partition keeps a watermark: the newest event time it has seen. A listen counts
in every window that holds its event time and is still open, that is whose end plus ``grace_ms`` is after the
watermark (after the listen itself raised it). So events out of order by less than the grace are all counted, in
their own windows; an event later than that still counts in its longer windows that are open and is dropped from
the closed ones, which :attr:`TrendPartials.late` counts (the ``late`` metric). Nothing is counted by arrival time.

Unknown tracks. A listen of a track the catalog does not know is counted under genre ``unknown`` and remembered.
When the track arrives in the catalog, the next flush moves it: in every window still open, ``unknown`` loses its
plays and minutes and each of the track's genres gains them (two deltas, so sums stay exact). In windows closed by
then it stays under ``unknown``. A remembered listen is forgotten once all its windows are closed.

>>> from botify_recommender.windows import WindowSpec
>>> partials = TrendPartials((WindowSpec("1m", 60_000, 60_000),), grace_ms=0)
>>> partials.add(t_ms=61_000, genres=("rock",), track_id="t1", ms_played=30_000)
>>> partials.add(t_ms=5_000, genres=("rock",), track_id="t1", ms_played=30_000)    # its window closed: late
>>> [(d.window_start_ms, d.last_window_start_ms, d.genre, d.plays, d.ms_played) for d in partials.take_deltas()]
[(60000, 60000, 'rock', 1, 30000)]
>>> partials.late
1
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from botify_core.proto.botify.v1.stream_pb2 import PendingListens, StateEntry, TrackDelta, TrendDelta
from botify_core.topics import Topic
from botify_recommender import metrics
from botify_recommender.catalog import UNKNOWN, Catalog
from botify_recommender.stages import Emit, Listen, PartitionContext
from botify_recommender.windows import WindowSpec

WATERMARK_KEY = "watermark"


@dataclass(slots=True)
class _Count:
    plays: int = 0
    ms_played: int = 0
    tracks: dict[str, list[int]] = field(default_factory=dict)   # track -> [plays, ms]

    def add(self, track_id: str, plays: int, ms_played: int) -> None:
        self.plays += plays
        self.ms_played += ms_played
        entry = self.tracks.setdefault(track_id, [0, 0])
        entry[0] += plays
        entry[1] += ms_played


class TrendPartials:
    """Pure core: the counts one partition adds per (window, start, genre) since the last :meth:`take_deltas`."""

    def __init__(self, windows: Sequence[WindowSpec], grace_ms: int) -> None:
        self.windows = tuple(windows)
        self.grace_ms = grace_ms
        self.watermark_ms = -(2**62)
        self.late = 0                         # (listen, window) pairs dropped because the window had closed
        # counts per run of consecutive windows (name, first start, last start, genre): a listen is in every window
        # of one run, so per-listen work does not grow with the number of hopping windows
        self._runs: dict[tuple[str, int, int, str], _Count] = defaultdict(_Count)

    def observe(self, t_ms: int) -> None:
        self.watermark_ms = max(self.watermark_ms, t_ms)

    def add(self, t_ms: int, genres: Sequence[str], track_id: str, ms_played: int, plays: int = 1,
            observe: bool = True) -> None:
        """Count a listen (``plays=-1`` and negative ``ms_played`` take one back) in its open windows."""
        if observe:
            self.observe(t_ms)
        for spec in self.windows:
            step = spec.step_ms
            last = t_ms - t_ms % step
            first = last - spec.size_ms + step
            # open: start + size + grace > watermark, i.e. start >= oldest_open
            oldest_open = self.watermark_ms - spec.size_ms - self.grace_ms + 1
            if oldest_open > first:
                skipped = min(-(-(oldest_open - first) // step), (last - first) // step + 1)
                first += skipped * step
                if observe:            # a resolution re-count is not a new late listen
                    self.late += skipped
            if first > last:
                continue
            for genre in genres:
                self._runs[(spec.name, first, last, genre)].add(track_id, plays, ms_played)

    def horizon_ms(self) -> int:
        """Events before this time have no open window left."""
        return self.watermark_ms - self.grace_ms - max(s.size_ms for s in self.windows)

    def take_deltas(self) -> list[TrendDelta]:
        """The counts since the last call, one delta per (window length, run of starts, genre)."""
        sizes = {s.name: s.size_ms for s in self.windows}
        deltas = [TrendDelta(window=w, window_start_ms=first, last_window_start_ms=last, window_end_ms=last + sizes[w],
                             genre=genre, plays=c.plays, ms_played=c.ms_played,
                             tracks=[TrackDelta(track_id=t, plays=p, ms_played=m) for t, (p, m) in c.tracks.items()
                                     if p or m])
                  for (w, first, last, genre), c in self._runs.items() if c.plays or c.ms_played or c.tracks]
        self._runs.clear()
        return deltas


def delta_key(delta: TrendDelta) -> str:
    """All runs of one window length and genre go to one owner, which sums them into each window."""
    return f"{delta.window}/{delta.genre}"


class TrendsState:
    """The trends stage on one ``listens`` partition: partial counts out, unknown tracks remembered and resolved."""

    def __init__(self, context: PartitionContext) -> None:
        settings = context.settings
        self.catalog: Catalog = context.catalog
        self.partials = TrendPartials(settings.window_specs(), settings.grace_ms)
        self.pending: dict[str, list[tuple[int, int]]] = {}
        self._catalog_version = -1
        self._dirty: set[str] = set()          # tracks whose pending listens changed
        self._watermark_dirty = False

    def restore(self, key: str, entry: StateEntry) -> None:
        if key == WATERMARK_KEY:
            self.partials.watermark_ms = entry.watermark_ms
        else:
            track = key.removeprefix("pending/")
            self.pending[track] = list(zip(entry.pending.event_time_ms, entry.pending.ms_played, strict=True))

    def fold(self, batch: Sequence[Listen], out: list[Emit]) -> None:
        late = self.partials.late
        for listen in batch:
            self.partials.add(listen.time_ms, listen.genres, listen.track_id, listen.ms_played)
            if not listen.known:
                self.pending.setdefault(listen.track_id, []).append((listen.time_ms, listen.ms_played))
                self._dirty.add(listen.track_id)
        self._watermark_dirty = self._watermark_dirty or bool(batch)
        metrics.LATE.inc(self.partials.late - late)

    def resolve(self) -> None:
        """Move the remembered listens of tracks the catalog now knows from ``unknown`` to their genres."""
        if self.catalog.version == self._catalog_version:
            return
        self._catalog_version = self.catalog.version
        for track in list(self.pending):
            info = self.catalog.get(track)
            if info is None:
                continue
            for t_ms, ms in self.pending.pop(track):
                self.partials.add(t_ms, (UNKNOWN,), track, -ms, plays=-1, observe=False)
                self.partials.add(t_ms, info.genres, track, ms, observe=False)
            self._dirty.add(track)

    def expire(self) -> None:
        horizon = self.partials.horizon_ms()
        for track in list(self.pending):
            kept = [(t, ms) for t, ms in self.pending[track] if t >= horizon]
            if len(kept) != len(self.pending[track]):
                self._dirty.add(track)
                if kept:
                    self.pending[track] = kept
                else:
                    del self.pending[track]

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        self.resolve()
        self.expire()
        out.extend(Emit(Topic.TREND_DELTAS, delta_key(d), d) for d in self.partials.take_deltas())

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = {}
        if self._watermark_dirty:
            result[WATERMARK_KEY] = StateEntry(watermark_ms=self.partials.watermark_ms)
            self._watermark_dirty = False
        for key in self._dirty:
            if key in self.pending:
                times, played = zip(*self.pending[key], strict=True)
                result[f"pending/{key}"] = StateEntry(pending=PendingListens(event_time_ms=times, ms_played=played))
            else:
                result[f"pending/{key}"] = None
        self._dirty.clear()
        return result


class TrendsStage:
    name = "trends"
    source = Topic.LISTENS

    def open(self, partition: int, context: PartitionContext) -> TrendsState:
        return TrendsState(context)
