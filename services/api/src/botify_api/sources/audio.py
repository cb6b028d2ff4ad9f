"""Audio similarity: nearest neighbours in the ``audio`` collection of what the user just played. The context track
and the user's most recent tracks (``BOTIFY_API_AUDIO_SEEDS`` of them) are blended into one query, the newest
weighing most, so a request costs one search however many seeds it has."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from botify_api.catalog import TrackInfo
from botify_api.sources.base import Candidate, Query, Ranked, StoreBacked
from botify_core.vectors import AUDIO

#: how much each older seed weighs against the one after it
SEED_DECAY = 0.5


class AudioSource(StoreBacked):
    name = "audio"

    def candidates(self, query: Query) -> Ranked:
        store = self.store()
        seeds: list[tuple[TrackInfo, npt.NDArray[np.float32]]] = []     # (entry, embedding), newest first
        dim = self.world.settings.vectors.audio_dim
        for track_id in query.recent:
            info = self.world.catalog.get(track_id)
            # an embedding of another size (another model's) cannot seed this collection's search
            if info is not None and info.embedded and info.embedding is not None and info.embedding.shape == (dim,):
                seeds.append((info, info.embedding))
                if len(seeds) == self.world.settings.audio_seeds:
                    break
        if not seeds:
            return Ranked()

        def search() -> list[Candidate]:
            blended = np.zeros_like(seeds[0][1])
            for i, (_, embedding) in enumerate(seeds):
                blended += SEED_DECAY ** i * embedding / (float(np.linalg.norm(embedding)) or 1.0)
            newest = seeds[0][0]
            reason = f"sounds like {newest.title or newest.track_id}, which you played"
            seed_ids = {info.track_id for info, _ in seeds}
            hits = sorted(store.search(AUDIO, blended.tolist(), query.n + len(seeds), payload=False),
                          key=lambda h: (-h.score, str(h.id)))
            return [Candidate(self.track_id(h.id), float(h.score), reason) for h in hits
                    if str(h.id) not in seed_ids][:query.n]

        # kept while the seeds' catalog entries (their embeddings) stay the same (or the cache's age limit)
        entries = [info for info, _ in seeds]
        return self.remembered((tuple(info.track_id for info in entries), query.n), entries, search)
