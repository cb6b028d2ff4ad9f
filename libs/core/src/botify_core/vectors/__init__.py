"""The vector store: one small interface (:class:`VectorStore`), two adapters (Qdrant Edge in-process, the
default; a Qdrant server through ``qdrant-client`` when ``QDRANT_URL`` is set), Botify's collections, and the sink
that loads ``track-embeddings`` and ``item-factors`` into them (:mod:`botify_core.vectors.sink`).

The server adapter lives in :mod:`botify_core.vectors.server`, imported only when used (``qdrant-client`` takes
seconds to import)."""

from botify_core.vectors.backend import open_vector_store
from botify_core.vectors.contract import Distance, Hit, PayloadFilter, Point, PointKey, VectorStore
from botify_core.vectors.edge import EdgeVectorStore
from botify_core.vectors.specs import AUDIO, CF, CollectionSpec, HnswParams, collection_specs

__all__ = ["AUDIO", "CF", "CollectionSpec", "Distance", "EdgeVectorStore", "Hit", "HnswParams", "PayloadFilter",
           "Point", "PointKey", "VectorStore", "collection_specs", "open_vector_store"]
