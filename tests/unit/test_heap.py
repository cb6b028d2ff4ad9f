"""The heap settler freezes long-lived objects so collections skip them, still reclaims young garbage cycles at
each settle, and reclaims cycles among frozen objects at the next thaw."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from botify_core.heap import HeapSettler


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_a_young_cycle_is_reclaimed_at_the_next_settle() -> None:
    settler = HeapSettler(every_s=1.0, thaw_every_s=1e9)
    settler.settle(now=10.0)
    young = cycle()
    assert settler.settle(now=10.5) is False and young() is not None   # not due yet: untouched
    assert settler.settle(now=11.0) is True
    assert young() is None


def test_a_cycle_frozen_while_alive_waits_for_the_thaw() -> None:
    settler = HeapSettler(every_s=1.0, thaw_every_s=100.0)
    keep = [Node(), Node()]
    keep[0].other, keep[1].other = keep[1], keep[0]
    probe = weakref.ref(keep[0])
    settler.settle(now=200.0)          # frozen while referenced
    frozen = gc.get_freeze_count()
    assert frozen > 0
    del keep                           # now a garbage cycle, but frozen: collections skip it
    settler.settle(now=201.0)
    assert probe() is not None
    settler.settle(now=300.0)          # thaw_every_s later: unfrozen and collected
    assert probe() is None
