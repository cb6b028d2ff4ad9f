"""Whatever arrives, the boundary answers with a clear error and never crashes: property-based tests of the codecs
and of the ingest body parser over arbitrary bytes, arbitrary JSON and arbitrarily deep nesting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from botify_core.codecs import CodecError, codec_for
from botify_core.topics import SPECS
from botify_ingest.body import BodyTooLargeError, InvalidBodyError, parse_listens
from botify_ingest.schemas import Limits, ListenIn

LIMITS = Limits(earliest_ms=946_684_800_000, max_skew_ms=300_000, max_duration_ms=3 * 3600 * 1000)
MESSAGE_TYPES = sorted({spec.value for spec in SPECS.values()}, key=lambda m: m.DESCRIPTOR.full_name)
MEDIA_TYPES = ["application/json", "application/x-protobuf", "", "text/plain", "application/json; charset=utf-8"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=5),
    max_leaves=30)
#: JSON shaped like a listen, with each field any JSON value: the validator's own edge cases
listen_like = st.fixed_dictionaries({}, optional={
    name: json_values | st.integers(0, 2**63) for name in ListenIn.model_fields})


def parses_or_refuses(body: bytes, media_type: str = "application/json") -> list[ListenIn] | None:
    """The events, or None when refused with one of the two documented errors; anything else fails the test."""
    try:
        return parse_listens(body, media_type, LIMITS, max_events=100)
    except (InvalidBodyError, BodyTooLargeError):
        return None


@pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda m: m.DESCRIPTOR.name)
@given(data=st.binary(max_size=200))
@settings(max_examples=150)
def test_decoding_any_bytes_gives_a_message_or_a_codec_error(message_type: type[Message], data: bytes) -> None:
    outcome: Message | CodecError
    try:
        outcome = codec_for(message_type).decode(data)
    except CodecError as exc:
        outcome = exc
    if isinstance(outcome, CodecError):
        assert message_type.DESCRIPTOR.full_name in str(outcome)  # the error says what it tried to read
    else:
        assert isinstance(outcome, message_type)


@given(body=st.binary(max_size=300), media_type=st.sampled_from(MEDIA_TYPES))
def test_any_bytes_are_parsed_or_refused_clearly(body: bytes, media_type: str) -> None:
    parses_or_refuses(body, media_type)


@given(document=json_values)
def test_any_json_document_is_parsed_or_refused_clearly(document: Any) -> None:
    parses_or_refuses(json.dumps(document).encode())


@given(event=listen_like, batched=st.booleans())
def test_listen_shaped_json_is_parsed_or_refused_clearly(event: dict[str, Any], batched: bool) -> None:
    body = json.dumps({"events": [event]} if batched else event).encode()
    events = parses_or_refuses(body)
    if events is not None:  # whatever was accepted converts to a valid protobuf event
        (accepted,) = events
        proto = accepted.to_proto()
        assert proto.event_id and proto.ms_played <= proto.track_duration_ms


@given(depth=st.integers(1, 200_000), opener=st.sampled_from(["[", '{"a": ', '{"events": [']))
@settings(max_examples=40)
def test_nesting_of_any_depth_is_refused_clearly(depth: int, opener: str) -> None:
    """The regression: 100,000 '[' once crashed the decoder (RecursionError) into a 500."""
    assert parses_or_refuses((opener * depth).encode()) is None
