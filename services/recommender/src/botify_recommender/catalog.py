"""The catalog as every worker sees it: track metadata from the compacted ``tracks`` topic (global-table semantics).

Every worker reads all partitions of ``tracks`` into memory, from the beginning, and keeps tailing it. A listen joins
to its track's genres here; a track that is not in the catalog yet has the genre :data:`UNKNOWN`.

>>> from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
>>> catalog = Catalog()
>>> catalog.genres("t1")
('unknown',)
>>> catalog.apply("t1", TrackUpserted(track_id="t1", genres=["rock", "indie"], duration_ms=200_000))
>>> catalog.genres("t1"), catalog.version
(('rock', 'indie'), 1)
"""

from __future__ import annotations

from dataclasses import dataclass

from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted

#: The genre of a listen whose track the catalog does not know (yet).
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TrackInfo:
    genres: tuple[str, ...]
    artist_id: str
    duration_ms: int


class Catalog:
    """Track id -> :class:`TrackInfo`; ``version`` counts changes, so stages re-check unknown tracks only then."""

    def __init__(self) -> None:
        self._tracks: dict[str, TrackInfo] = {}
        self.version = 0

    def __len__(self) -> int:
        return len(self._tracks)

    def apply(self, track_id: str, track: TrackUpserted | None) -> None:
        """An upsert, or a tombstone (``None``) that removes the track."""
        if track is None:
            self._tracks.pop(track_id, None)
        else:
            genres = tuple(g for g in track.genres if g) or (UNKNOWN,)
            self._tracks[track_id] = TrackInfo(genres, track.artist_id, track.duration_ms)
        self.version += 1

    def get(self, track_id: str) -> TrackInfo | None:
        return self._tracks.get(track_id)

    def genres(self, track_id: str) -> tuple[str, ...]:
        info = self._tracks.get(track_id)
        return info.genres if info is not None else (UNKNOWN,)
