"""Codecs round-trip every Botify message and refuse bad bytes and unknown versions with a clear error."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from botify_core.codecs import CURRENT_VERSION, CodecError, codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenBatch, ListenEvent
from botify_core.topics import SPECS

MESSAGE_TYPES: list[type[Message]] = sorted({s.value for s in SPECS.values()} | {ListenBatch},
                                            key=lambda m: m.DESCRIPTOR.full_name)

_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FieldDescriptor.TYPE_STRING: st.text(max_size=20),
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=20),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_FLOAT: st.floats(width=32, allow_nan=False),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=False),
}


def _value(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.enum_type is not None:
        return st.sampled_from([v.number for v in field.enum_type.values])
    if field.message_type is not None:
        return _fields(field.message_type, depth + 1)
    return _SCALARS[field.type]


def _fields(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Random values for every field of a message type, read off its descriptor."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.name == "schema_version":
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            parts[field.name] = st.dictionaries(_value(key, depth), _value(value, depth), max_size=3)
        elif field.is_repeated:
            parts[field.name] = st.lists(_value(field, depth), max_size=3 if depth == 0 else 1)
        else:
            parts[field.name] = _value(field, depth)
    return st.fixed_dictionaries(parts)


def _build(message_type: type[Message], values: dict[str, Any]) -> Message:
    message = message_type()
    for name, value in values.items():
        field = message_type.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target.update(value)
        elif field.is_repeated and field.message_type is not None:
            for item in value:
                target.add(**item)
        elif field.is_repeated:
            target.extend(value)
        elif field.message_type is not None:
            target.CopyFrom(type(target)(**value))
        else:
            setattr(message, name, value)
    return message


@pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda m: m.DESCRIPTOR.name)
def test_every_message_round_trips(message_type: type[Message]) -> None:
    codec = codec_for(message_type)

    @settings(max_examples=60, deadline=None)
    @given(_fields(message_type.DESCRIPTOR))  # type: ignore[arg-type]
    def round_trip(values: dict[str, Any]) -> None:
        original = _build(message_type, values)
        decoded = codec.decode(codec.encode(original))
        assert decoded == original
        assert decoded.schema_version == CURRENT_VERSION  # type: ignore[attr-defined]

    round_trip()


def test_every_message_carries_a_schema_version_as_field_1() -> None:
    for message_type in MESSAGE_TYPES:
        field = message_type.DESCRIPTOR.fields_by_name["schema_version"]
        assert field.number == 1, message_type.DESCRIPTOR.full_name


def test_bytes_that_do_not_parse_are_refused() -> None:
    with pytest.raises(CodecError, match=r"cannot decode botify\.v1\.ListenEvent from 3 bytes"):
        codec_for(ListenEvent).decode(b"\xff\xff\xff")


def test_a_message_without_a_version_is_refused() -> None:
    unversioned = TrackUpserted(track_id="t1").SerializeToString()
    with pytest.raises(CodecError, match="no schema_version"):
        codec_for(TrackUpserted).decode(unversioned)


def test_a_newer_schema_version_is_refused() -> None:
    future = ListenEvent(schema_version=CURRENT_VERSION + 1, user_id="u").SerializeToString()
    with pytest.raises(CodecError, match=f"schema_version {CURRENT_VERSION + 1}; this build reads up to"):
        codec_for(ListenEvent).decode(future)


def test_a_tombstone_is_refused() -> None:
    with pytest.raises(CodecError, match="no value"):
        codec_for(ListenEvent).decode(None)


def test_encoding_the_wrong_type_is_refused() -> None:
    with pytest.raises(CodecError, match=r"expected botify\.v1\.ListenEvent, got TrackUpserted"):
        codec_for(ListenEvent).encode(TrackUpserted())  # type: ignore[arg-type]


def test_encoding_an_unknown_version_is_refused() -> None:
    with pytest.raises(CodecError, match="this build writes"):
        codec_for(ListenEvent).encode(ListenEvent(schema_version=7))
