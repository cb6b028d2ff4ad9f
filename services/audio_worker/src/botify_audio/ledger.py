"""What this worker has embedded: track id -> (audio fingerprint, model version), in a small SQLite file.

After a restart (or when a replay publishes the catalog again) a track whose audio and model are unchanged is
not decoded nor embedded again. SQLite rather than reading ``track-embeddings`` back: that topic carries no
fingerprint, and a local file answers in microseconds with no start-up replay. Workers on several machines each
keep their own; at worst a track moved by a rebalance is embedded once more, which the compacted topic absorbs.

>>> ledger = Ledger(":memory:")
>>> ledger.record([("t1", "abc", "cnn-1", 0)])
>>> ledger.known("t1", "cnn-1"), ledger.known("t1", "cnn-2"), ledger.known("t2", "cnn-1")
('abc', None, None)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path


class Ledger:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS embedded (track_id TEXT PRIMARY KEY, fingerprint TEXT NOT "
                         "NULL, model_version TEXT NOT NULL, embedded_at_ms INTEGER NOT NULL)")
        self._db.commit()

    def known(self, track_id: str, model_version: str) -> str | None:
        """The fingerprint of the audio ``model_version`` embedded for ``track_id``, if it did."""
        row = self._db.execute("SELECT fingerprint FROM embedded WHERE track_id = ? AND model_version = ?",
                               (track_id, model_version)).fetchone()
        return str(row[0]) if row else None

    def record(self, rows: Iterable[tuple[str, str, str, int]]) -> None:
        """Remember ``(track_id, fingerprint, model_version, embedded_at_ms)`` rows, once Kafka has them."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO embedded VALUES (?, ?, ?, ?)", rows)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM embedded").fetchone()[0])

    def close(self) -> None:
        self._db.close()
