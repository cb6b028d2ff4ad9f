"""The default vector store: Qdrant Edge in-process, one shard per collection under a folder (``var/vectors``).

Writes go to the shard's write-ahead log, so they survive a crash; ``close`` flushes. New points land in an
appendable segment searched exhaustively; :meth:`EdgeVectorStore.optimize` builds the HNSW index of segments past
Qdrant's indexing threshold (the sink calls it after each batch; it returns at once when nothing is due).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

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

_DISTANCES = {Distance.COSINE: qe.Distance.Cosine, Distance.DOT: qe.Distance.Dot}


def edge_filter(payload_filter: PayloadFilter | None) -> qe.Filter | None:
    must, excluded = filter_parts(payload_filter)
    if not must and not excluded:
        return None
    return qe.Filter(must=[qe.FieldCondition(key=field, match=qe.MatchAny(any=values)) for field, values in must]
                     or None,
                     must_not=[qe.HasIdCondition(point_ids=set(excluded))] if excluded else None)


class EdgeVectorStore:
    """A :class:`~botify_core.vectors.contract.VectorStore` over ``qdrant-edge-py`` shards in ``folder``."""

    def __init__(self, folder: Path, hnsw: HnswParams, search_threads: int | None = None,
                 indexing_threshold_kb: int | None = None) -> None:
        self.folder = folder
        self.hnsw = hnsw
        self._search_threads = search_threads
        #: a segment's vectors are indexed, and its searches use the index, from this size on (None: Qdrant's
        #: default, 10 MB; below it a search scans every vector)
        self._indexing_threshold_kb = indexing_threshold_kb
        self._collections = Collections()
        self._shards: dict[str, qe.EdgeShard] = {}

    def _config(self, spec: CollectionSpec) -> qe.EdgeConfig:
        return qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(size=spec.dim, distance=_DISTANCES[spec.distance]),
            hnsw_config=qe.HnswIndexConfig(m=self.hnsw.m, ef_construct=self.hnsw.ef_construct,
                                           full_scan_threshold=self._indexing_threshold_kb or 10_000),
            max_search_threads=self._search_threads,
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=self._indexing_threshold_kb))

    def ensure_collection(self, name: str, dim: int, distance: Distance, keyword_fields: Sequence[str] = ()) -> None:
        spec = CollectionSpec(name, dim, Distance(distance), tuple(keyword_fields))
        self._collections.check_same(spec)
        if name in self._shards:
            return
        path = self.folder / name
        try:
            if (path / "edge_config.json").is_file():
                shard = qe.EdgeShard.load(str(path), self._config(spec))
            else:
                path.mkdir(parents=True, exist_ok=True)
                shard = qe.EdgeShard.create(str(path), self._config(spec))
        except Exception as exc:  # the binding raises a bare Exception with the engine's message
            raise ValueError(f"cannot open collection {name!r} (size {dim}, {spec.distance.value}) at {path}: "
                             f"{exc}") from exc
        for field in keyword_fields:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        self._shards[name] = shard
        self._collections.add(spec)

    def _shard(self, collection: str) -> tuple[CollectionSpec, qe.EdgeShard]:
        spec = self._collections.get(collection)
        return spec, self._shards[collection]

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        spec, shard = self._shard(collection)
        edge_points = [qe.Point(id=point_id(p.id), vector=checked_vector(p.vector, spec), payload=stored_payload(p))
                       for p in points]
        if edge_points:
            shard.update(qe.UpdateOperation.upsert_points(edge_points))

    def delete(self, collection: str, ids: Collection[PointKey]) -> None:
        _, shard = self._shard(collection)
        if ids:
            shard.update(qe.UpdateOperation.delete_points([point_id(key) for key in ids]))

    def set_payload(self, collection: str, id: PointKey, payload: Mapping[str, Any]) -> bool:
        _, shard = self._shard(collection)
        pid = point_id(id)
        if not shard.retrieve([pid], with_payload=False, with_vector=False):
            return False
        shard.update(qe.UpdateOperation.set_payload([pid], dict(payload)))
        return True

    def search(self, collection: str, vector: Sequence[float], k: int,
               filter: PayloadFilter | None = None, payload: bool = True) -> list[Hit]:
        values = self._collections.check_search(collection, vector, k)
        shard = self._shards[collection]
        found = shard.query(qe.QueryRequest(query=qe.Query.Nearest(values), limit=k, filter=edge_filter(filter),
                                            params=qe.SearchParams(hnsw_ef=max(self.hnsw.ef, k)),
                                            with_payload=True if payload else qe.PayloadSelector.Include([ID_FIELD])))
        return hits_of(found)

    def count(self, collection: str) -> int:
        _, shard = self._shard(collection)
        return int(shard.count(qe.CountRequest(exact=True)))

    def indexed(self, collection: str) -> int:
        """How many of the collection's vectors are in an HNSW index (the rest are searched exhaustively)."""
        _, shard = self._shard(collection)
        return int(shard.info().indexed_vectors_count)

    def optimize(self) -> None:
        for shard in self._shards.values():
            shard.optimize()

    def close(self) -> None:
        shards, self._shards = self._shards, {}
        self._collections = Collections()
        for shard in shards.values():
            shard.flush()
            shard.close()
