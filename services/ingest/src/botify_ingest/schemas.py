"""The JSON shapes of ``POST /v1/listens`` and its answers, and the rules an event must satisfy.

Bounds that depend on settings (how old or how far in the future an event time may be, the longest track)
arrive as the validation context, a :class:`Limits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from botify_core.clock import from_ms, now_ms, to_ms
from botify_core.ids import new_id
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent, ListenKind, ListenSource

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
KindName = Literal["play", "skip", "like", "dislike"]
SourceName = Literal["user", "recommendation", "dataset", "simulator"]
KINDS: dict[str, ListenKind] = {"play": ListenKind.LISTEN_KIND_PLAY, "skip": ListenKind.LISTEN_KIND_SKIP,
                                          "like": ListenKind.LISTEN_KIND_LIKE,
                                          "dislike": ListenKind.LISTEN_KIND_DISLIKE}
SOURCES: dict[str, ListenSource] = {
    "user": ListenSource.LISTEN_SOURCE_USER, "recommendation": ListenSource.LISTEN_SOURCE_RECOMMENDATION,
    "dataset": ListenSource.LISTEN_SOURCE_DATASET, "simulator": ListenSource.LISTEN_SOURCE_SIMULATOR}
KIND_NAMES = {v: k for k, v in KINDS.items()}
SOURCE_NAMES = {v: k for k, v in SOURCES.items()}


@dataclass(frozen=True)
class Limits:
    earliest_ms: int
    max_skew_ms: int
    max_duration_ms: int


def _limits(info: ValidationInfo) -> Limits:
    if not isinstance(info.context, Limits):
        raise TypeError("validate listens with context=Limits(...)")
    return info.context


class ListenIn(BaseModel):
    """One listen. ``ts`` is when it started: epoch milliseconds, or ISO-8601 with a time zone."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "user_id": "u42", "track_id": "t7", "ts": "2026-11-23T12:00:00Z", "track_duration_ms": 215000,
        "ms_played": 198000, "kind": "play", "source": "user"}]})

    event_id: Id | None = Field(default=None, description="unique id; assigned by ingest when absent. Resending "
                                "an event with the same id lets consumers drop the duplicate")
    user_id: Id
    track_id: Id
    ts: StrictInt | AwareDatetime = Field(description="start of the listen: epoch ms or ISO-8601 with a zone")
    track_duration_ms: StrictInt = Field(gt=0)
    ms_played: StrictInt = Field(ge=0, description="at most track_duration_ms")
    kind: KindName = "play"
    source: SourceName = "user"
    session_id: Id | None = None
    recommendation_id: Id | None = None

    @field_validator("ts", mode="before")
    @classmethod
    def _text_is_iso(cls, value: object) -> object:
        # pydantic would read a string of digits as a unix time (seconds or ms, guessed by size): refuse the guess
        if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
            raise ValueError("ts as text must be ISO-8601 with a zone; send epoch milliseconds as a JSON number")
        return value

    @field_validator("ts")
    @classmethod
    def _plausible_time(cls, value: int | datetime, info: ValidationInfo) -> int:
        limits = _limits(info)
        ms = value if isinstance(value, int) else to_ms(value)
        if ms < limits.earliest_ms:
            raise ValueError(f"event time {from_ms(max(ms, -62135596800000)).isoformat()} is before "
                             f"{from_ms(limits.earliest_ms).isoformat()}; times are epoch milliseconds, UTC")
        latest = now_ms() + limits.max_skew_ms
        if ms > latest:
            raise ValueError(f"event time {from_ms(min(ms, 253402300799000)).isoformat()} is in the future "
                             f"(more than {limits.max_skew_ms // 1000} s ahead of the server clock)")
        return ms

    @field_validator("track_duration_ms")
    @classmethod
    def _plausible_duration(cls, value: int, info: ValidationInfo) -> int:
        limit = _limits(info).max_duration_ms
        if value > limit:
            raise ValueError(f"track_duration_ms {value} is longer than the longest track allowed ({limit} ms)")
        return value

    @field_validator("ms_played")
    @classmethod
    def _within_track(cls, value: int, info: ValidationInfo) -> int:
        duration = info.data.get("track_duration_ms")
        if duration is not None and value > duration:
            raise ValueError(f"ms_played {value} is longer than track_duration_ms {duration}")
        return value

    def to_proto(self) -> ListenEvent:
        assert isinstance(self.ts, int)  # the validator normalised it
        return ListenEvent(event_id=self.event_id or new_id(), user_id=self.user_id, track_id=self.track_id,
                           event_time_ms=self.ts, ms_played=self.ms_played, track_duration_ms=self.track_duration_ms,
                           kind=KINDS[self.kind], source=SOURCES[self.source], session_id=self.session_id or "",
                           recommendation_id=self.recommendation_id or "")

    @classmethod
    def from_proto(cls, event: ListenEvent, limits: Limits) -> Self:
        """Validate a protobuf event by the same rules as JSON."""
        return cls.model_validate({
            "event_id": event.event_id or None, "user_id": event.user_id, "track_id": event.track_id,
            "ts": event.event_time_ms, "track_duration_ms": event.track_duration_ms, "ms_played": event.ms_played,
            # an unset enum (0) takes the JSON default, as an absent JSON field does
            "kind": KIND_NAMES.get(event.kind, "play" if event.kind == 0 else f"unknown enum value {event.kind}"),
            "source": SOURCE_NAMES.get(event.source, "user" if event.source == 0 else f"unknown enum value "
                                       f"{event.source}"),
            "session_id": event.session_id or None, "recommendation_id": event.recommendation_id or None,
        }, context=limits)


class ListenBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[ListenIn] = Field(min_length=1)


class Accepted(BaseModel):
    accepted: int = Field(description="how many events Kafka acknowledged")
    event_ids: list[str] = Field(description="the id of each event, in request order")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Rejected(BaseModel):
    detail: list[FieldError] | str


class Unavailable(BaseModel):
    detail: str
    event_ids: list[str] = Field(description="the id of each event, in request order: resend with these")
