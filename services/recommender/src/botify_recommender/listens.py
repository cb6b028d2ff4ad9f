"""The first step on every ``listens`` partition: decode, validate, drop duplicates, join the catalog.

Pure: it turns the raw records of one partition into :class:`~botify_recommender.stages.Listen` values plus the
dead letters and duplicate count of the batch; the engine produces the dead letters in the same transaction.

>>> from botify_core.codecs import codec_for
>>> from botify_recommender.catalog import Catalog
>>> intake = ListenIntake(Catalog(), dedup_horizon_ms=3_600_000)
>>> good = codec_for(ListenEvent).encode(ListenEvent(event_id="e1", user_id="u1", track_id="t1",
...     event_time_ms=1_000, ms_played=5_000, track_duration_ms=10_000))
>>> batch = intake.take([Raw(b"u1", good, 7), Raw(b"u1", good, 8), Raw(b"u1", b"\\xff", 9)])
>>> [l.track_id for l in batch.listens], batch.duplicates, [d.offset for d in batch.dead]
(['t1'], 1, [9])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.proto.botify.v1.stream_pb2 import StateEntry
from botify_recommender.catalog import Catalog
from botify_recommender.dedup import SeenIds
from botify_recommender.stages import Listen

_CODEC = codec_for(ListenEvent)
WATERMARK_KEY = "watermark"


class InvalidListenError(ValueError):
    """A listen that decodes but breaks the rules of docs/events.md."""


def check(event: ListenEvent) -> None:
    """Raise :class:`InvalidListenError` naming what is wrong (``ms_played`` above the duration is clamped)."""
    problems = [name for name, bad in (
        ("event_id is empty (needed to drop resends)", not event.event_id),
        ("user_id is empty", not event.user_id),
        ("track_id is empty", not event.track_id),
        (f"event_time_ms must be > 0, got {event.event_time_ms}", event.event_time_ms <= 0),
        (f"track_duration_ms must be > 0, got {event.track_duration_ms}", event.track_duration_ms <= 0),
        (f"ms_played must be >= 0, got {event.ms_played}", event.ms_played < 0),
    ) if bad]
    if problems:
        raise InvalidListenError("invalid ListenEvent: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class Raw:
    key: bytes | None
    value: bytes | None
    offset: int


@dataclass(frozen=True, slots=True)
class Rejected:
    raw: Raw
    offset: int
    error: str


@dataclass
class IntakeBatch:
    listens: list[Listen] = field(default_factory=list)
    dead: list[Rejected] = field(default_factory=list)
    duplicates: int = 0


class ListenIntake:
    """One partition's decoder, validator and deduplicator (its state: the seen ids and the watermark)."""

    def __init__(self, catalog: Catalog, dedup_horizon_ms: int) -> None:
        self.catalog = catalog
        self.seen = SeenIds(dedup_horizon_ms)
        self.watermark_ms = 0

    def take(self, records: Sequence[Raw]) -> IntakeBatch:
        batch = IntakeBatch()
        for raw in records:
            try:
                event = _CODEC.decode(raw.value)
                check(event)
            except (CodecError, InvalidListenError) as exc:
                batch.dead.append(Rejected(raw, raw.offset, str(exc)))
                continue
            if not self.seen.admit(event.event_id, event.event_time_ms):
                batch.duplicates += 1
                continue
            self.watermark_ms = max(self.watermark_ms, event.event_time_ms)
            info = self.catalog.get(event.track_id)
            duration = event.track_duration_ms
            batch.listens.append(Listen(event, info.genres if info else self.catalog.genres(event.track_id),
                                        info is not None, min(event.ms_played, duration), duration))
        return batch

    def restore(self, key: str, entry: StateEntry) -> None:
        if key == WATERMARK_KEY:
            self.watermark_ms = entry.watermark_ms
        else:
            self.seen.restore(key.removeprefix("seen/"), entry)

    def changes(self) -> dict[str, StateEntry | None]:
        out: dict[str, StateEntry | None] = {f"seen/{k}": v for k, v in self.seen.changes(self.watermark_ms).items()}
        if out:
            out[WATERMARK_KEY] = StateEntry(watermark_ms=self.watermark_ms)
        return out
