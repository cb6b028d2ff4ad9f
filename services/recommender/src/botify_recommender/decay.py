"""Exponentially decayed sums by event time, independent of the order the events arrive in.

A decayed sum is stored as ``(value, ref_ms)``: the sum of ``w * 2 ** (-(ref_ms - t) / half_life)`` over its events,
with ``ref_ms`` the newest event time seen. Adding an event rescales to the newer of the two times, so the result is
the same whatever the order of the additions (up to float rounding), and partial sums from several partitions
combine by :func:`merge`.

>>> a = add(0.0, 0, t_ms=1000, weight=1.0, half_life_ms=1000)
>>> a
(1.0, 1000)
>>> add(*a, t_ms=2000, weight=1.0, half_life_ms=1000)        # the first event has aged one half-life
(1.5, 2000)
>>> add(*add(0.0, 0, 2000, 1.0, 1000), t_ms=1000, weight=1.0, half_life_ms=1000)   # same events, other order
(1.5, 2000)
"""

from __future__ import annotations


def factor(from_ms: int, to_ms: int, half_life_ms: int) -> float:
    """How much a weight at ``from_ms`` is worth at ``to_ms`` (at most 1: weights never grow)."""
    return float(2.0 ** (-max(0, to_ms - from_ms) / half_life_ms))


def add(value: float, ref_ms: int, t_ms: int, weight: float, half_life_ms: int) -> tuple[float, int]:
    """Add ``weight`` at event time ``t_ms`` to the decayed sum ``(value, ref_ms)``; return the new sum."""
    if t_ms > ref_ms:
        return value * factor(ref_ms, t_ms, half_life_ms) + weight, t_ms
    return value + weight * factor(t_ms, ref_ms, half_life_ms), ref_ms


def rescale(weights: dict[str, float], ref_ms: int, to_ms: int, half_life_ms: int) -> dict[str, float]:
    """Every weight of a map decayed from ``ref_ms`` to ``to_ms`` (``to_ms >= ref_ms``)."""
    f = factor(ref_ms, to_ms, half_life_ms)
    return {k: v * f for k, v in weights.items()}


def merge(a: dict[str, float], a_ref: int, b: dict[str, float], b_ref: int,
          half_life_ms: int) -> tuple[dict[str, float], int]:
    """Sum two decayed maps, referenced at the newer of their times.

    >>> merge({"x": 1.0}, 0, {"x": 1.0, "y": 2.0}, 1000, half_life_ms=1000)
    ({'x': 1.5, 'y': 2.0}, 1000)
    """
    ref = max(a_ref, b_ref)
    out = rescale(a, a_ref, ref, half_life_ms)
    for k, v in rescale(b, b_ref, ref, half_life_ms).items():
        out[k] = out.get(k, 0.0) + v
    return out, ref
