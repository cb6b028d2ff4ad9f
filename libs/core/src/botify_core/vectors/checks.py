"""What every adapter checks before it writes or searches, and how caller ids become Qdrant point ids.

Qdrant takes unsigned integers or UUIDs as point ids; a string id maps to a UUID derived from it (stable across
processes and adapters) and the original id travels in the payload under :data:`ID_FIELD`.

>>> point_id(42), point_id("syn-t00301") == point_id("syn-t00301")
(42, True)
>>> checked_vector([1.0, float("nan")], CollectionSpec("audio", 2, Distance.COSINE))
Traceback (most recent call last):
...
ValueError: collection 'audio' takes finite numbers; got NaN or infinity at position 1
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from botify_core.vectors.contract import Distance, Hit, PayloadFilter, Point, PointKey
from botify_core.vectors.specs import CollectionSpec

#: The payload field that keeps a point's original id.
ID_FIELD = "_id"
_NAMESPACE = uuid.UUID("6f1c0f5e-54b4-4b43-9a2e-7d0b5b1f3c21")
_MAX_ID = 2**64 - 1


def point_id(key: PointKey) -> int | str:
    """The Qdrant point id of a caller's id: the integer itself, or a UUID (as text) derived from the string."""
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise ValueError(f"a point id is a string or a non-negative integer; got {key!r}")
    if isinstance(key, int):
        if not 0 <= key <= _MAX_ID:
            raise ValueError(f"an integer point id must be in [0, 2**64); got {key}")
        return key
    if not key:
        raise ValueError("a point id must not be empty")
    return str(uuid.uuid5(_NAMESPACE, key))


def checked_vector(vector: Sequence[float], spec: CollectionSpec) -> list[float]:
    """The vector as a list of floats, or ValueError saying what the collection expects and what came."""
    values = [float(v) for v in vector]
    if len(values) != spec.dim:
        raise ValueError(f"collection {spec.name!r} takes vectors of size {spec.dim}; got {len(values)}")
    for position, value in enumerate(values):
        if not math.isfinite(value):
            raise ValueError(f"collection {spec.name!r} takes finite numbers; got NaN or infinity at position "
                             f"{position}")
    if spec.distance is Distance.COSINE and not any(values):
        raise ValueError(f"collection {spec.name!r} uses cosine similarity; an all-zero vector has no direction")
    return values


def stored_payload(point: Point) -> dict[str, Any]:
    """The payload as stored: the caller's fields plus the original id."""
    if ID_FIELD in point.payload:
        raise ValueError(f"payload field {ID_FIELD!r} is reserved for the point's id")
    return {**point.payload, ID_FIELD: point.id}


def caller_payload(stored: Mapping[str, Any] | None) -> tuple[PointKey, dict[str, Any]]:
    """Split a stored payload into the original id and the caller's fields."""
    payload = dict(stored or {})
    key = payload.pop(ID_FIELD)
    return key, payload


def filter_parts(payload_filter: PayloadFilter | None) -> tuple[list[tuple[str, list[Any]]], list[int | str]]:
    """A filter as adapters build it: (field, values) pairs that must each match, and point ids to leave out."""
    if payload_filter is None:
        return [], []
    must = [(field, list(values)) for field, values in payload_filter.any_of.items()]
    return must, [point_id(key) for key in payload_filter.exclude_ids]


class Scored(Protocol):
    @property
    def score(self) -> float: ...
    @property
    def payload(self) -> Mapping[str, Any] | None: ...


def hits_of(found: Iterable[Scored]) -> list[Hit]:
    """Hits with the caller's ids and payloads, from what an engine returned."""
    hits = []
    for scored in found:
        key, payload = caller_payload(scored.payload)
        hits.append(Hit(id=key, score=float(scored.score), payload=payload))
    return hits


class Collections:
    """The specs of the collections an adapter has ensured; looks one up or says it is unknown."""

    def __init__(self) -> None:
        self._specs: dict[str, CollectionSpec] = {}

    def add(self, spec: CollectionSpec) -> None:
        self._specs[spec.name] = spec

    def known(self, name: str) -> CollectionSpec | None:
        return self._specs.get(name)

    def get(self, name: str) -> CollectionSpec:
        spec = self._specs.get(name)
        if spec is None:
            raise ValueError(f"unknown collection {name!r}; ensured: {sorted(self._specs) or 'none'}")
        return spec

    def check_same(self, spec: CollectionSpec) -> None:
        known = self._specs.get(spec.name)
        if known is not None and (known.dim, known.distance) != (spec.dim, spec.distance):
            raise ValueError(f"collection {spec.name!r} exists with size {known.dim} and {known.distance.value} "
                             f"distance; asked for size {spec.dim} and {spec.distance.value}")

    def check_search(self, name: str, vector: Sequence[float], k: int) -> list[float]:
        """The query vector checked against the collection, and ``k`` checked."""
        spec = self.get(name)
        if k < 1:
            raise ValueError(f"k must be at least 1; got {k}")
        return checked_vector(vector, spec)
