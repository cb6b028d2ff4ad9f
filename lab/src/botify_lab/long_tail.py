"""How unequal plays are across users or artists: rank-frequency, Lorenz curve, Gini, top shares.

>>> counts = pd.Series([6, 2, 1, 1])
>>> round(gini(counts), 3), top_share(counts, 0.25), entities_for_share(counts, 0.8)
(0.4, 0.6, 0.5)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


def plays_per(frame: pd.DataFrame, key: str, weight: str | None = None) -> pd.Series:
    """Plays per value of ``key`` (rows, or the sum of ``weight``), most first."""
    counts = frame.groupby(key, sort=False).size() if weight is None else frame.groupby(key)[weight].sum()
    return counts.sort_values(ascending=False, kind="stable").astype("int64")


def _ascending(counts: pd.Series) -> np.ndarray:
    values = np.sort(counts.to_numpy(dtype=np.float64))
    if values.size == 0 or values.sum() <= 0:
        raise ValueError("a long-tail statistic needs at least one positive count")
    if values[0] < 0:
        raise ValueError("counts must not be negative")
    return values


def gini(counts: pd.Series) -> float:
    """Gini coefficient: 0 when every entity has as many plays, (n-1)/n when one has them all."""
    values = _ascending(counts)
    n = values.size
    ranks = np.arange(1, n + 1)
    return float(2 * np.sum(ranks * values) / (n * values.sum()) - (n + 1) / n)


def lorenz(counts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve: cumulative share of entities (least played first) against their share of plays,
    both starting at 0."""
    values = _ascending(counts)
    x = np.arange(values.size + 1) / values.size
    y = np.concatenate([[0.0], np.cumsum(values) / values.sum()])
    return x, y


def top_share(counts: pd.Series, fraction: float) -> float:
    """Share of all plays that the most played ``fraction`` of entities account for (at least one entity)."""
    values = _ascending(counts)[::-1]
    k = max(1, math.ceil(fraction * values.size - 1e-9))
    return float(values[:k].sum() / values.sum())


def entities_for_share(counts: pd.Series, share: float) -> float:
    """The smallest fraction of entities (most played first) that accounts for at least ``share`` of the plays."""
    values = _ascending(counts)[::-1]
    cumulative = np.cumsum(values) / values.sum()
    k = int(np.searchsorted(cumulative, share - 1e-12)) + 1
    return k / values.size


@dataclass(frozen=True)
class LongTail:
    """Summary of a count distribution (plays per user, or per artist)."""

    entities: int
    plays: int
    median: float
    mean: float
    max: int
    gini: float
    top_1pct_share: float
    top_10pct_share: float
    share_for_80pct: float    # fraction of entities that hold 80% of the plays

    @classmethod
    def of(cls, counts: pd.Series) -> LongTail:
        return cls(entities=int(counts.size), plays=int(counts.sum()), median=float(counts.median()),
                   mean=float(counts.mean()), max=int(counts.max()), gini=gini(counts),
                   top_1pct_share=top_share(counts, 0.01), top_10pct_share=top_share(counts, 0.10),
                   share_for_80pct=entities_for_share(counts, 0.8))

    def row(self) -> dict[str, float | int]:
        return asdict(self)
