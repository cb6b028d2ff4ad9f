from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class TrackUpserted(_message.Message):
    __slots__ = ("schema_version", "track_id", "title", "artist_id", "artist_name", "album_id", "genres", "duration_ms", "audio_uri", "dataset", "updated_at_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ARTIST_ID_FIELD_NUMBER: _ClassVar[int]
    ARTIST_NAME_FIELD_NUMBER: _ClassVar[int]
    ALBUM_ID_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_URI_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    track_id: str
    title: str
    artist_id: str
    artist_name: str
    album_id: str
    genres: _containers.RepeatedScalarFieldContainer[str]
    duration_ms: int
    audio_uri: str
    dataset: str
    updated_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., track_id: _Optional[str] = ..., title: _Optional[str] = ..., artist_id: _Optional[str] = ..., artist_name: _Optional[str] = ..., album_id: _Optional[str] = ..., genres: _Optional[_Iterable[str]] = ..., duration_ms: _Optional[int] = ..., audio_uri: _Optional[str] = ..., dataset: _Optional[str] = ..., updated_at_ms: _Optional[int] = ...) -> None: ...

class TrackEmbedded(_message.Message):
    __slots__ = ("schema_version", "track_id", "embedding", "genre_probabilities", "model_version", "embedded_at_ms")
    class GenreProbabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    GENRE_PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    track_id: str
    embedding: _containers.RepeatedScalarFieldContainer[float]
    genre_probabilities: _containers.ScalarMap[str, float]
    model_version: str
    embedded_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., track_id: _Optional[str] = ..., embedding: _Optional[_Iterable[float]] = ..., genre_probabilities: _Optional[_Mapping[str, float]] = ..., model_version: _Optional[str] = ..., embedded_at_ms: _Optional[int] = ...) -> None: ...
