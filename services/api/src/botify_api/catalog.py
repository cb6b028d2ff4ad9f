"""The gateway's copy of the catalog: metadata from ``tracks``, genre probabilities and audio embeddings from
``track-embeddings``, and the integer ids of the original Botify API.

>>> catalog = Catalog("syn-t{:05d}")
>>> catalog.on_track("syn-t00301", codec_for(TrackUpserted).encode(TrackUpserted(
...     track_id="syn-t00301", title="Blue", artist_id="syn-a003", genres=["jazz"], duration_ms=200_000)))
>>> catalog.get("syn-t00301").genres, catalog.by_int(301).track_id, catalog.int_id("syn-t00301")
(('jazz',), 'syn-t00301', 301)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted

#: a predicted genre counts as one of the track's genres from this probability on
MIN_PROBABILITY = 0.2


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """A track as the gateway knows it; ``main_genre``, ``all_genres`` and ``embedded`` are derived once, when it is
    built (the request path reads them for every candidate)."""

    track_id: str
    title: str = ""
    artist_id: str = ""
    artist_name: str = ""
    genres: tuple[str, ...] = ()
    duration_ms: int = 0
    dataset: str = ""
    genre_probabilities: dict[str, float] = field(default_factory=dict)
    embedding: npt.NDArray[np.float32] | None = None
    embedding_version: str = ""
    #: the track's own first genre, else its likeliest predicted genre, else ``""``
    main_genre: str = field(init=False, default="")
    #: declared genres and those predicted with probability of at least 0.2
    all_genres: frozenset[str] = field(init=False, default=frozenset())
    #: an embedding that is not all zeros (one that can seed an audio search)
    embedded: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        probabilities = self.genre_probabilities
        main = self.genres[0] if self.genres else \
            max(probabilities.items(), key=lambda item: (item[1], item[0]))[0] if probabilities else ""
        object.__setattr__(self, "main_genre", main)
        object.__setattr__(self, "all_genres",
                           frozenset(self.genres) | {g for g, p in probabilities.items() if p >= MIN_PROBABILITY})
        object.__setattr__(self, "embedded", self.embedding is not None and bool(self.embedding.any()))


class Catalog:
    """Tracks by id, with a two-way map to the integer ids of the original Botify API (``int_format``, e.g.
    ``syn-t{:05d}``: track 301 is ``syn-t00301``; a track whose id does not fit the format has no integer id)."""

    def __init__(self, int_format: str) -> None:
        self._tracks: dict[str, TrackInfo] = {}
        #: grows by one whenever a track comes or goes (not when one changes)
        self.version = 0
        #: a new object whenever a track or its embedding goes: what was computed from the catalog before may name it
        self.epoch = object()
        self._int_format = int_format
        prefix, _, rest = int_format.partition("{")
        suffix = rest.partition("}")[2]
        self._int_pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix) + r"\Z")

    def __len__(self) -> int:
        return len(self._tracks)

    def __iter__(self) -> Iterator[TrackInfo]:
        return iter(self._tracks.values())

    def get(self, track_id: str) -> TrackInfo | None:
        return self._tracks.get(track_id)

    def int_id(self, track_id: str) -> int | None:
        match = self._int_pattern.match(track_id)
        return int(match.group(1)) if match else None

    def by_int(self, number: int) -> TrackInfo | None:
        return self._tracks.get(self._int_format.format(number))

    def _new(self, track_id: str) -> TrackInfo:
        self.version += 1
        return TrackInfo(track_id)

    def on_track(self, key: str, value: bytes | None) -> None:
        """Handler of ``tracks``: upsert the metadata (keeping what ``track-embeddings`` said), or forget on a
        tombstone."""
        if value is None:
            if self._tracks.pop(key, None) is not None:
                self.version += 1
                self.epoch = object()
            return
        track = codec_for(TrackUpserted).decode(value)
        track_id = key or track.track_id
        old = self._tracks.get(track_id) or self._new(track_id)
        self._tracks[track_id] = replace(old, title=track.title, artist_id=track.artist_id,
                                         artist_name=track.artist_name, genres=tuple(track.genres),
                                         duration_ms=int(track.duration_ms), dataset=track.dataset)

    def on_embedding(self, key: str, value: bytes | None) -> None:
        """Handler of ``track-embeddings``: the embedding (seeds of audio similarity) and genre probabilities."""
        if value is None:
            old = self._tracks.get(key)
            if old is not None:
                self._tracks[key] = replace(old, embedding=None, genre_probabilities={}, embedding_version="")
                self.epoch = object()
            return
        embedded = codec_for(TrackEmbedded).decode(value)
        track_id = key or embedded.track_id
        vector = np.asarray(embedded.embedding, dtype=np.float32)
        old = self._tracks.get(track_id) or self._new(track_id)
        usable = vector.size > 0 and bool(np.isfinite(vector).all())
        self._tracks[track_id] = replace(old, embedding=vector if usable else None,
                                         genre_probabilities=dict(embedded.genre_probabilities),
                                         embedding_version=embedded.model_version)
