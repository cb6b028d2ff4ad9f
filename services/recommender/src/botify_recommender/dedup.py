"""Drop listens whose ``event_id`` was seen before: ingest is at-least-once and clients resend 503'd batches.

The store is bounded by event time: an id is remembered while its event is within ``horizon_ms`` of the newest
event time seen on the partition (the partition's watermark), so a resend within the horizon is dropped and memory
stays proportional to the events of one horizon. A resend keeps the user id, hence the key and the partition, so a
per-partition store sees every copy. Ids are kept in blocks, one per flush: each block is one changelog record
(written in the transaction with the offsets it reflects) and is deleted as a whole once all its events are older
than the horizon.

>>> seen = SeenIds(horizon_ms=1000)
>>> seen.admit("e1", 5000), seen.admit("e1", 5000), seen.admit("e2", 5000)
(True, False, True)
>>> changes = seen.changes(watermark_ms=5000)
>>> list(changes), list(changes.values())[0].seen.event_ids
(['1'], ['e1', 'e2'])
>>> seen.changes(watermark_ms=6001)          # the block's events are past the horizon: drop it
{'1': None}
>>> seen.admit("e1", 6001)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botify_core.proto.botify.v1.stream_pb2 import SeenEvents, StateEntry


@dataclass(slots=True)
class _Block:
    newest_ms: int
    ids: list[str] = field(default_factory=list)


class SeenIds:
    def __init__(self, horizon_ms: int) -> None:
        self.horizon_ms = horizon_ms
        self._blocks: dict[int, _Block] = {}
        self._owner: dict[str, int] = {}
        self._current: _Block | None = None
        self._next = 1

    def __len__(self) -> int:
        return len(self._owner)

    def admit(self, event_id: str, event_time_ms: int) -> bool:
        """True the first time an id is seen (remember it), False for a duplicate."""
        if event_id in self._owner:
            return False
        if self._current is None:
            self._current = self._blocks[self._next] = _Block(event_time_ms)
            self._next += 1
        self._current.ids.append(event_id)
        self._current.newest_ms = max(self._current.newest_ms, event_time_ms)
        self._owner[event_id] = self._next - 1
        return True

    def changes(self, watermark_ms: int) -> dict[str, StateEntry | None]:
        """Close the current block; return it and the expired blocks (as deletions), keyed by block number."""
        out: dict[str, StateEntry | None] = {}
        if self._current is not None:
            out[str(self._next - 1)] = StateEntry(seen=SeenEvents(newest_event_ms=self._current.newest_ms,
                                                                  event_ids=self._current.ids))
            self._current = None
        for number in [n for n, b in self._blocks.items() if b.newest_ms < watermark_ms - self.horizon_ms]:
            for event_id in self._blocks.pop(number).ids:
                del self._owner[event_id]
            out[str(number)] = None
        return out

    def restore(self, key: str, entry: StateEntry) -> None:
        number = int(key)
        block = self._blocks[number] = _Block(entry.seen.newest_event_ms, list(entry.seen.event_ids))
        for event_id in block.ids:
            self._owner[event_id] = number
        self._next = max(self._next, number + 1)
