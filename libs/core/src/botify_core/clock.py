"""UTC time as Botify stores it: integer epoch milliseconds.

>>> to_ms(datetime(2009, 5, 4, 23, 8, 57, tzinfo=UTC))
1241478537000
>>> from_ms(1241478537000).isoformat()
'2009-05-04T23:08:57+00:00'
>>> parse_iso_ms("2009-05-04T23:08:57Z")
1241478537000
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: Botify times must carry a time zone")
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_iso_ms(text: str) -> int:
    """Epoch ms of an ISO-8601 time with a zone (``Z`` or ``+hh:mm``)."""
    return to_ms(datetime.fromisoformat(text))
