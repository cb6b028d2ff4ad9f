"""Short garbage-collection pauses in a process that holds a large, long-lived state (the stream worker's tables,
the gateway's read model).

CPython's full collection walks every tracked object: with a million objects of state it stops the process for
100 ms or more, several times a minute under load, and every record or request in flight waits. Most of that
state lives for minutes or hours and never forms garbage cycles. So, every ``every_s`` at a quiet moment,
:meth:`HeapSettler.settle` collects what is young (only the objects made since the last settle, since the rest is
frozen: a few milliseconds) and then freezes the survivors (``gc.freeze``), so that later collections skip them.

Frozen objects are still freed by reference counting when dropped; only a garbage *cycle* among frozen objects is
not reclaimed until the next thaw. Every ``thaw_every_s`` (an hour by default) the settler unfreezes everything and
runs one full collection: one long pause an hour instead of several a minute.

>>> import gc
>>> settler = HeapSettler(every_s=0.0, thaw_every_s=3600.0)
>>> settler.settle(now=1.0), gc.get_freeze_count() > 0
(True, True)
>>> settler.settle(now=1.0)              # due again only after every_s (0 here) has passed: it has
True
>>> HeapSettler(every_s=10.0, thaw_every_s=3600.0).settle(now=5.0)
False
>>> gc.unfreeze()
"""

from __future__ import annotations

import gc
import time


class HeapSettler:
    def __init__(self, every_s: float = 2.0, thaw_every_s: float = 3600.0) -> None:
        self.every_s = every_s
        self.thaw_every_s = thaw_every_s
        self._settled = 0.0
        self._thawed = 0.0

    def settle(self, now: float | None = None) -> bool:
        """Collect the young objects and freeze the survivors when ``every_s`` has passed; True when it did."""
        now = time.monotonic() if now is None else now
        if now - self._settled < self.every_s:
            return False
        if now - self._thawed >= self.thaw_every_s:
            gc.unfreeze()
            self._thawed = now
        gc.collect()
        gc.freeze()
        self._settled = now
        return True
