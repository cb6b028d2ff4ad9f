"""What the gateway itself saw of each user's session, before the stream processor folds it into ``user-state``:
the listens reported through ``/next`` and ``/last`` and the last recommendation served, so the next answer
already leaves out what was just played and a listen can name the recommendation it follows.

>>> sessions = Sessions(max_users=2, max_recent=3)
>>> sessions.served("u1", "rec-1", ["t1", "t2"])
>>> sessions.follows("u1", "t2"), sessions.follows("u1", "t9")
('rec-1', '')
>>> sessions.played("u1", "t2", 0.9, at_ms=5); sessions.recent("u1")
[('t2', 0.9)]
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field


@dataclass
class Session:
    recent: deque[tuple[str, float]]
    recommendation_id: str = ""
    served: frozenset[str] = field(default_factory=frozenset)
    last_played_ms: int = 0


class Sessions:
    """Per user, at most ``max_recent`` listens (newest first); the ``max_users`` most recently active users."""

    def __init__(self, max_users: int = 100_000, max_recent: int = 50) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self.max_users = max_users
        self.max_recent = max_recent

    def _session(self, user_id: str) -> Session:
        session = self._sessions.get(user_id)
        if session is None:
            session = self._sessions[user_id] = Session(deque(maxlen=self.max_recent))
            while len(self._sessions) > self.max_users:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(user_id)
        return session

    def served(self, user_id: str, recommendation_id: str, track_ids: list[str]) -> None:
        session = self._session(user_id)
        session.recommendation_id = recommendation_id
        session.served = frozenset(track_ids)

    def follows(self, user_id: str, track_id: str) -> str:
        """The id of the last recommendation served to the user when it proposed ``track_id``, else ``""``."""
        session = self._sessions.get(user_id)
        return session.recommendation_id if session is not None and track_id in session.served else ""

    def played(self, user_id: str, track_id: str, fraction: float, at_ms: int) -> None:
        session = self._session(user_id)
        session.recent.appendleft((track_id, fraction))
        session.last_played_ms = at_ms

    def recent(self, user_id: str) -> list[tuple[str, float]]:
        session = self._sessions.get(user_id)
        return list(session.recent) if session is not None else []

    def last_played_ms(self, user_id: str) -> int:
        session = self._sessions.get(user_id)
        return session.last_played_ms if session is not None else 0

    def end(self, user_id: str) -> None:
        """The session ended (``/last``): forget the served recommendation, keep the listens."""
        session = self._sessions.get(user_id)
        if session is not None:
            session.recommendation_id = ""
            session.served = frozenset()
