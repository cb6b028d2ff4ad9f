"""The trend board fed from ``genre-trends``, and the wake-ups of the clients streaming it (server-sent events).

The read model calls :meth:`TrendFeed.on_record` for each record of ``genre-trends`` (key ``<window>/<genre>``, a
``TrendSnapshot`` or a tombstone); every client of ``/v1/trends/stream`` holds a :class:`Subscription` that wakes up
when the board changed. Wake-ups coalesce: a client that was busy while a thousand snapshots arrived wakes once and
sends the board as it is then. All of it runs on the event loop of the app.

>>> import asyncio
>>> async def demo() -> tuple[int, bool, int]:
...     feed = TrendFeed()
...     async with feed.subscribe() as subscription:
...         feed.handle("1m/rock", TrendSnapshot(window="1m", window_start_ms=0, window_end_ms=60_000,
...                                              genre="rock", plays=1, minutes=3.0))
...         changed = await subscription.wait(timeout_s=1.0)
...         return feed.subscribers, changed, feed.board.version
>>> asyncio.run(demo())
(1, True, 1)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from botify_api.trends import InvalidSnapshotError, TrendBoard
from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.trends_pb2 import TrendSnapshot


class TrendStreamSettings(BaseSettings):
    """How ``/v1/trends/stream`` streams (``BOTIFY_API_TRENDS_*``).

    A stream ends after ``stream_max_s`` and the browser's EventSource reconnects after ``retry_ms``: that bounds what
    a forgotten client holds and how long a server shutting down waits for its streams.
    """

    model_config = SettingsConfigDict(env_prefix="BOTIFY_API_TRENDS_", extra="ignore")

    keepalive_s: float = Field(default=15.0, gt=0, description="a comment line after this long without a change")
    stream_max_s: float = Field(default=60.0, gt=0, description="a stream ends after this long; clients reconnect")
    retry_ms: int = Field(default=2000, ge=0, description="the reconnection delay the stream asks of clients")


class Subscription:
    """One streaming client's view of the feed: :meth:`wait` returns when the board changed since its last wait."""

    def __init__(self, feed: TrendFeed) -> None:
        self._feed = feed
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()

    async def wait(self, timeout_s: float) -> bool:
        """True when the board changed (or the feed closed), False after ``timeout_s`` without a change."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._changed.wait()
        except TimeoutError:
            return False
        self._changed.clear()
        return True

    @property
    def closed(self) -> bool:
        return self._feed.closed


class TrendFeed:
    """A :class:`TrendBoard` plus the subscriptions to wake when it changes."""

    def __init__(self, settings: TrendStreamSettings | None = None, board: TrendBoard | None = None) -> None:
        self.settings = settings or TrendStreamSettings()
        self.board = board or TrendBoard()
        self._subscriptions: set[Subscription] = set()
        self._membership = asyncio.Event()     # set, and replaced, whenever a subscription comes or goes
        self.closed = False

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def on_record(self, key: str, value: bytes | None) -> None:
        """Handler of ``genre-trends`` for the read model: decode (a :class:`~botify_core.codecs.CodecError` for bad
        bytes) and :meth:`handle`."""
        self.handle(key, None if value is None else codec_for(TrendSnapshot).decode(value))

    def handle(self, key: str, snapshot: TrendSnapshot | None) -> bool:
        """Apply one record of ``genre-trends``; True when the board changed.

        A tombstone (``snapshot`` None) forgets its key's (window, genre). Raises
        :class:`~botify_api.trends.InvalidSnapshotError` for a snapshot that cannot be placed, or a tombstone
        whose key is not ``<window>/<genre>``.
        """
        if snapshot is None:
            window, sep, genre = key.partition("/")
            if not sep or not window or not genre:
                raise InvalidSnapshotError(f"a genre-trends key is <window>/<genre>, got {key!r}")
            changed = self.board.remove(window, genre)
        else:
            changed = self.board.apply(snapshot)
        if changed:
            for subscription in self._subscriptions:
                subscription._notify()
        return changed

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription for the life of the block; it is dropped however the block ends (say, a client left)."""
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        self._membership_changed()
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            self._membership_changed()

    def _membership_changed(self) -> None:
        self._membership.set()
        self._membership = asyncio.Event()

    async def until_subscribers(self, count: int, timeout_s: float) -> None:
        """Return once exactly ``count`` clients are subscribed (say, 0 after they left); TimeoutError after
        ``timeout_s``."""
        async with asyncio.timeout(timeout_s):
            while self.subscribers != count:
                await self._membership.wait()

    def close(self) -> None:
        """Wake every subscription for the last time; streams see :attr:`Subscription.closed` and end."""
        self.closed = True
        for subscription in self._subscriptions:
            subscription._notify()
