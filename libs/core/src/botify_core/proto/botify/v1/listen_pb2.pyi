from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListenKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LISTEN_KIND_UNSPECIFIED: _ClassVar[ListenKind]
    LISTEN_KIND_PLAY: _ClassVar[ListenKind]
    LISTEN_KIND_SKIP: _ClassVar[ListenKind]
    LISTEN_KIND_LIKE: _ClassVar[ListenKind]
    LISTEN_KIND_DISLIKE: _ClassVar[ListenKind]

class ListenSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LISTEN_SOURCE_UNSPECIFIED: _ClassVar[ListenSource]
    LISTEN_SOURCE_USER: _ClassVar[ListenSource]
    LISTEN_SOURCE_RECOMMENDATION: _ClassVar[ListenSource]
    LISTEN_SOURCE_DATASET: _ClassVar[ListenSource]
    LISTEN_SOURCE_SIMULATOR: _ClassVar[ListenSource]
LISTEN_KIND_UNSPECIFIED: ListenKind
LISTEN_KIND_PLAY: ListenKind
LISTEN_KIND_SKIP: ListenKind
LISTEN_KIND_LIKE: ListenKind
LISTEN_KIND_DISLIKE: ListenKind
LISTEN_SOURCE_UNSPECIFIED: ListenSource
LISTEN_SOURCE_USER: ListenSource
LISTEN_SOURCE_RECOMMENDATION: ListenSource
LISTEN_SOURCE_DATASET: ListenSource
LISTEN_SOURCE_SIMULATOR: ListenSource

class ListenEvent(_message.Message):
    __slots__ = ("schema_version", "event_id", "user_id", "track_id", "event_time_ms", "ms_played", "track_duration_ms", "kind", "source", "session_id", "recommendation_id")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    MS_PLAYED_FIELD_NUMBER: _ClassVar[int]
    TRACK_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_ID_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    event_id: str
    user_id: str
    track_id: str
    event_time_ms: int
    ms_played: int
    track_duration_ms: int
    kind: ListenKind
    source: ListenSource
    session_id: str
    recommendation_id: str
    def __init__(self, schema_version: _Optional[int] = ..., event_id: _Optional[str] = ..., user_id: _Optional[str] = ..., track_id: _Optional[str] = ..., event_time_ms: _Optional[int] = ..., ms_played: _Optional[int] = ..., track_duration_ms: _Optional[int] = ..., kind: _Optional[_Union[ListenKind, str]] = ..., source: _Optional[_Union[ListenSource, str]] = ..., session_id: _Optional[str] = ..., recommendation_id: _Optional[str] = ...) -> None: ...

class ListenBatch(_message.Message):
    __slots__ = ("schema_version", "events")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    events: _containers.RepeatedCompositeFieldContainer[ListenEvent]
    def __init__(self, schema_version: _Optional[int] = ..., events: _Optional[_Iterable[_Union[ListenEvent, _Mapping]]] = ...) -> None: ...
