"""Choose the vector store from settings: Qdrant Edge under ``var/vectors`` by default, a Qdrant server when
``QDRANT_URL`` is set; both with Botify's collections (``audio``, ``cf``) ensured."""

from __future__ import annotations

from botify_core.settings import PathSettings, VectorSettings
from botify_core.vectors.contract import VectorStore
from botify_core.vectors.edge import EdgeVectorStore
from botify_core.vectors.specs import HnswParams, collection_specs


def open_vector_store(settings: VectorSettings | None = None, paths: PathSettings | None = None) -> VectorStore:
    settings = settings if settings is not None else VectorSettings()
    hnsw = HnswParams.from_settings(settings)
    store: VectorStore
    if settings.qdrant_url:
        from qdrant_client import QdrantClient

        from botify_core.vectors.server import ServerVectorStore

        store = ServerVectorStore(QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key), hnsw)
    else:
        store = EdgeVectorStore(settings.edge_path(paths if paths is not None else PathSettings()), hnsw,
                                search_threads=settings.search_threads,
                                indexing_threshold_kb=settings.indexing_threshold_kb)
    try:
        for spec in collection_specs(settings):
            store.ensure_collection(spec.name, spec.dim, spec.distance, spec.keyword_fields)
    except BaseException:
        store.close()
        raise
    return store
