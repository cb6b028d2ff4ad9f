"""The vector store on a Qdrant server through ``qdrant-client`` (``QDRANT_URL``); tests run the same adapter on
the client's in-memory mode (``QdrantClient(location=":memory:")``), an exhaustive pure-Python store that ignores
index parameters, so this adapter does not send them there."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from qdrant_client import QdrantClient
from qdrant_client import models as qm

from botify_core.vectors.checks import (
    ID_FIELD,
    Collections,
    checked_vector,
    filter_parts,
    hits_of,
    point_id,
    stored_payload,
)
from botify_core.vectors.contract import Distance, Hit, PayloadFilter, Point, PointKey
from botify_core.vectors.specs import CollectionSpec, HnswParams

_DISTANCES = {Distance.COSINE: qm.Distance.COSINE, Distance.DOT: qm.Distance.DOT}
_FROM_QDRANT = {qdrant: ours for ours, qdrant in _DISTANCES.items()}


def server_filter(payload_filter: PayloadFilter | None) -> qm.Filter | None:
    must, excluded = filter_parts(payload_filter)
    if not must and not excluded:
        return None
    conditions: list[qm.Condition] = [qm.FieldCondition(key=field, match=qm.MatchAny(any=values))
                                      for field, values in must]
    ids: list[int | str | UUID] = list(excluded)
    return qm.Filter(must=conditions or None, must_not=[qm.HasIdCondition(has_id=ids)] if excluded else None)


class ServerVectorStore:
    """A :class:`~botify_core.vectors.contract.VectorStore` over a ``QdrantClient``; ``close`` closes the client
    when ``owns_client`` (as :func:`~botify_core.vectors.backend.open_vector_store` sets it)."""

    def __init__(self, client: QdrantClient, hnsw: HnswParams, owns_client: bool = True) -> None:
        self.client = client
        self.hnsw = hnsw
        self._owns_client = owns_client
        options = client.init_options
        self._local = options.get("location") == ":memory:" or options.get("path") is not None
        self._collections = Collections()

    def ensure_collection(self, name: str, dim: int, distance: Distance, keyword_fields: Sequence[str] = ()) -> None:
        spec = CollectionSpec(name, dim, Distance(distance), tuple(keyword_fields))
        self._collections.check_same(spec)
        if self.client.collection_exists(name):
            params = self.client.get_collection(name).config.params.vectors
            if not isinstance(params, qm.VectorParams):
                raise ValueError(f"collection {name!r} on the server has named vectors; expected one unnamed vector")
            existing = (params.size, _FROM_QDRANT.get(params.distance))
            if existing != (spec.dim, spec.distance):
                raise ValueError(f"collection {name!r} exists with size {params.size} and {params.distance.value} "
                                 f"distance; asked for size {spec.dim} and {spec.distance.value}")
        else:
            self.client.create_collection(
                name, vectors_config=qm.VectorParams(size=spec.dim, distance=_DISTANCES[spec.distance]),
                hnsw_config=None if self._local else qm.HnswConfigDiff(m=self.hnsw.m,
                                                                       ef_construct=self.hnsw.ef_construct))
            if not self._local:  # the in-memory mode has no payload indexes and warns about them
                for field in keyword_fields:
                    self.client.create_payload_index(name, field, field_schema=qm.PayloadSchemaType.KEYWORD)
        self._collections.add(spec)

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        spec = self._collections.get(collection)
        structs = [qm.PointStruct(id=point_id(p.id), vector=checked_vector(p.vector, spec), payload=stored_payload(p))
                   for p in points]
        if structs:
            self.client.upsert(collection, points=structs, wait=True)

    def delete(self, collection: str, ids: Collection[PointKey]) -> None:
        self._collections.get(collection)
        if ids:
            self.client.delete(collection, points_selector=qm.PointIdsList(points=[point_id(key) for key in ids]),
                               wait=True)

    def set_payload(self, collection: str, id: PointKey, payload: Mapping[str, Any]) -> bool:
        self._collections.get(collection)
        pid = point_id(id)
        if not self.client.retrieve(collection, [pid], with_payload=False, with_vectors=False):
            return False
        self.client.set_payload(collection, payload=dict(payload), points=[pid], wait=True)
        return True

    def search(self, collection: str, vector: Sequence[float], k: int,
               filter: PayloadFilter | None = None, payload: bool = True) -> list[Hit]:
        values = self._collections.check_search(collection, vector, k)
        found = self.client.query_points(
            collection, query=values, limit=k, query_filter=server_filter(filter),
            with_payload=True if payload else [ID_FIELD],
            search_params=None if self._local else qm.SearchParams(hnsw_ef=max(self.hnsw.ef, k))).points
        return hits_of(found)

    def count(self, collection: str) -> int:
        self._collections.get(collection)
        return int(self.client.count(collection, exact=True).count)

    def optimize(self) -> None:
        """A server indexes in the background."""

    def close(self) -> None:
        self._collections = Collections()
        if self._owns_client:
            self.client.close()
