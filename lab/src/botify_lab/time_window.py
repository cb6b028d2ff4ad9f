"""Time windows and calendar periods of listening events, always in UTC.

>>> parse_instant("2009-05-01")
1241136000000
>>> period_of(pd.Series([1241136000000, 1241478537000]), "month").astype(str).tolist()
['2009-05', '2009-05']
>>> period_of(pd.Series([1241478537000]), "week").astype(str).tolist()   # weeks run Monday to Sunday
['2009-05-04/2009-05-10']
"""

from __future__ import annotations

import pandas as pd

#: ``--period`` names and the pandas period frequency behind each.
PERIODS: dict[str, str] = {"year": "Y", "quarter": "Q", "month": "M", "week": "W-SUN", "day": "D", "hour": "h"}


def parse_instant(text: str) -> int:
    """UTC epoch milliseconds of an ISO date or date-time; one without a zone is taken as UTC."""
    try:
        stamp = pd.Timestamp(text)
    except ValueError as exc:
        raise ValueError(f"expected an ISO date like 2009-05-01 or 2009-05-01T12:00Z, got {text!r}") from exc
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)  # Timestamp.value is nanoseconds whatever the unit


def period_of(ts_ms: pd.Series, period: str) -> pd.Series:
    """The calendar period (``year``, ``quarter``, ``month``, ``week``, ``day`` or ``hour``) of each UTC time."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")
    # to_period works on naive times; convert to UTC wall time first so the zone is never guessed
    naive = pd.to_datetime(ts_ms, unit="ms", utc=True).dt.tz_convert(None)
    return naive.dt.to_period(PERIODS[period])


def utc_text(ts_ms: int) -> str:
    """A UTC time as ``2009-05-04 23:08 UTC``."""
    return pd.Timestamp(ts_ms, unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
