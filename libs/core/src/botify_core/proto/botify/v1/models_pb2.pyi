from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FactorsUpdated(_message.Message):
    __slots__ = ("schema_version", "track_id", "factors", "bias", "model_version", "update_count", "updated_at_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    BIAS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    track_id: str
    factors: _containers.RepeatedScalarFieldContainer[float]
    bias: float
    model_version: str
    update_count: int
    updated_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., track_id: _Optional[str] = ..., factors: _Optional[_Iterable[float]] = ..., bias: _Optional[float] = ..., model_version: _Optional[str] = ..., update_count: _Optional[int] = ..., updated_at_ms: _Optional[int] = ...) -> None: ...

class RecentListen(_message.Message):
    __slots__ = ("track_id", "event_time_ms", "fraction")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    event_time_ms: int
    fraction: float
    def __init__(self, track_id: _Optional[str] = ..., event_time_ms: _Optional[int] = ..., fraction: _Optional[float] = ...) -> None: ...

class UserState(_message.Message):
    __slots__ = ("schema_version", "user_id", "factors", "recent", "genre_affinity", "cluster_id", "listens", "skip_rate", "model_version", "updated_at_ms")
    class GenreAffinityEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    GENRE_AFFINITY_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    LISTENS_FIELD_NUMBER: _ClassVar[int]
    SKIP_RATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    user_id: str
    factors: _containers.RepeatedScalarFieldContainer[float]
    recent: _containers.RepeatedCompositeFieldContainer[RecentListen]
    genre_affinity: _containers.ScalarMap[str, float]
    cluster_id: int
    listens: int
    skip_rate: float
    model_version: str
    updated_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., user_id: _Optional[str] = ..., factors: _Optional[_Iterable[float]] = ..., recent: _Optional[_Iterable[_Union[RecentListen, _Mapping]]] = ..., genre_affinity: _Optional[_Mapping[str, float]] = ..., cluster_id: _Optional[int] = ..., listens: _Optional[int] = ..., skip_rate: _Optional[float] = ..., model_version: _Optional[str] = ..., updated_at_ms: _Optional[int] = ...) -> None: ...

class Successor(_message.Message):
    __slots__ = ("track_id", "weight")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    weight: float
    def __init__(self, track_id: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class Transitions(_message.Message):
    __slots__ = ("schema_version", "track_id", "successors", "updated_at_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESSORS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    track_id: str
    successors: _containers.RepeatedCompositeFieldContainer[Successor]
    updated_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., track_id: _Optional[str] = ..., successors: _Optional[_Iterable[_Union[Successor, _Mapping]]] = ..., updated_at_ms: _Optional[int] = ...) -> None: ...

class ItemFactorsDelta(_message.Message):
    __slots__ = ("schema_version", "track_id", "delta", "listens", "model_version", "sent_at_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    LISTENS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    track_id: str
    delta: _containers.RepeatedScalarFieldContainer[float]
    listens: int
    model_version: str
    sent_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., track_id: _Optional[str] = ..., delta: _Optional[_Iterable[float]] = ..., listens: _Optional[int] = ..., model_version: _Optional[str] = ..., sent_at_ms: _Optional[int] = ...) -> None: ...
