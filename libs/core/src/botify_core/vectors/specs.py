"""Botify's collections in one place: ``audio`` (cosine over audio embeddings) and ``cf`` (dot over item factors).

>>> [(s.name, s.distance.value, s.dim) for s in collection_specs(VectorSettings(audio_dim=128, cf_dim=32))]
[('audio', 'cosine', 128), ('cf', 'dot', 32)]
"""

from __future__ import annotations

from dataclasses import dataclass

from botify_core.settings import VectorSettings
from botify_core.vectors.contract import Distance

AUDIO = "audio"
CF = "cf"


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    dim: int
    distance: Distance
    #: payload fields searches filter on; adapters index them where that helps
    keyword_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class HnswParams:
    """Index parameters: ``m`` edges per node, ``ef_construct`` candidates while building, ``ef`` while searching."""

    m: int
    ef_construct: int
    ef: int

    @classmethod
    def from_settings(cls, settings: VectorSettings) -> HnswParams:
        return cls(m=settings.hnsw_m, ef_construct=settings.hnsw_ef_construct, ef=settings.hnsw_ef)


def collection_specs(settings: VectorSettings) -> tuple[CollectionSpec, CollectionSpec]:
    return (CollectionSpec(AUDIO, settings.audio_dim, Distance.COSINE, keyword_fields=("genres", "artist_id")),
            CollectionSpec(CF, settings.cf_dim, Distance.DOT))
