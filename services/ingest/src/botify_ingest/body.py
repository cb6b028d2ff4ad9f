"""Read and parse the body of ``POST /v1/listens``: size limits, JSON or protobuf, one event or a batch."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.listen_pb2 import ListenBatch
from botify_ingest.schemas import Limits, ListenBatchIn, ListenIn

PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")


class BodyTooLargeError(Exception):
    pass


class InvalidBodyError(Exception):
    """The body is not JSON or protobuf of the right shape; ``errors`` are FastAPI-style field errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"body of {declared} bytes is over the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


#: protobuf field names of the JSON fields whose names differ, for error locations of protobuf bodies
PROTOBUF_NAMES = {"ts": "event_time_ms"}


def _field_errors(exc: ValidationError, prefix: tuple[str | int, ...],
                  names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    names = names or {}
    return [{"loc": ["body", *prefix, *(names.get(str(part), part) for part in e["loc"][:1]), *e["loc"][1:]],
             "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


def parse_listens(body: bytes, content_type: str, limits: Limits, max_events: int) -> list[ListenIn]:
    """Validated events of a body, or InvalidBodyError listing every field error (nothing is accepted then)."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in PROTOBUF_TYPES:
        try:
            batch = codec_for(ListenBatch).decode(body)
        except CodecError as exc:
            raise InvalidBodyError([{"loc": ["body"], "msg": str(exc), "type": "protobuf_invalid"}]) from exc
        _check_count(len(batch.events), max_events)
        if not batch.events:
            raise InvalidBodyError([{"loc": ["body", "events"], "msg": "a batch needs at least one event",
                                     "type": "too_short"}])
        events, errors = [], []
        for i, event in enumerate(batch.events):
            try:
                events.append(ListenIn.from_proto(event, limits))
            except ValidationError as exc:
                errors += _field_errors(exc, ("events", i), PROTOBUF_NAMES)
        if errors:
            raise InvalidBodyError(errors)
        return events
    if media_type not in ("application/json", ""):
        raise InvalidBodyError([{"loc": ["header", "content-type"], "type": "unsupported_media_type",
                        "msg": f"send application/json or application/x-protobuf, not {media_type!r}"}])
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidBodyError([{"loc": ["body"], "msg": f"not valid JSON: {exc}", "type": "json_invalid"}]) from exc
    except RecursionError as exc:  # the decoder recurses per nesting level; a listen event is three levels deep
        message = "JSON nested too deeply: send one event object or {\"events\": [...]}"
        raise InvalidBodyError([{"loc": ["body"], "msg": message, "type": "json_too_deep"}]) from exc
    try:
        if isinstance(document, dict) and "events" in document:
            events = document["events"]
            _check_count(len(events) if isinstance(events, list) else 0, max_events)
            return ListenBatchIn.model_validate(document, context=limits).events
        return [ListenIn.model_validate(document, context=limits)]
    except ValidationError as exc:
        raise InvalidBodyError(_field_errors(exc, ())) from exc


def _check_count(count: int, max_events: int) -> None:
    if count > max_events:
        raise BodyTooLargeError(f"batch of {count} events is over the limit of {max_events} events")
