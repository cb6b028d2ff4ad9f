"""Open-loop load: requests leave on a fixed schedule whatever the answers, so a slow answer delays nobody's clock
and latency counts from the scheduled send time (no coordinated omission)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable


async def open_loop(rate: float, bodies: Iterable[bytes], send: Callable[[bytes, float], Awaitable[None]]) -> float:
    """Call ``send(body, due)`` for each body at ``rate`` per second; return the rate achieved.

    ``due`` is the ``time.perf_counter()`` at which the request was scheduled to leave. Requests in flight are
    awaited before returning; ``bodies`` may be an endless generator that stops on its own (say, at a deadline).
    """
    in_flight: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.1
    sent = 0
    for i, body in enumerate(bodies):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # open-loop pacing: the next request leaves on schedule
        task = asyncio.create_task(_awaited(send(body, due)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        sent += 1
    await asyncio.gather(*in_flight)
    return sent / (time.perf_counter() - start)


async def _awaited(call: Awaitable[None]) -> None:
    await call
