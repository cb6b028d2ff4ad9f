"""Event-time windows: which windows an event falls in, and whether a window still takes events.

A window spec ``size[:step]`` (the size is also its name) is tumbling when step == size and hopping when
step < size; windows start at multiples of the step since the epoch, so every worker cuts the same windows.
Times are the events' own (UTC ms), never the wall clock, so a replay of 2008 data lands in 2008 windows.

>>> hourly = WindowSpec("1h", 3_600_000, 600_000)
>>> [s // 60_000 for s in hourly.starts(7_260_000)]          # t = 2 h 1 min: six hopping windows hold it
[70, 80, 90, 100, 110, 120]
>>> is_open(hourly, 0, watermark_ms=3_600_000 + 59_999, grace_ms=60_000)
True
>>> is_open(hourly, 0, watermark_ms=3_600_000 + 60_000, grace_ms=60_000)
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")


def parse_duration(text: str) -> int:
    """``"10m"`` -> 600000 (milliseconds).

    >>> parse_duration("1d"), parse_duration("250ms")
    (86400000, 250)
    """
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"expected a positive duration like 1m, 10s, 1h or 1d, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True, slots=True)
class WindowSpec:
    name: str
    size_ms: int
    step_ms: int

    def __post_init__(self) -> None:
        if self.step_ms <= 0 or self.size_ms < self.step_ms or self.size_ms % self.step_ms:
            raise ValueError(f"window {self.name}: need 0 < step <= size with size a multiple of step, "
                             f"got size {self.size_ms} ms, step {self.step_ms} ms")

    def starts(self, t_ms: int) -> range:
        """Start times of the windows ``[start, start + size)`` that hold event time ``t_ms``, oldest first."""
        last = t_ms - t_ms % self.step_ms
        return range(last - self.size_ms + self.step_ms, last + self.step_ms, self.step_ms)

    def end(self, start_ms: int) -> int:
        return start_ms + self.size_ms

    def run(self, first_ms: int, last_ms: int) -> range:
        """Start times of a run of consecutive windows, ``first_ms`` to ``last_ms`` inclusive."""
        return range(first_ms, last_ms + 1, self.step_ms)


def parse_windows(text: str) -> tuple[WindowSpec, ...]:
    """``"1m:1m,1h:10m"`` -> window specs; the step defaults to the size (tumbling); names must be unique.

    >>> parse_windows("1m,1d:1h")
    (WindowSpec(name='1m', size_ms=60000, step_ms=60000), WindowSpec(name='1d', size_ms=86400000, step_ms=3600000))
    """
    specs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        fields = part.split(":")
        if len(fields) > 2:
            raise ValueError(f"expected size[:step] like 1h:10m, got {part!r}")
        size = parse_duration(fields[0])
        specs.append(WindowSpec(fields[0], size, parse_duration(fields[1]) if len(fields) == 2 else size))
    names = [s.name for s in specs]
    if not specs or len(set(names)) != len(names):
        raise ValueError(f"expected at least one window and unique names, got {text!r}")
    return tuple(specs)


def is_open(spec: WindowSpec, start_ms: int, watermark_ms: int, grace_ms: int) -> bool:
    """A window takes events until the watermark (newest event time seen) reaches its end plus the grace."""
    return watermark_ms < spec.end(start_ms) + grace_ms
