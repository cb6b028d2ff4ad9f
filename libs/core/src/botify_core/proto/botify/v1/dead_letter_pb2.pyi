from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DeadLetter(_message.Message):
    __slots__ = ("schema_version", "topic", "partition", "offset", "error", "consumer", "raw_key", "raw_value", "failed_at_ms")
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    RAW_KEY_FIELD_NUMBER: _ClassVar[int]
    RAW_VALUE_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    schema_version: int
    topic: str
    partition: int
    offset: int
    error: str
    consumer: str
    raw_key: bytes
    raw_value: bytes
    failed_at_ms: int
    def __init__(self, schema_version: _Optional[int] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., error: _Optional[str] = ..., consumer: _Optional[str] = ..., raw_key: _Optional[bytes] = ..., raw_value: _Optional[bytes] = ..., failed_at_ms: _Optional[int] = ...) -> None: ...
