"""Audio similarity: nearest neighbours in the ``audio`` collection of what the user just played. The context track
and the user's most recent tracks (``BOTIFY_API_AUDIO_SEEDS`` of them) are blended into one query, the newest
weighing most, so a request costs one search however many seeds it has."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from botify_api.sources.base import Candidate, Query, SourceUnavailableError, StoreBacked
from botify_core.vectors import AUDIO

#: how much each older seed weighs against the one after it
SEED_DECAY = 0.5


class AudioSource(StoreBacked):
    name = "audio"

    def candidates(self, query: Query) -> list[Candidate]:
        store = self.world.store
        if store is None:
            raise SourceUnavailableError("vector store unavailable")
        seeds: list[tuple[str, str, npt.NDArray[np.float32]]] = []  # (id, title, embedding), newest first
        for track_id in query.recent:
            info = self.world.catalog.get(track_id)
            if info is not None and info.embedding is not None:
                seeds.append((track_id, info.title or track_id, info.embedding))
                if len(seeds) == self.world.settings.audio_seeds:
                    break
        if not seeds:
            return []
        blended = np.zeros_like(seeds[0][2])
        for i, (_, _, embedding) in enumerate(seeds):
            blended += SEED_DECAY ** i * embedding / (float(np.linalg.norm(embedding)) or 1.0)
        reason = f"sounds like {seeds[0][1]}, which you played"
        seed_ids = {track_id for track_id, _, _ in seeds}
        hits = sorted(store.search(AUDIO, blended.tolist(), query.n + len(seeds), payload=False),
                      key=lambda h: (-h.score, str(h.id)))
        return [Candidate(str(h.id), float(h.score), reason) for h in hits if str(h.id) not in seed_ids][:query.n]
