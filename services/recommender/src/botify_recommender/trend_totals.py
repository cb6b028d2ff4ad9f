"""Genre trends, owner side: sum the deltas of every ``listens`` partition and publish ``TrendSnapshot``s.

Each partition of ``trend-deltas`` owns the (window length, genre) keys that hash to it. A delta adds its counts to a
*run* of consecutive windows (:mod:`botify_recommender.trends`); the owner's state is the exact sum per run (plays,
integer milliseconds played, per-track counts), changed only by deltas consumed in a transaction, so every delta is
summed exactly once. Each window's totals are the sum of the runs that cover it, kept alongside in memory (and
summed again from the runs on restore). Changed windows are published to ``genre-trends`` (key ``<window>/<genre>``)
with the top-N tracks: the current window of each length (the oldest holding the newest event time) and the one
before it every ``snapshot_interval_ms`` (:class:`~botify_recommender.stages.Cadence`), the other changed ones every
``snapshot_others_interval_ms``.

The changelog holds a run's totals and each of its tracks' counts as separate entries
(``<window>/<first>/<last>/<genre>`` and ``.../t/<track>``), so a flush writes only the runs and tracks that changed:
a listen costs one run per window length (three by default), not one entry per window that holds it (31). Restoring
sums the latest entry of every key. Entries written by a version that kept each window apart (key
``<window>/<start>/<genre>``, no last start) are one-window runs: they restore exactly and are rewritten in this
layout at the next flush. The top-N is kept incrementally: while counts only grow, the new top is among the old top
and the tracks that just grew (a negative delta, from an unknown track moving to its genres, makes the next one a
full sort).

Retention by event time: per window length, the owner forgets a window that starts more than ``trend_retention_ms``
before the newest window of that length it has seen, and a run once its last window is forgotten; a delta whose
windows are all forgotten is dropped and counted in :attr:`TrendTotalsState.dropped` (it can only come from a
``listens`` partition that far behind the others, in event time: keep the retention above the skew a replay can
build up between partitions), as is one for a window length not configured or a malformed run.

>>> totals = Totals()
>>> totals.add(Counts.of(TrendDelta(plays=2, ms_played=90_000,
...                                 tracks=[TrackDelta(track_id="a", plays=2, ms_played=90_000)])))
>>> totals.add(Counts.of(TrendDelta(plays=1, ms_played=60_000,
...                                 tracks=[TrackDelta(track_id="b", plays=1, ms_played=60_000)])))
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
from botify_recommender.stages import Cadence, Emit, Keyed, PartitionContext
from botify_recommender.windows import WindowSpec

MS_PER_MINUTE = 60_000.0


@dataclass(frozen=True, slots=True)
class Counts:
    """A delta's or a changelog entry's counts, read out of protobuf once: a delta is added to its run and to every
    window the run covers (up to 25 times), and reading the message's fields each time was most of that."""

    plays: int
    ms_played: int
    tracks: tuple[tuple[str, int, int], ...]    # (track, plays, ms played)

    @classmethod
    def of(cls, message: TrendDelta | TrendTotals) -> Counts:
        return cls(message.plays, message.ms_played, tuple((t.track_id, t.plays, t.ms_played) for t in message.tracks))


@dataclass(slots=True)
class Totals:
    plays: int = 0
    ms_played: int = 0
    tracks: dict[str, list[int]] = field(default_factory=dict)
    _top: list[str] | None = None                               # the last top-N, None: sort them all next time
    _grown: set[str] = field(default_factory=set)               # tracks grown since

    def add(self, counts: Counts) -> None:
        self.plays += counts.plays
        self.ms_played += counts.ms_played
        tracks, shrunk = self.tracks, False
        for track_id, plays, ms_played in counts.tracks:
            entry = tracks.get(track_id)
            if entry is None:
                entry = tracks[track_id] = [plays, ms_played]
            else:
                entry[0] += plays
                entry[1] += ms_played
            if plays < 0 or ms_played < 0:
                shrunk = True
            if not entry[0] and not entry[1]:
                del tracks[track_id]
        if shrunk:
            self._top = None
        elif self._top is not None:
            self._grown.update(track_id for track_id, _, _ in counts.tracks)

    def top(self, n: int) -> list[TrackPlays]:
        tracks = self.tracks
        pool: Iterable[str] = tracks if self._top is None or len(self._top) != min(n, len(tracks)) else \
            {t for t in (*self._top, *self._grown) if t in tracks}
        best = sorted(pool, key=lambda t: (-tracks[t][0], -tracks[t][1], t))[:n]
        self._top, self._grown = best, set()
        return [TrackPlays(track_id=t, plays=tracks[t][0], minutes=tracks[t][1] / MS_PER_MINUTE) for t in best]


Key = tuple[str, int, str]          # window, start, genre
RunKey = tuple[str, int, int, str]  # window, first start, last start, genre


def run_of(counts: TrendDelta | TrendTotals) -> RunKey:
    last = counts.last_window_start_ms if counts.HasField("last_window_start_ms") else counts.window_start_ms
    return counts.window, counts.window_start_ms, last, counts.genre


class TrendTotalsState:
    def __init__(self, context: PartitionContext) -> None:
        settings = context.settings
        self.specs: dict[str, WindowSpec] = {s.name: s for s in settings.window_specs()}
        self.retention_ms = settings.trend_retention_ms
        self.top_n = settings.top_tracks
        self.publishing = Cadence(settings.snapshot_interval_ms, settings.commit_interval_ms)
        self.publishing_others = Cadence(max(settings.snapshot_others_interval_ms, settings.snapshot_interval_ms),
                                         settings.commit_interval_ms)
        self.runs: dict[RunKey, Totals] = {}      # the state the changelog holds
        self.totals: dict[Key, Totals] = {}       # each window: the sum of the runs that cover it
        self.newest: dict[str, int] = {}          # window name -> newest start seen
        self.dropped = 0
        self._changed: dict[RunKey, set[str]] = {}   # not written to the changelog yet: run -> its changed tracks
        self._obsolete: set[str] = set()             # entries of the older layout, deleted at the next flush
        self._rewrite: set[RunKey] = set()           # runs restored from them, written whole at the next flush
        self._newest_changed: set[str] = set()
        self._unpublished: set[Key] = set()

    def _oldest_kept(self, window: str) -> int:
        return self.newest.get(window, -(2**62)) - self.retention_ms

    def _add_to_windows(self, run: RunKey, counts: Counts) -> None:
        w, first, last, genre = run
        oldest = self._oldest_kept(w)
        for start in self.specs[w].run(first, last):
            if start >= oldest:
                key = (w, start, genre)
                self.totals.setdefault(key, Totals()).add(counts)
                self._unpublished.add(key)

    def restore(self, key: str, entry: StateEntry) -> None:
        if entry.HasField("trend"):
            t = entry.trend
            run = run_of(t)
            if run[0] not in self.specs:    # a window length no longer configured: its entries stay as they are
                return
            counts = Counts.of(t)
            self.runs.setdefault(run, Totals()).add(counts)   # the run's totals and each track's counts: they sum
            self._add_to_windows(run, counts)   # unpublished: a snapshot may have been due when the predecessor stopped
            if not t.HasField("last_window_start_ms"):   # the older layout: rewrite the run at the next flush
                self._obsolete.add(key)
                self._rewrite.add(run)
        else:
            self.newest[key.removeprefix("newest/")] = entry.watermark_ms

    def _valid(self, run: RunKey) -> bool:
        """A configured window length, and a run of whole steps no longer than the windows that hold one instant."""
        w, first, last, _ = run
        spec = self.specs.get(w)
        return spec is not None and 0 <= last - first <= spec.size_ms - spec.step_ms and \
            (last - first) % spec.step_ms == 0

    def fold(self, batch: Sequence[Keyed], out: list[Emit]) -> None:
        for record in batch:
            delta: TrendDelta = record.value
            run = run_of(delta)
            w, _, last, _ = run
            if not self._valid(run):
                self.dropped += 1
                metrics.TREND_DROPPED.inc()
                continue
            if last > self.newest.get(w, -(2**62)):
                self.newest[w] = last
                self._newest_changed.add(w)
            if last < self._oldest_kept(w):
                self.dropped += 1
                metrics.TREND_DROPPED.inc()
                continue
            counts = Counts.of(delta)
            self.runs.setdefault(run, Totals()).add(counts)
            self._changed.setdefault(run, set()).update(track_id for track_id, _, _ in counts.tracks)
            self._add_to_windows(run, counts)

    def current_start(self, window: str) -> int | None:
        """The start of the window of this length readers show now: the oldest one that holds the newest event
        time seen (for a tumbling window, the newest)."""
        newest = self.newest.get(window)
        return None if newest is None else newest - (self.specs[window].size_ms - self.specs[window].step_ms)

    def tick(self, now_ms: int, out: list[Emit]) -> None:
        """Publish changed windows: the current one of each length and the one before it at every snapshot, the
        others (hopping windows that will be current later, older ones a late listen changed) at the slower
        ``snapshot_others`` cadence.
        Every hopping window holding the newest listens changes with each (24 starts of a day, 6 of an hour), so
        publishing them all at every snapshot was 31 snapshots per genre, of which readers show 3."""
        if not self._unpublished or not self.publishing.due(now_ms):
            return
        # the current window of each length, and the one just before it: the window that just closed still gets the
        # listens that were in flight when the newest moved on, and its final totals should not wait for `others`
        prompt = {w: (start - self.specs[w].step_ms, start) for w in self.specs
                  if (start := self.current_start(w)) is not None}
        due = sorted(self._unpublished) if self.publishing_others.due(now_ms) else \
            sorted(k for k in self._unpublished if k[0] in prompt and k[1] in prompt[k[0]])
        for key in due:
            w, start, genre = key
            self._unpublished.discard(key)
            totals = self.totals.get(key)
            if totals is None or start < self._oldest_kept(w):
                continue
            out.append(Emit(Topic.GENRE_TRENDS, f"{w}/{genre}", TrendSnapshot(
                window=w, window_start_ms=start, window_end_ms=start + self.specs[w].size_ms, genre=genre,
                plays=totals.plays, minutes=totals.ms_played / MS_PER_MINUTE, top_tracks=totals.top(self.top_n),
                updated_at_ms=now_ms)))

    def changes(self) -> dict[str, StateEntry | None]:
        result: dict[str, StateEntry | None] = dict.fromkeys(self._obsolete)
        self._obsolete.clear()
        for w in self._newest_changed:   # only a newer window moves the retention horizon
            result[f"newest/{w}"] = StateEntry(watermark_ms=self.newest[w])
            oldest = self._oldest_kept(w)
            for k in [k for k in self.totals if k[0] == w and k[1] < oldest]:
                del self.totals[k]
                self._unpublished.discard(k)
            for run in [r for r in self.runs if r[0] == w and r[2] < oldest]:
                prefix = run_key(run)
                result[prefix] = None
                # its tracks, and those that went to zero since the last flush (no longer in its tracks)
                tracks = set(self.runs.pop(run).tracks) | self._changed.pop(run, set())
                result.update((f"{prefix}/t/{t}", None) for t in tracks)
        self._newest_changed.clear()
        for run in self._rewrite & self.runs.keys():
            self._changed.setdefault(run, set()).update(self.runs[run].tracks)
        self._rewrite.clear()
        for run, tracks in self._changed.items():
            w, first, last, genre = run
            totals = self.runs[run]
            end = last + self.specs[w].size_ms
            prefix = run_key(run)
            result[prefix] = StateEntry(trend=TrendTotals(window=w, window_start_ms=first, last_window_start_ms=last,
                                                          window_end_ms=end, genre=genre, plays=totals.plays,
                                                          ms_played=totals.ms_played))
            for t in tracks:
                counts = totals.tracks.get(t)
                result[f"{prefix}/t/{t}"] = None if counts is None else StateEntry(trend=TrendTotals(
                    window=w, window_start_ms=first, last_window_start_ms=last, window_end_ms=end, genre=genre,
                    tracks=[TrackDelta(track_id=t, plays=counts[0], ms_played=counts[1])]))
        self._changed.clear()
        return result


def run_key(run: RunKey) -> str:
    """The changelog key of a run's totals; its tracks' counts are under ``<this>/t/<track>``."""
    window, first, last, genre = run
    return f"{window}/{first}/{last}/{genre}"


class TrendTotalsStage:
    name = "trend-totals"
    source = Topic.TREND_DELTAS

    def open(self, partition: int, context: PartitionContext) -> TrendTotalsState:
        return TrendTotalsState(context)
