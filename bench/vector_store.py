"""Vector search quality and latency of the default store (Qdrant Edge, tuned HNSW) against exact brute force
(numpy, the baseline), measured in the same run on the same data.

    uv run --frozen python -m bench.vector_store [--n 50000] [--dim 128] [--queries 500] [--sweep]

Data: a Gaussian mixture (100 clusters, centres N(0, 1), each point its centre plus N(0, 2.5^2) noise per
coordinate, seed fixed), so neighbourhoods overlap as they do for audio embeddings of similar genres; queries are
fresh draws of the same mixture. ``audio``-like: cosine, dim 128; ``cf``-like: dot, dims 32 and 64. Recall@10 is
the share of the exact top 10 that the store returns; latency is one ``search`` call through the adapter (Python
included), one query at a time, after the index is built, each query's best of 3 passes (the cores are shared).
``--sweep`` measures the grid of HNSW settings behind the chosen defaults (docs/operations.md, "Vector store").
Results: bench/results/vector_store.json and the README table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bench.machine import describe, update_readme_table
from botify_core.settings import REPO_ROOT, VectorSettings
from botify_core.vectors import Distance, EdgeVectorStore, HnswParams, Point

RESULTS = REPO_ROOT / "bench" / "results" / "vector_store.json"
CLUSTERS = 100
SPREAD = 2.5
K = 10
#: Qdrant's own defaults (m 16, ef_construct 100, search ef = ef_construct): the starting point of the tuning
QDRANT_DEFAULT = HnswParams(m=16, ef_construct=100, ef=100)
#: the grid behind the tuned defaults (cosine, dim 128)
SWEEP = [HnswParams(m, ef_construct, ef) for m, ef_construct in ((16, 100), (16, 200), (32, 200), (48, 300))
         for ef in (128, 256, 512)]


def mixture(n: int, dim: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    labels = rng.integers(0, len(centres), n)
    return (centres[labels] + SPREAD * rng.normal(size=(n, dim))).astype(np.float32)


def exact_top_k(data: np.ndarray, queries: np.ndarray, distance: Distance,
                passes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The exact top-K ids per query, and each query's best seconds of ``passes`` (numpy, one query at a time)."""
    if distance is Distance.COSINE:
        data = data / np.linalg.norm(data, axis=1, keepdims=True)
    truth = np.empty((len(queries), K), dtype=np.int64)
    seconds = np.full(len(queries), np.inf)
    for _ in range(passes):
        for i, query in enumerate(queries):
            start = time.perf_counter()
            q = query / np.linalg.norm(query) if distance is Distance.COSINE else query
            scores = data @ q
            top = np.argpartition(-scores, K)[:K]
            truth[i] = top[np.argsort(-scores[top])]
            seconds[i] = min(seconds[i], time.perf_counter() - start)
    return truth, seconds


def build(folder: Path, data: np.ndarray, distance: Distance, hnsw: HnswParams) -> tuple[EdgeVectorStore, float]:
    """An Edge store holding ``data`` (ids = row numbers) with its index built; and the build seconds."""
    store = EdgeVectorStore(folder, hnsw, search_threads=1)
    store.ensure_collection("bench", data.shape[1], distance)
    start = time.perf_counter()
    for lo in range(0, len(data), 1000):
        store.upsert("bench", [Point(i, data[i].tolist()) for i in range(lo, min(len(data), lo + 1000))])
    store.optimize()
    return store, time.perf_counter() - start


def search_all(store: EdgeVectorStore, queries: np.ndarray, truth: np.ndarray, passes: int = 3) -> dict[str, float]:
    """Recall@10, and latency percentiles over each query's best of ``passes`` (other processes share the cores)."""
    found = 0
    seconds = np.full(len(queries), np.inf)
    query_lists = queries.tolist()
    for pass_ in range(passes):
        for i, query in enumerate(query_lists):
            start = time.perf_counter()
            hits = store.search("bench", query, K)
            seconds[i] = min(seconds[i], time.perf_counter() - start)
            if pass_ == 0:
                found += len({int(h.id) for h in hits} & set(truth[i].tolist()))
    ms = seconds * 1000
    return {"recall_at_10": found / (K * len(queries)), "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99))}


def measure(n: int, dim: int, queries: int, seed: int, distance: Distance,
            settings: list[HnswParams]) -> list[dict[str, Any]]:
    """Build once per (m, ef_construct) and search with each ef; brute force is the first row."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(CLUSTERS, dim)).astype(np.float32)
    data, query_vectors = mixture(n, dim, rng, centres), mixture(queries, dim, rng, centres)
    truth, exact_seconds = exact_top_k(data, query_vectors, distance)
    exact_ms = exact_seconds * 1000
    rows: list[dict[str, Any]] = [{"index": "brute force (numpy)", "distance": distance.value, "dim": dim,
                                   "recall_at_10": 1.0, "p50_ms": float(np.percentile(exact_ms, 50)),
                                   "p99_ms": float(np.percentile(exact_ms, 99))}]
    builds: dict[tuple[int, int], list[HnswParams]] = {}
    for params in settings:
        builds.setdefault((params.m, params.ef_construct), []).append(params)
    for (m, ef_construct), group in builds.items():
        with tempfile.TemporaryDirectory() as tmp:
            store, build_s = build(Path(tmp), data, distance, HnswParams(m, ef_construct, group[0].ef))
            try:
                for params in group:
                    store.hnsw = params
                    index = "hnsw" if store.indexed("bench") == len(data) else "exhaustive (under indexing threshold)"
                    rows.append({"index": index, **asdict(params), "distance": distance.value, "dim": dim,
                                 "build_s": build_s, **search_all(store, query_vectors, truth)})
            finally:
                store.close()
    return rows


def measure_vector_store(n: int = 50_000, dim: int = 128, queries: int = 500, seed: int = 0) -> dict[str, float]:
    """Recall@10 and search latency of the tuned defaults (cosine, as the ``audio`` collection) against brute force."""
    with threadpool_limits(1):
        brute, tuned = measure(n, dim, queries, seed, Distance.COSINE, [HnswParams.from_settings(VectorSettings())])
    return {"vector_recall_at_10": tuned["recall_at_10"], "vector_search_p50_ms": tuned["p50_ms"],
            "vector_search_p99_ms": tuned["p99_ms"], "vector_build_s": tuned["build_s"],
            "brute_force_p50_ms": brute["p50_ms"], "brute_force_p99_ms": brute["p99_ms"]}


def table(result: dict[str, Any]) -> str:
    rows, n, machine = result["rows"], result["n"], result["machine"]
    lines = ["| index | distance, dim | m | ef_construct | ef | recall@10 | search p50 | search p99 | build |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        build = f"{row['build_s']:.0f} s" if "build_s" in row else ""
        lines.append(f"| {row['index']} | {row['distance']}, {row['dim']} | {row.get('m', '')} | "
                     f"{row.get('ef_construct', '')} | {row.get('ef', '')} | {row['recall_at_10']:.3f} | "
                     f"{row['p50_ms']:.2f} ms | {row['p99_ms']:.2f} ms | "
                     f"{build} |")
    lines.append(f"\n_Qdrant Edge {version('qdrant-edge-py')} through `EdgeVectorStore`; {n:,} vectors of a Gaussian "
                 "mixture; 1 search thread, one query at a time, each query's best of 3 passes; "
                 f"{machine['cores']} cores ({machine['cpu']}) shared with other work. Measured by "
                 f"`uv run --frozen python -m bench.vector_store` ({machine['measured_at']})._")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--cf-dims", default="32,64", help="sizes of the dot-product (cf-like) runs")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="store_true", help="also measure the grid of HNSW settings")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    tuned = HnswParams.from_settings(VectorSettings())
    audio_settings = [QDRANT_DEFAULT, tuned] + (SWEEP if args.sweep else [])
    with threadpool_limits(1):  # brute force on one core, as Edge searches with one thread
        rows = measure(args.n, args.dim, args.queries, args.seed, Distance.COSINE, list(dict.fromkeys(audio_settings)))
        for cf_dim in (int(d) for d in args.cf_dims.split(",")):
            rows += measure(args.n, cf_dim, args.queries, args.seed, Distance.DOT, [QDRANT_DEFAULT, tuned])
    chosen = next(r for r in rows if "m" in r and r["distance"] == "cosine" and r["m"] == tuned.m
                  and r["ef_construct"] == tuned.ef_construct and r["ef"] == tuned.ef)
    brute = rows[0]
    machine = describe()
    result = {"n": args.n, "queries": args.queries, "seed": args.seed, "clusters": CLUSTERS, "spread": SPREAD,
              "tuned": asdict(tuned), "vector_recall_at_10": chosen["recall_at_10"],
              "vector_search_p50_ms": chosen["p50_ms"], "vector_search_p99_ms": chosen["p99_ms"],
              "brute_force_p50_ms": brute["p50_ms"], "brute_force_p99_ms": brute["p99_ms"],
              "rows": rows, "machine": machine}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    markdown = table(result)
    print(markdown)
    readme = REPO_ROOT / "README.md"
    if args.out == RESULTS and not args.sweep and update_readme_table(readme, "bench:vector-store", markdown):
        print("README table updated")


if __name__ == "__main__":
    main()
