from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrackDelta(_message.Message):
    __slots__ = ("track_id", "plays", "ms_played")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    PLAYS_FIELD_NUMBER: _ClassVar[int]
    MS_PLAYED_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    plays: int
    ms_played: int
    def __init__(self, track_id: _Optional[str] = ..., plays: _Optional[int] = ..., ms_played: _Optional[int] = ...) -> None: ...

class TrendDelta(_message.Message):
    __slots__ = ("schema_version", "window", "window_start_ms", "window_end_ms", "genre", "plays", "ms_played", "tracks", "last_window_start_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_MS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_MS_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    PLAYS_FIELD_NUMBER: _ClassVar[int]
    MS_PLAYED_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    LAST_WINDOW_START_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    window: str
    window_start_ms: int
    window_end_ms: int
    genre: str
    plays: int
    ms_played: int
    tracks: _containers.RepeatedCompositeFieldContainer[TrackDelta]
    last_window_start_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., window: _Optional[str] = ..., window_start_ms: _Optional[int] = ..., window_end_ms: _Optional[int] = ..., genre: _Optional[str] = ..., plays: _Optional[int] = ..., ms_played: _Optional[int] = ..., tracks: _Optional[_Iterable[_Union[TrackDelta, _Mapping]]] = ..., last_window_start_ms: _Optional[int] = ...) -> None: ...

class DecayedWeight(_message.Message):
    __slots__ = ("track_id", "weight")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    weight: float
    def __init__(self, track_id: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class TransitionDelta(_message.Message):
    __slots__ = ("schema_version", "track_id", "ref_time_ms", "successors")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    REF_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSORS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    track_id: str
    ref_time_ms: int
    successors: _containers.RepeatedCompositeFieldContainer[DecayedWeight]
    def __init__(self, schema_version: _Optional[int] = ..., track_id: _Optional[str] = ..., ref_time_ms: _Optional[int] = ..., successors: _Optional[_Iterable[_Union[DecayedWeight, _Mapping]]] = ...) -> None: ...

class TrendTotals(_message.Message):
    __slots__ = ("window", "window_start_ms", "window_end_ms", "genre", "plays", "ms_played", "tracks", "last_window_start_ms")
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_MS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_MS_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    PLAYS_FIELD_NUMBER: _ClassVar[int]
    MS_PLAYED_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    LAST_WINDOW_START_MS_FIELD_NUMBER: _ClassVar[int]
    window: str
    window_start_ms: int
    window_end_ms: int
    genre: str
    plays: int
    ms_played: int
    tracks: _containers.RepeatedCompositeFieldContainer[TrackDelta]
    last_window_start_ms: int
    def __init__(self, window: _Optional[str] = ..., window_start_ms: _Optional[int] = ..., window_end_ms: _Optional[int] = ..., genre: _Optional[str] = ..., plays: _Optional[int] = ..., ms_played: _Optional[int] = ..., tracks: _Optional[_Iterable[_Union[TrackDelta, _Mapping]]] = ..., last_window_start_ms: _Optional[int] = ...) -> None: ...

class SuccessorWeights(_message.Message):
    __slots__ = ("ref_time_ms", "successors")
    REF_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSORS_FIELD_NUMBER: _ClassVar[int]
    ref_time_ms: int
    successors: _containers.RepeatedCompositeFieldContainer[DecayedWeight]
    def __init__(self, ref_time_ms: _Optional[int] = ..., successors: _Optional[_Iterable[_Union[DecayedWeight, _Mapping]]] = ...) -> None: ...

class RecentPlay(_message.Message):
    __slots__ = ("track_id", "event_time_ms", "fraction")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    event_time_ms: int
    fraction: float
    def __init__(self, track_id: _Optional[str] = ..., event_time_ms: _Optional[int] = ..., fraction: _Optional[float] = ...) -> None: ...

class UserProfile(_message.Message):
    __slots__ = ("recent", "session_id", "session_started_ms", "last_event_ms", "affinity_ref_ms", "affinity", "skip_weight", "listen_weight", "listens", "cluster_id")
    class AffinityEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    RECENT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_STARTED_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_MS_FIELD_NUMBER: _ClassVar[int]
    AFFINITY_REF_MS_FIELD_NUMBER: _ClassVar[int]
    AFFINITY_FIELD_NUMBER: _ClassVar[int]
    SKIP_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LISTEN_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LISTENS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    recent: _containers.RepeatedCompositeFieldContainer[RecentPlay]
    session_id: str
    session_started_ms: int
    last_event_ms: int
    affinity_ref_ms: int
    affinity: _containers.ScalarMap[str, float]
    skip_weight: float
    listen_weight: float
    listens: int
    cluster_id: int
    def __init__(self, recent: _Optional[_Iterable[_Union[RecentPlay, _Mapping]]] = ..., session_id: _Optional[str] = ..., session_started_ms: _Optional[int] = ..., last_event_ms: _Optional[int] = ..., affinity_ref_ms: _Optional[int] = ..., affinity: _Optional[_Mapping[str, float]] = ..., skip_weight: _Optional[float] = ..., listen_weight: _Optional[float] = ..., listens: _Optional[int] = ..., cluster_id: _Optional[int] = ...) -> None: ...

class SeenEvents(_message.Message):
    __slots__ = ("newest_event_ms", "event_ids")
    NEWEST_EVENT_MS_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    newest_event_ms: int
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, newest_event_ms: _Optional[int] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PendingListens(_message.Message):
    __slots__ = ("event_time_ms", "ms_played")
    EVENT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    MS_PLAYED_FIELD_NUMBER: _ClassVar[int]
    event_time_ms: _containers.RepeatedScalarFieldContainer[int]
    ms_played: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, event_time_ms: _Optional[_Iterable[int]] = ..., ms_played: _Optional[_Iterable[int]] = ...) -> None: ...

class StateEntry(_message.Message):
    __slots__ = ("schema_version", "user", "trend", "successors", "seen", "pending", "watermark_ms", "opaque")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    SUCCESSORS_FIELD_NUMBER: _ClassVar[int]
    SEEN_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_MS_FIELD_NUMBER: _ClassVar[int]
    OPAQUE_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    user: UserProfile
    trend: TrendTotals
    successors: SuccessorWeights
    seen: SeenEvents
    pending: PendingListens
    watermark_ms: int
    opaque: bytes
    def __init__(self, schema_version: _Optional[int] = ..., user: _Optional[_Union[UserProfile, _Mapping]] = ..., trend: _Optional[_Union[TrendTotals, _Mapping]] = ..., successors: _Optional[_Union[SuccessorWeights, _Mapping]] = ..., seen: _Optional[_Union[SeenEvents, _Mapping]] = ..., pending: _Optional[_Union[PendingListens, _Mapping]] = ..., watermark_ms: _Optional[int] = ..., opaque: _Optional[bytes] = ...) -> None: ...
