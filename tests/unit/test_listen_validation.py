"""The rules a listen must satisfy to be accepted by ingest (pure validation, no HTTP, no Kafka)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botify_core.clock import now_ms, parse_iso_ms
from botify_core.proto.botify.v1.listen_pb2 import ListenBatch, ListenEvent, ListenKind, ListenSource
from botify_ingest.body import BodyTooLargeError, InvalidBodyError, parse_listens
from botify_ingest.schemas import Limits, ListenIn

LIMITS = Limits(earliest_ms=parse_iso_ms("2000-01-01T00:00:00Z"), max_skew_ms=300_000, max_duration_ms=3_600_000)


def event(**overrides: Any) -> dict[str, Any]:
    base = {"user_id": "u1", "track_id": "t1", "ts": now_ms(), "track_duration_ms": 200_000, "ms_played": 150_000}
    return base | overrides


def errors_of(document: Any) -> list[dict[str, Any]]:
    with pytest.raises(InvalidBodyError) as caught:
        parse_listens(json.dumps(document).encode(), "application/json", LIMITS, max_events=10)
    return caught.value.errors


def test_a_valid_event_becomes_a_protobuf_with_an_assigned_id() -> None:
    (listen,) = parse_listens(json.dumps(event(kind="skip")).encode(), "application/json", LIMITS, 10)
    message = listen.to_proto()
    assert message.user_id == "u1" and message.kind == ListenKind.LISTEN_KIND_SKIP
    assert message.source == ListenSource.LISTEN_SOURCE_USER
    assert len(message.event_id) == 32


def test_iso_times_with_a_zone_are_accepted_and_naive_ones_refused() -> None:
    listen = ListenIn.model_validate(event(ts="2009-05-04T23:08:57Z"), context=LIMITS)
    assert listen.to_proto().event_time_ms == 1241478537000
    naive = errors_of(event(ts="2009-05-04T23:08:57"))
    assert naive and all(e["loc"][:2] == ["body", "ts"] for e in naive)
    assert any("timezone" in e["msg"] for e in naive)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"ms_played": 200_001}, "ms_played", "longer than track_duration_ms"),
    ({"ms_played": -1}, "ms_played", "greater than or equal to 0"),
    ({"track_duration_ms": 0}, "track_duration_ms", "greater than 0"),
    ({"track_duration_ms": 3_600_001, "ms_played": 0}, "track_duration_ms", "longest track"),
    ({"ts": 946_684_799_999}, "ts", "before 2000-01-01"),
    ({"ts": now_ms() + 3_600_000}, "ts", "in the future"),
    ({"kind": "paused"}, "kind", "'play', 'skip', 'like' or 'dislike'"),
    ({"source": "radio"}, "source", "'user', 'recommendation'"),
    ({"user_id": ""}, "user_id", "at least 1 character"),
    ({"track_id": "has space"}, "track_id", "pattern"),
    ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
])
def test_each_bad_field_is_named_with_the_reason(overrides: dict[str, Any], field: str, message: str) -> None:
    errors = errors_of(event(**overrides))
    located = [e for e in errors if e["loc"][1] == field]
    assert located, errors
    assert any(message in e["msg"] for e in located), located


def test_a_batch_with_one_bad_event_is_rejected_whole_with_its_index() -> None:
    errors = errors_of({"events": [event(), event(), event(ms_played=10**9)]})
    assert [e["loc"][:4] for e in errors] == [["body", "events", 2, "ms_played"]]


def test_a_missing_field_is_reported() -> None:
    body = event()
    del body["track_id"]
    assert errors_of(body)[0]["loc"] == ["body", "track_id"]


def test_too_many_events_is_too_large() -> None:
    with pytest.raises(BodyTooLargeError, match="11 events is over the limit of 10"):
        parse_listens(json.dumps({"events": [event()] * 11}).encode(), "application/json", LIMITS, 10)


def test_invalid_json_and_unknown_media_types_are_refused() -> None:
    with pytest.raises(InvalidBodyError, match="not valid JSON"):
        parse_listens(b"{", "application/json", LIMITS, 10)
    with pytest.raises(InvalidBodyError, match="application/x-protobuf"):
        parse_listens(b"a,b", "text/csv", LIMITS, 10)


def test_protobuf_batches_follow_the_same_rules() -> None:
    good = ListenEvent(user_id="u1", track_id="t1", event_time_ms=now_ms(), track_duration_ms=1000, ms_played=10,
                       kind=ListenKind.LISTEN_KIND_PLAY)
    bad = ListenEvent(user_id="u1", track_id="t1", event_time_ms=now_ms(), track_duration_ms=1000, ms_played=10,
                      kind=9)  # type: ignore[arg-type]
    batch = ListenBatch(schema_version=1, events=[good, good])
    assert len(parse_listens(batch.SerializeToString(), "application/x-protobuf", LIMITS, 10)) == 2
    with pytest.raises(InvalidBodyError) as caught:
        parse_listens(ListenBatch(schema_version=1, events=[good, bad]).SerializeToString(),
                      "application/x-protobuf", LIMITS, 10)
    assert caught.value.errors[0]["loc"][:4] == ["body", "events", 1, "kind"]
    with pytest.raises(InvalidBodyError, match="cannot decode"):
        parse_listens(b"\xff\x00", "application/x-protobuf", LIMITS, 10)


@given(duration=st.integers(1, 3_600_000), played=st.integers(0, 3_600_000))
def test_ms_played_is_accepted_exactly_when_within_the_track(duration: int, played: int) -> None:
    document = event(track_duration_ms=duration, ms_played=played)
    try:
        ListenIn.model_validate(document, context=LIMITS)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == (played <= duration)


@pytest.mark.parametrize(("field", "value"), [("ms_played", "1"), ("track_duration_ms", True),
                                              ("ms_played", 1.5), ("ts", "1241478537000")])
def test_numbers_must_be_json_integers(field: str, value: Any) -> None:
    errors = errors_of(event(**{field: value}))
    assert any(e["loc"][1] == field for e in errors), errors


def test_protobuf_enums_left_unset_take_the_json_defaults_and_errors_use_protobuf_names() -> None:
    unset = ListenEvent(user_id="u1", track_id="t1", event_time_ms=now_ms(), track_duration_ms=1000, ms_played=10)
    (listen,) = parse_listens(ListenBatch(schema_version=1, events=[unset]).SerializeToString(),
                              "application/x-protobuf", LIMITS, 10)
    assert (listen.kind, listen.source) == ("play", "user")
    old = ListenEvent(user_id="u1", track_id="t1", event_time_ms=5, track_duration_ms=1000, ms_played=10)
    with pytest.raises(InvalidBodyError) as caught:
        parse_listens(ListenBatch(schema_version=1, events=[old]).SerializeToString(), "application/x-protobuf",
                      LIMITS, 10)
    assert caught.value.errors[0]["loc"] == ["body", "events", 0, "event_time_ms"]
