from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServedItem(_message.Message):
    __slots__ = ("track_id", "score", "sources")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    score: float
    sources: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, track_id: _Optional[str] = ..., score: _Optional[float] = ..., sources: _Optional[_Iterable[str]] = ...) -> None: ...

class RecommendationServed(_message.Message):
    __slots__ = ("schema_version", "recommendation_id", "user_id", "items", "experiment", "arm", "latency_ms", "model_versions", "degraded", "missing_sources", "served_at_ms")
    class ModelVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    MISSING_SOURCES_FIELD_NUMBER: _ClassVar[int]
    SERVED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    recommendation_id: str
    user_id: str
    items: _containers.RepeatedCompositeFieldContainer[ServedItem]
    experiment: str
    arm: str
    latency_ms: float
    model_versions: _containers.ScalarMap[str, str]
    degraded: bool
    missing_sources: _containers.RepeatedScalarFieldContainer[str]
    served_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., recommendation_id: _Optional[str] = ..., user_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ServedItem, _Mapping]]] = ..., experiment: _Optional[str] = ..., arm: _Optional[str] = ..., latency_ms: _Optional[float] = ..., model_versions: _Optional[_Mapping[str, str]] = ..., degraded: _Optional[bool] = ..., missing_sources: _Optional[_Iterable[str]] = ..., served_at_ms: _Optional[int] = ...) -> None: ...
