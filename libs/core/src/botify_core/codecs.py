"""Encode and decode Botify's protobuf messages, refusing bad bytes and unknown schema versions.

Every message has ``schema_version`` as field 1. Encoding stamps the current version when it is unset;
decoding refuses bytes that do not parse, that carry no version, or that carry a version this build cannot read.

>>> from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
>>> codec = codec_for(ListenEvent)
>>> event = codec.decode(codec.encode(ListenEvent(user_id="u1", track_id="t1")))
>>> (event.schema_version, event.user_id)
(1, 'u1')
>>> codec.decode(b"\\xff\\xff")
Traceback (most recent call last):
...
botify_core.codecs.CodecError: cannot decode botify.v1.ListenEvent from 2 bytes: Error parsing message...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import DecodeError, Message

M = TypeVar("M", bound=Message)

#: The schema version this build writes, per message; it reads every version from 1 up to it.
CURRENT_VERSION = 1


class CodecError(ValueError):
    """Bytes that are not a readable message of the expected type and version."""


@dataclass(frozen=True)
class Codec(Generic[M]):
    message_type: type[M]
    version: int = CURRENT_VERSION

    @property
    def name(self) -> str:
        return str(self.message_type.DESCRIPTOR.full_name)

    def encode(self, message: M) -> bytes:
        if not isinstance(message, self.message_type):
            raise CodecError(f"expected {self.name}, got {type(message).__name__}")
        version = message.schema_version  # type: ignore[attr-defined]
        if version == 0:
            message.schema_version = self.version  # type: ignore[attr-defined]
        elif version != self.version:
            raise CodecError(f"{self.name} has schema_version {version}; this build writes {self.version}")
        return message.SerializeToString()

    def decode(self, data: bytes | None) -> M:
        if data is None:
            raise CodecError(f"cannot decode {self.name}: the message has no value (a tombstone?)")
        message = self.message_type()
        try:
            message.ParseFromString(data)
        except DecodeError as exc:
            raise CodecError(f"cannot decode {self.name} from {len(data)} bytes: {exc}") from exc
        version = message.schema_version  # type: ignore[attr-defined]
        if version == 0:
            raise CodecError(f"{self.name} from {len(data)} bytes has no schema_version: not a Botify message")
        if version > self.version:
            raise CodecError(f"{self.name} has schema_version {version}; this build reads up to {self.version}")
        return message


_CODECS: dict[type[Message], Codec[Any]] = {}


def codec_for(message_type: type[M]) -> Codec[M]:
    """The codec of a message type (one per type)."""
    codec = _CODECS.get(message_type)
    if codec is None:
        if "schema_version" not in message_type.DESCRIPTOR.fields_by_name:
            raise TypeError(f"{message_type.DESCRIPTOR.full_name} has no schema_version field")
        codec = _CODECS[message_type] = Codec(message_type)
    return codec
