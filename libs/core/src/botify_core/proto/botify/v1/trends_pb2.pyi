from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrackPlays(_message.Message):
    __slots__ = ("track_id", "plays", "minutes")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    PLAYS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    plays: int
    minutes: float
    def __init__(self, track_id: _Optional[str] = ..., plays: _Optional[int] = ..., minutes: _Optional[float] = ...) -> None: ...

class TrendSnapshot(_message.Message):
    __slots__ = ("schema_version", "window", "window_start_ms", "window_end_ms", "genre", "plays", "minutes", "top_tracks", "updated_at_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_MS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_MS_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    PLAYS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    TOP_TRACKS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    window: str
    window_start_ms: int
    window_end_ms: int
    genre: str
    plays: int
    minutes: float
    top_tracks: _containers.RepeatedCompositeFieldContainer[TrackPlays]
    updated_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., window: _Optional[str] = ..., window_start_ms: _Optional[int] = ..., window_end_ms: _Optional[int] = ..., genre: _Optional[str] = ..., plays: _Optional[int] = ..., minutes: _Optional[float] = ..., top_tracks: _Optional[_Iterable[_Union[TrackPlays, _Mapping]]] = ..., updated_at_ms: _Optional[int] = ...) -> None: ...
