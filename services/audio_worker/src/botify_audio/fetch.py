"""Fetch the bytes of a track's audio from its URI: a local path, ``file://`` or ``http(s)://``, within limits.

A download must declare an audio content type (or a generic binary one), stay under ``max_bytes`` and finish
within ``timeout_s`` in total (a server that trickles bytes is cut off too). Every refusal is an
:class:`~botify_audio.failures.AudioError` whose reason says which limit.

>>> fetch("ftp://example.org/a.mp3", FetchLimits())
Traceback (most recent call last):
...
botify_audio.failures.AudioError: bad_uri: cannot fetch scheme 'ftp' (local path, file://, http:// or https://)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from botify_audio.failures import AudioError, Failure


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 64 << 20
    timeout_s: float = 10.0
    allowed_content_types: tuple[str, ...] = ("audio/", "application/ogg", "application/octet-stream",
                                              "binary/octet-stream")


def local_path(uri: str) -> Path | None:
    """The file a URI names, or None when it is a remote URL."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise AudioError(Failure.BAD_URI, f"file URI on another host: {uri}")
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and uri[1:3] in (":\\", ":/")):  # a path (or C:\ path)
        return Path(uri)
    return None


def fetch(uri: str, limits: FetchLimits) -> bytes:
    """The audio's bytes; :class:`AudioError` when they cannot be had within the limits."""
    if not uri:
        raise AudioError(Failure.BAD_URI, "the track has no audio URI")
    path = local_path(uri)
    if path is not None:
        return _read_file(path, limits)
    scheme = urlparse(uri).scheme
    if scheme not in ("http", "https"):
        raise AudioError(Failure.BAD_URI, f"cannot fetch scheme {scheme!r} (local path, file://, http:// or https://)")
    return _download(uri, limits)


def _read_file(path: Path, limits: FetchLimits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise AudioError(Failure.TOO_LARGE, f"{path} has {size:,} bytes; at most {limits.max_bytes:,} allowed")
        return path.read_bytes()
    except OSError as exc:
        raise AudioError(Failure.UNREACHABLE, f"cannot read {path}: {exc.strerror or exc}") from exc


def _download(url: str, limits: FetchLimits) -> bytes:
    deadline = time.monotonic() + limits.timeout_s
    try:
        with httpx.Client(timeout=limits.timeout_s, follow_redirects=True, max_redirects=5) as client, \
                client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise AudioError(Failure.UNREACHABLE, f"{url} answered HTTP {response.status_code}")
            kind = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()
            if not kind.startswith(limits.allowed_content_types):
                raise AudioError(Failure.NOT_AUDIO, f"{url} is {kind!r}, not audio")
            declared = int(response.headers.get("content-length") or 0)
            if declared > limits.max_bytes:
                raise AudioError(Failure.TOO_LARGE, f"{url} declares {declared:,} bytes; at most "
                                                    f"{limits.max_bytes:,} allowed")
            chunks, received = [], 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > limits.max_bytes:
                    raise AudioError(Failure.TOO_LARGE, f"{url} sent more than {limits.max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise AudioError(Failure.TIMEOUT, f"{url} took more than {limits.timeout_s:g} s")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise AudioError(Failure.TIMEOUT, f"{url} did not answer within {limits.timeout_s:g} s "
                                          f"({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise AudioError(Failure.UNREACHABLE, f"{url}: {type(exc).__name__}: {exc}") from exc
