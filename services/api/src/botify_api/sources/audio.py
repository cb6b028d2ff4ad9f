"""Audio similarity: nearest neighbours in the ``audio`` collection of the user's most recent tracks (the
context track first)."""

from __future__ import annotations

from botify_api.sources.base import Candidate, Query, SourceUnavailableError, StoreBacked
from botify_core.vectors import AUDIO


class AudioSource(StoreBacked):
    name = "audio"

    def candidates(self, query: Query) -> list[Candidate]:
        store = self.world.store
        if store is None:
            raise SourceUnavailableError("vector store unavailable")
        best: dict[str, Candidate] = {}
        seeds = [t for t in query.recent if (info := self.world.catalog.get(t)) is not None
                 and info.embedding is not None][:self.world.settings.audio_seeds]
        for seed in seeds:
            info = self.world.catalog.get(seed)
            assert info is not None and info.embedding is not None
            title = info.title or seed
            for hit in store.search(AUDIO, info.embedding.tolist(), query.n + 1):
                track_id = str(hit.id)
                if track_id == seed or (track_id in best and best[track_id].score >= hit.score):
                    continue
                best[track_id] = Candidate(track_id, float(hit.score), f"sounds like {title}, which you played")
        return sorted(best.values(), key=lambda c: (-c.score, c.track_id))[:query.n]
