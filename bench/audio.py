"""Audio worker throughput in 30-second clips per second on this machine, with decoding alone as the baseline.

    uv run --frozen python -m bench.audio [--clips 200] [--skip-vectors]

1. decode only (the baseline): each clip decoded whole to mono 16 kHz by a pool of two processes, as fast as they
   go; and, beside it, what the worker's decode processes do per clip (fetch, fingerprint, decode only the segments
   it embeds, seeking past the rest), since the whole path decodes that rather than the whole clip;
2. the whole path through the real worker: tracks published to a real broker (started here, stopped by PID), then
   `AudioWorker` fetches, fingerprints and decodes each clip's segments in the pool, computes the log-mel in torch and
   runs the CNN in batches, produces `TrackEmbedded` and commits; measured in steady state, from the end of the first
   batch to the end of the last (start-up and the consumer group's join are not counted);
3. the vector store: recall@10 against brute force and search latency on 50,000 vectors
   (`bench.vector_store.measure_vector_store`).

Clips: GTZAN's 30-s clips from BOTIFY_DATA_DIR when present, else synthesised 30-s clips; used several times over
(distinct track ids) to reach ``--clips``. The CNN is the default architecture, untrained (the cost does not depend
on the weights). Results: bench/results/audio.json and the README table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import soundfile
import torch

from bench.machine import describe, process_cpu_seconds, publish
from botify_audio.decode import decode
from botify_audio.embedder import CnnEmbedder
from botify_audio.intake import IntakeSpec, Unchanged, hear
from botify_audio.model import GenreCNN
from botify_audio.settings import AudioSettings
from botify_audio.training import TrainConfig, TrainedModel
from botify_audio.worker import AudioWorker, BatchOutcome, decode_pool, intake_spec
from botify_core.admin import ensure_topics
from botify_core.local_kafka import LocalKafka
from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.settings import REPO_ROOT, KafkaSettings, PathSettings
from botify_core.topics import Topic

RESULTS = REPO_ROOT / "bench" / "results" / "audio.json"
VECTOR_RESULTS = REPO_ROOT / "bench" / "results" / "vector_store.json"
CLIP_SECONDS = 30.0
RATE = 16_000


def cpu_seconds(pool: Executor) -> float:
    """CPU time (user + system) used so far by this process (all its threads) and the pool's processes.

    Wall-clock figures on a shared machine say as much about the neighbours as about us; CPU seconds per clip do not,
    and 2 / (CPU seconds per clip) is what two idle cores would do. ``_processes`` is the executor's private map of
    its workers (a benchmark may look)."""
    own = os.times()
    total = own.user + own.system
    return total + sum(map(process_cpu_seconds, getattr(pool, "_processes", {}) or {}))


def source_clips(folder: Path, wanted: int) -> tuple[list[Path], str]:
    """Up to ``wanted`` distinct 30-s clips: GTZAN's when staged, else synthesised into ``folder``."""
    gtzan = PathSettings().data_dir / "gtzan-mini-audio"
    paths = sorted(gtzan.glob("*/*.flac")) or sorted(gtzan.glob("*.flac"))
    if paths:
        return paths[:wanted], f"GTZAN 30-s clips ({gtzan})"
    from botify_datasets.synthetic import make_world, render_audio

    world = make_world(n_artists=5, seed=3)
    made = []
    for track in world.tracks[: min(wanted, 20)]:
        path = folder / f"{track.track_id}.flac"
        soundfile.write(path, render_audio(track, seconds=CLIP_SECONDS, sample_rate=22_050), 22_050)
        made.append(path)
    return made, "synthesised 30-s clips (no GTZAN under BOTIFY_DATA_DIR)"


def _decode_whole(path: Path) -> int:
    return len(decode(path, RATE))


def _hear_segments(path: Path, spec: IntakeSpec) -> int:
    heard = hear(path.as_uri(), None, spec)
    return 0 if isinstance(heard, Unchanged) else len(heard.segments)


def measure_decode(paths: list[Path], workers: int, spec: IntakeSpec) -> dict[str, float]:
    """Whole clips decoded (the baseline), and what the worker's decode processes do (fetch, hash, segments)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_decode_whole, paths[:workers]))  # start the processes and import before the clock
        started, cpu = time.perf_counter(), cpu_seconds(pool)
        samples = sum(pool.map(_decode_whole, paths))
        whole, whole_cpu = time.perf_counter() - started, cpu_seconds(pool) - cpu
        started, cpu = time.perf_counter(), cpu_seconds(pool)
        list(pool.map(_hear_segments, paths, [spec] * len(paths)))
        segments, segments_cpu = time.perf_counter() - started, cpu_seconds(pool) - cpu
    return {"decode_clips_per_s": len(paths) / whole, "decode_audio_seconds_per_s": samples / RATE / whole,
            "segment_decode_clips_per_s": len(paths) / segments,
            "decode_cpu_ms_per_clip": 1000 * whole_cpu / len(paths),
            "segment_decode_cpu_ms_per_clip": 1000 * segments_cpu / len(paths)}


def cnn_embedder() -> CnnEmbedder:
    torch.manual_seed(0)
    config = TrainConfig()
    network = GenreCNN(10, config.embedding_dim, config.channels)
    return CnnEmbedder(TrainedModel(network, tuple(f"g{i}" for i in range(10)), config, "cnn-bench-untrained"))


async def measure_pipeline(paths: list[Path], kafka: KafkaSettings, var: Path, settings: AudioSettings,
                           ) -> dict[str, float]:
    await ensure_topics(kafka)
    tracks = [TrackUpserted(track_id=f"bench-{i:05d}", title=p.stem, artist_id="bench", audio_uri=p.as_uri(),
                            duration_ms=int(CLIP_SECONDS * 1000), dataset="bench") for i, p in enumerate(paths)]
    async with EventProducer(kafka) as producer:
        await producer.send_many(Topic.TRACKS, [(t.track_id, t) for t in tracks])
    marks: list[tuple[float, int, float]] = []
    done = asyncio.Event()

    def on_batch(outcome: BatchOutcome) -> None:
        count = len(outcome.embedded) + len(outcome.failed) + len(outcome.unchanged)
        if outcome.failed:
            raise RuntimeError(f"benchmark clips failed: {outcome.failed}")
        marks.append((time.perf_counter(), count, cpu_seconds(pool)))
        if sum(c for _, c, _ in marks) >= len(tracks):
            done.set()

    pool = decode_pool(settings.decode_workers)
    list(pool.map(_decode_whole, paths[: settings.decode_workers]))  # warm the decode processes
    torch.set_num_threads(settings.torch_threads)
    worker = AudioWorker(settings, cnn_embedder(), pool=pool, on_batch=on_batch)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), timeout=1800)
    finally:
        worker.stop()
        await task
        pool.shutdown()
    (first_at, first_count, first_cpu), (last_at, _, last_cpu) = marks[0], marks[-1]
    counted = len(tracks) - first_count
    return {"pipeline_clips_per_s": counted / (last_at - first_at), "pipeline_batches": len(marks),
            "pipeline_cpu_ms_per_clip": 1000 * (last_cpu - first_cpu) / counted}


def table(result: dict[str, Any]) -> str:
    ratio = result["pipeline_clips_per_s"] / result["decode_clips_per_s"]
    def row(name: str, key: str, note: str = "") -> str:
        cpu = result[key.replace("clips_per_s", "cpu_ms_per_clip")]
        return f"| {name} | {result[key]:.1f} | {cpu:.1f} ms | {2000 / cpu:.0f} | {note} |"

    lines = ["| stage | 30-s clips/s (measured) | CPU per clip | clips/s on 2 idle cores (2 s / CPU) | |",
             "|---|---:|---:|---:|---|",
             row(f"decode only (baseline: whole clip to mono 16 kHz, {result['decode_workers']} processes)",
                 "decode_clips_per_s"),
             row(f"the worker's decode alone (fetch, fingerprint, {result['max_segments']} segments of 3 s, seeking)",
                 "segment_decode_clips_per_s"),
             row("whole path (fetch, decode segments, log-mel, CNN, produce, commit)", "pipeline_clips_per_s",
                 f"{ratio:.0%} of decode only (measured), "
                 f"{result['decode_cpu_ms_per_clip'] / result['pipeline_cpu_ms_per_clip']:.0%} by CPU")]
    if result.get("vector_recall_at_10") is not None:
        lines.append(f"\nVector store (50,000 vectors, 128 dims, cosine): recall@10 "
                     f"{result['vector_recall_at_10']:.3f}, search p99 {result['vector_search_p99_ms']:.2f} ms"
                     + (f" (from {result['vector_figures_from']})." if result.get("vector_figures_from") else "."))
    lines.append(f"\n_{result['clips']} clips ({result['source']}), batches of {result['batch_size']}, "
                 f"{result['max_segments']} segments of 3 s per clip, load average {result['load_average']:.1f} "
                 f"at the start on {result['machine']['cores']} cores. "
                 "CPU: this process and its decode processes (the broker not counted). "
                 "Measured by `uv run --frozen python -m bench.audio`._")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=200, help="30-s clips through each stage")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="decode processes")
    parser.add_argument("--skip-vectors", action="store_true", help="leave out the vector-store measurement")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        distinct, source = source_clips(Path(tmp), args.clips)
        paths = [distinct[i % len(distinct)] for i in range(args.clips)]
        result: dict[str, Any] = {"clips": len(paths), "source": source, "decode_workers": args.workers,
                                  "batch_size": args.batch_size, "load_average": load}
        broker = LocalKafka(Path(tmp) / "kafka", port=0)
        broker.start()
        try:
            kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_prefix="bench.", partitions=2)
            settings = AudioSettings(kafka=kafka, paths=PathSettings(var_dir=Path(tmp) / "var"),
                                     batch_size=args.batch_size, decode_workers=args.workers, torch_threads=1)
            result["max_segments"] = settings.max_segments
            result |= measure_decode(paths, args.workers, intake_spec(settings, cnn_embedder()))
            print(f"decode only: {result['decode_clips_per_s']:.1f} clips/s whole, "
                  f"{result['segment_decode_clips_per_s']:.1f} clips/s as the worker decodes", flush=True)
            result |= asyncio.run(measure_pipeline(paths, kafka, Path(tmp), settings))
        finally:
            broker.stop()
        print(f"whole path: {result['pipeline_clips_per_s']:.1f} clips/s", flush=True)
    result["pipeline_share_of_decode"] = result["pipeline_clips_per_s"] / result["decode_clips_per_s"]
    if args.skip_vectors:  # the vector store's own benchmark measured them: carry its figures, saying whence
        saved = json.loads(VECTOR_RESULTS.read_text()) if VECTOR_RESULTS.exists() else {}
        result |= {key: saved.get(key) for key in ("vector_recall_at_10", "vector_search_p99_ms")}
        result["vector_figures_from"] = (f"{VECTOR_RESULTS.relative_to(REPO_ROOT)}, measured "
                                         f"{saved.get('machine', {}).get('measured_at')}" if saved else None)
    else:
        from bench.vector_store import measure_vector_store

        result |= measure_vector_store()
    result["machine"] = describe()
    publish(result, args.out, RESULTS, "bench:audio", table)


if __name__ == "__main__":
    main()
