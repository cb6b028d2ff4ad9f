"""The audio worker against the real broker: good tracks of every format embedded, bad ones dead-lettered with a
reason while the good ones around them go through, vectors found in the vector store, no re-embedding on restart."""

from __future__ import annotations

import asyncio
import http.server
import io
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from botify_audio.embedder import CnnEmbedder, Embedder
from botify_audio.failures import Failure
from botify_audio.model import GenreCNN
from botify_audio.settings import AudioSettings
from botify_audio.training import TrainConfig, TrainedModel
from botify_audio.worker import AudioWorker, BatchOutcome, decode_pool
from botify_core.codecs import codec_for
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackEmbedded, TrackUpserted
from botify_core.proto.botify.v1.dead_letter_pb2 import DeadLetter
from botify_core.settings import KafkaSettings, PathSettings, VectorSettings
from botify_core.topics import Topic
from botify_core.vectors import AUDIO, EdgeVectorStore, open_vector_store
from botify_core.vectors.sink import VectorSink
from tests.kafka_helpers import consume

pytestmark = pytest.mark.kafka
RATE = 22_050


def sound(seconds: float, hz: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t) + 0.05 * np.sin(2 * np.pi * 3 * hz * t)).astype(np.float32)


def write(path: Path, wave: np.ndarray, rate: int = RATE, subtype: str | None = None) -> Path:
    soundfile.write(path, wave, rate, subtype=subtype)
    return path


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    torch.manual_seed(0)
    config = TrainConfig(embedding_dim=128, channels=(8, 16), segment_seconds=2.0, max_segments=3)
    return CnnEmbedder(TrainedModel(GenreCNN(2, 128, (8, 16)), ("blues", "rock"), config, "cnn-test-untrained"))


@pytest.fixture(scope="module")
def pool() -> Iterator[object]:
    executor = decode_pool(2)
    yield executor
    executor.shutdown()


class Site(http.server.BaseHTTPRequestHandler):
    """/song.flac is audio; anything else is an HTML page."""

    audio = b""

    def do_GET(self) -> None:
        body, kind = (self.audio, "audio/flac") if self.path == "/song.flac" else (b"<html>hello</html>", "text/html")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    buffer = io.BytesIO()
    soundfile.write(buffer, sound(3.0, 330.0), RATE, format="FLAC")
    Site.audio = buffer.getvalue()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def corpus(folder: Path, site: str, silent_port: int) -> tuple[dict[str, str], dict[str, tuple[str, Failure]]]:
    """Good tracks (id -> URI) and bad ones (id -> (URI, the reason they must be refused with))."""
    good = {
        "good-wav": write(folder / "a.wav", sound(4.0, 220.0)).as_uri(),
        "good-flac": str(write(folder / "b.flac", sound(6.0, 440.0))),
        "good-ogg": write(folder / "c.ogg", sound(3.0, 550.0), subtype="VORBIS").as_uri(),
        "good-http": f"{site}/song.flac",
        "good-wav-again": (folder / "a.wav").as_uri(),  # same audio as good-wav: the same vector
    }
    if "MP3" in soundfile.available_formats():
        good["good-mp3"] = write(folder / "d.mp3", sound(3.0, 660.0), subtype="MPEG_LAYER_III").as_uri()
    (folder / "empty.wav").write_bytes(b"")
    whole = write(folder / "whole.flac", sound(5.0, 200.0)).read_bytes()
    (folder / "truncated.flac").write_bytes(whole[: len(whole) // 3])
    (folder / "text.mp3").write_text("this is not an mp3, it is a shopping list\n" * 20)
    write(folder / "blip.wav", sound(0.1, 440.0))
    write(folder / "thirty-minutes.flac", np.zeros(30 * 60 * 4_000, np.int16), 4_000, "PCM_16")
    bad = {
        "bad-empty": ((folder / "empty.wav").as_uri(), Failure.EMPTY),
        "bad-truncated": ((folder / "truncated.flac").as_uri(), Failure.UNREADABLE),
        "bad-text": ((folder / "text.mp3").as_uri(), Failure.UNREADABLE),
        "bad-short": ((folder / "blip.wav").as_uri(), Failure.TOO_SHORT),
        "bad-long": ((folder / "thirty-minutes.flac").as_uri(), Failure.TOO_LONG),
        "bad-missing": ((folder / "nowhere.flac").as_uri(), Failure.UNREACHABLE),
        "bad-silent-url": (f"http://127.0.0.1:{silent_port}/song.mp3", Failure.TIMEOUT),
        "bad-html-url": (f"{site}/index.html", Failure.NOT_AUDIO),
        "bad-scheme": ("ftp://example.org/song.mp3", Failure.BAD_URI),
    }
    return good, bad


def settings_for(kafka: KafkaSettings, tmp_path: Path) -> AudioSettings:
    return AudioSettings(kafka=kafka, paths=PathSettings(var_dir=tmp_path / "var"), batch_size=4,
                         download_timeout_s=6.0, max_seconds=600, min_seconds=1.0,  # slow shared machines
                         group_id=f"audio-{uuid.uuid4().hex[:6]}")


def track(track_id: str, uri: str) -> TrackUpserted:
    return TrackUpserted(track_id=track_id, title=track_id.title(), artist_id="a1", artist_name="The Testers",
                         duration_ms=4000, audio_uri=uri, dataset="test")


class Progress:
    """Collects batch outcomes; awaitable until a condition holds, without polling."""

    def __init__(self) -> None:
        self.outcomes: list[BatchOutcome] = []
        self.changed = asyncio.Condition()

    def __call__(self, outcome: BatchOutcome) -> None:
        self.outcomes.append(outcome)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def seen(self) -> set[str]:
        return {k for o in self.outcomes for k in [*o.embedded, *o.failed, *o.unchanged, *o.no_audio]}

    async def until_seen(self, keys: set[str], timeout_s: float = 60.0) -> None:
        async with asyncio.timeout(timeout_s), self.changed:
            await self.changed.wait_for(lambda: keys <= self.seen())


async def run_until(worker: AudioWorker, progress: Progress, keys: set[str]) -> None:
    task = asyncio.create_task(worker.run())
    try:
        await progress.until_seen(keys)
    finally:
        worker.stop()
        await task


async def test_bad_audio_goes_to_dead_letters_and_good_audio_around_it_is_embedded(
        topics: KafkaSettings, tmp_path: Path, site: str, silent_port: int, embedder: Embedder,
        pool: object) -> None:
    good, bad = corpus(tmp_path, site, silent_port)
    expected = {key: reason for key, (_, reason) in bad.items()}
    # every bad track sits between good ones
    good_keys = list(good)
    ordered = [("good-wav", good["good-wav"])]
    for i, (bad_key, (bad_uri, _)) in enumerate(bad.items()):
        ordered.append((bad_key, bad_uri))
        next_good = good_keys[1 + i % (len(good_keys) - 1)]
        ordered.append((f"{next_good}-{i}", good[next_good]))
    good = {k: uri for k, uri in ordered if k.startswith("good")}
    async with EventProducer(topics) as producer:
        await producer.send_many(Topic.TRACKS, [(key, track(key, uri)) for key, uri in ordered])
        await producer.send_many(Topic.TRACKS, [("no-audio", track("no-audio", ""))])
        await producer.client.send_and_wait(topics.topic(Topic.TRACKS), b"\xff\x00garbage", key=b"bad-message")
    progress = Progress()
    settings = settings_for(topics, tmp_path)
    worker = AudioWorker(settings, embedder, pool=pool, on_batch=progress)  # type: ignore[arg-type]
    await run_until(worker, progress, {k for k, _ in ordered} | {"no-audio", "bad-message"})
    failed = {k: reason for o in progress.outcomes for k, reason in o.failed.items()}
    assert not {k: reason for k, reason in failed.items() if k.startswith("good")}, "good tracks were refused"

    embedded = {r.key.decode(): codec_for(TrackEmbedded).decode(r.value)
                for r in await consume(topics, Topic.TRACK_EMBEDDINGS, len(good))}
    assert set(embedded) == set(good)
    for track_id, message in embedded.items():
        vector = np.array(message.embedding)
        assert vector.shape == (128,) and abs(np.linalg.norm(vector) - 1) < 1e-5, track_id
        assert message.model_version == "cnn-test-untrained" and message.track_id == track_id
        assert set(message.genre_probabilities) == {"blues", "rock"}
        assert abs(sum(message.genre_probabilities.values()) - 1) < 1e-5
    np.testing.assert_array_equal(embedded["good-wav"].embedding, embedded["good-wav-again-3"].embedding)
    assert not np.allclose(embedded["good-wav"].embedding, embedded["good-ogg-1"].embedding)

    letters = {r.key.decode(): codec_for(DeadLetter).decode(r.value)
               for r in await consume(topics, Topic.DEAD_LETTERS, len(expected) + 1)}
    assert set(letters) == set(expected) | {"bad-message"}
    for key, reason in expected.items():
        letter = letters[key]
        assert letter.error.startswith(reason.value + ": "), (key, letter.error)
        assert letter.consumer == "audio-worker" and letter.topic == topics.topic(Topic.TRACKS)
        assert codec_for(TrackUpserted).decode(letter.raw_value).track_id == key
    assert letters["bad-message"].error.startswith("bad_message: ") and letters["bad-message"].raw_value
    assert "no-audio" in {k for o in progress.outcomes for k in o.no_audio}


async def test_vectors_reach_the_store_and_a_restart_does_not_embed_again(
        topics: KafkaSettings, tmp_path: Path, embedder: Embedder, pool: object) -> None:
    clips = {f"t{i}": write(tmp_path / f"t{i}.flac", sound(3.0, 200.0 + 90 * i)).as_uri() for i in range(5)}
    async with EventProducer(topics) as producer:
        await producer.send_many(Topic.TRACKS, [(k, track(k, uri)) for k, uri in clips.items()])
    settings = settings_for(topics, tmp_path)
    first = Progress()
    await run_until(AudioWorker(settings, embedder, pool=pool, on_batch=first), first, set(clips))  # type: ignore[arg-type]
    assert sorted(k for o in first.outcomes for k in o.embedded) == sorted(clips)

    # the catalog is published again (as every replay does) and one track is new; a fresh worker process with
    # the same state file and group embeds only the new one
    clips["t-new"] = write(tmp_path / "new.flac", sound(3.0, 700.0)).as_uri()
    async with EventProducer(topics) as producer:
        await producer.send_many(Topic.TRACKS, [(k, track(k, uri)) for k, uri in clips.items()])
    second = Progress()
    await run_until(AudioWorker(settings, embedder, pool=pool, on_batch=second), second, set(clips))  # type: ignore[arg-type]
    assert [k for o in second.outcomes for k in o.embedded] == ["t-new"]
    assert sorted(k for o in second.outcomes for k in o.unchanged) == sorted(set(clips) - {"t-new"})

    # the vector sink (hosted by the gateway) loads them into the audio collection with their payloads
    vectors = VectorSettings(qdrant_url=None, path=tmp_path / "vectors")
    store = open_vector_store(vectors, PathSettings(var_dir=tmp_path))
    assert isinstance(store, EdgeVectorStore)
    sink = VectorSink(store, topics, vectors)
    task = asyncio.create_task(sink.run())
    try:
        await asyncio.wait_for(sink.ready.wait(), 60)
        assert store.count(AUDIO) == len(clips)
        query = codec_for(TrackEmbedded).decode(
            (await consume(topics, Topic.TRACK_EMBEDDINGS, 1))[0].value)
        (hit, *_) = store.search(AUDIO, list(query.embedding), k=3)
        assert hit.id == query.track_id and hit.score > 0.999
        assert hit.payload["model_version"] == "cnn-test-untrained" and hit.payload["artist"] == "The Testers"
        assert hit.payload["genres"] and set(hit.payload["genres"]) <= {"blues", "rock"}
    finally:
        sink.stop()
        await task
        store.close()


async def test_a_decode_process_that_dies_does_not_stop_the_worker(topics: KafkaSettings, tmp_path: Path,
                                                                   embedder: Embedder) -> None:
    uris = {f"c{i}": write(tmp_path / f"c{i}.wav", sound(2.0, 300.0 + 50 * i)).as_uri() for i in range(4)}
    settings = settings_for(topics, tmp_path).model_copy(update={"decode_workers": 1})
    progress = Progress()
    worker = AudioWorker(settings, embedder, on_batch=progress)  # its own decode pool
    task = asyncio.create_task(worker.run())
    try:
        async with EventProducer(topics) as producer:
            await producer.send(Topic.TRACKS, "c0", track("c0", uris["c0"]))
            await progress.until_seen({"c0"})
            (pid,) = worker.pool._processes  # type: ignore[attr-defined]  # the decode process we started
            os.kill(pid, signal.SIGKILL)
            await producer.send_many(Topic.TRACKS, [(k, track(k, uris[k])) for k in ("c1", "c2", "c3")])
            await progress.until_seen({"c1", "c2", "c3"})
    finally:
        worker.stop()
        await task
    # what was submitted to the dead process is decoded again in a new pool: nothing is refused
    assert sorted(k for o in progress.outcomes for k in o.embedded) == ["c0", "c1", "c2", "c3"]
    assert not [k for o in progress.outcomes for k in o.failed]
