"""Candidates computed once and served while their inputs last.

The vector sources' nearest-neighbour searches are most of an answer's cost, and their inputs change far less
often than answers are asked for: a user's factors change when ``user-state`` brings a new state, the audio seeds
when the user plays something else. So each vector source keeps its answers under a key (``cf``: the user and the
number asked; ``audio``: the seed track ids and the number) with the *inputs* they were computed from (the
``UserState`` or the seeds' catalog entries, and the catalog's epoch, by identity: the read model replaces them
when they change, the epoch when a track goes). A lookup hits only when the inputs are the
very same objects and the entry is younger than ``max_age_s``, the bound on how long a change of the *index* (new
item factors, new embeddings) can go unseen. Least recently used entries go first beyond ``size``.

>>> ticks = iter([0.0, 1.0, 2.0, 100.0])
>>> cache = CandidateCache(size=2, max_age_s=60, clock=lambda: next(ticks))
>>> state = object()
>>> cache.put(("cf", "u1"), (state,), ["t1", "t2"])        # at 0 s
>>> cache.get(("cf", "u1"), (state,)), cache.get(("cf", "u1"), (object(),))   # at 1 s: same inputs, then others
(['t1', 't2'], None)
>>> cache.get(("cf", "u1"), (state,)) is None            # at 100 s: too old
True
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from operator import is_
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    inputs: tuple[object, ...]
    at: float
    value: T


class CandidateCache(Generic[T]):
    """At most ``size`` answers, each valid for its inputs (by identity) and ``max_age_s`` seconds."""

    def __init__(self, size: int, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.max_age_s = max_age_s
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry[T]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, inputs: Sequence[object]) -> T | None:
        """The answer kept for ``key`` if it was computed from these very ``inputs`` and is not too old."""
        entry = self._entries.get(key)
        if entry is None or len(entry.inputs) != len(inputs) or \
                not all(map(is_, entry.inputs, inputs)) or \
                self._clock() - entry.at > self.max_age_s:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.value

    def put(self, key: Hashable, inputs: Sequence[object], value: T) -> None:
        if self.size <= 0:
            return
        self._entries[key] = _Entry(tuple(inputs), self._clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
