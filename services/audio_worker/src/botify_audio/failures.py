"""Why a track could not be embedded: a small closed vocabulary (metric labels) plus a sentence for humans.

>>> str(AudioError(Failure.TOO_SHORT, "0.10 s of audio; at least 1.00 s needed"))
'too_short: 0.10 s of audio; at least 1.00 s needed'
"""

from __future__ import annotations

from enum import StrEnum


class Failure(StrEnum):
    BAD_MESSAGE = "bad_message"    # the Kafka record is not a TrackUpserted
    BAD_URI = "bad_uri"            # a scheme we do not fetch, or a malformed URI
    UNREACHABLE = "unreachable"    # no such file, connection refused, HTTP error status
    TIMEOUT = "timeout"            # the download did not finish in time
    NOT_AUDIO = "not_audio"        # the server says it is something else (text/html, ...)
    TOO_LARGE = "too_large"        # more bytes than allowed
    EMPTY = "empty"                # zero bytes or zero samples
    UNREADABLE = "unreadable"      # no decoder understands it, or it is cut short
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


class AudioError(Exception):
    """Audio we cannot use, with a reason from :class:`Failure` and what exactly was wrong."""

    def __init__(self, reason: Failure, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[AudioError], tuple[Failure, str]]:
        # raised in decode processes: must survive pickling back to the worker with both fields
        return AudioError, (self.reason, self.detail)
