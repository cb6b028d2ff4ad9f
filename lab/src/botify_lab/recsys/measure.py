"""Fit one tuned model in a fresh process and measure it: train time on 25% and 50% of the users (the scaling
experiment, run first so that the full fit does not pay the process's warm-up), then on all of them, quality on
the test split, inference latency per user and peak memory.

A fresh (spawned) process per model makes the peak resident memory (Linux's ``VmHWM``, else ``ru_maxrss``) the
model's own: it counts what PyTorch and BLAS allocate, which ``tracemalloc`` cannot see.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from botify_lab.recsys.data import Interactions
from botify_lab.recsys.models.registry import MODELS, SEQUENCE_MODELS, Params
from botify_lab.recsys.protocol import K, Quality, evaluate
from botify_lab.recsys.sessions import SessionSplit, evaluate_sessions
from botify_lab.recsys.splits import Split, subsample_users

SCALING_FRACTIONS = (0.25, 0.5)
LATENCY_USERS = 200
T = TypeVar("T")


def peak_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's ``VmHWM`` is the high-water mark of this program's own address space; ``ru_maxrss`` would also
    carry the parent's peak across the fork and exec that start a spawned process.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)


@dataclass(frozen=True)
class Timings:
    train_s: float
    infer_ms_per_user: float
    peak_mb: float
    fit_growth_mb: float    # how much fitting and answering raised the peak above the loaded-data baseline


def latency_ms(answer: Callable[[int], object], queries: list[int]) -> float:
    """Mean wall time of ``answer(q)`` over the queries, one at a time as a serving path would ask."""
    started = time.perf_counter()
    for query in queries:
        answer(query)
    return (time.perf_counter() - started) * 1000 / max(1, len(queries))


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Measured:
    quality: Quality
    timings: Timings
    scaling: dict[float, tuple[int, float]]   # share of the training data -> (interactions, train seconds)


def holdout_job(name: str, params: Params, data: Interactions, split: Split, seed: int, fast: bool) -> Measured:
    """Runs in the child: fit on the test split's training part, then measure. The scaling fits train on a
    seeded share of the users (all their items; the catalog stays the same)."""
    spec = MODELS[name]
    baseline = peak_mb()
    scaling = {}
    for fraction in SCALING_FRACTIONS:  # smallest first, so the full fit is not the one paying for warm-up
        part = subsample_users(split.train, fraction, seed)
        # the smaller model lives only inside this call, so it is freed before the full fit
        scaling[fraction] = (int(part.nnz), seconds(partial(spec.build(params, seed, data).fit, part)))
    model = spec.build(params, seed, data)
    train_s = seconds(lambda: model.fit(split.train))
    scaling[1.0] = (int(split.train.nnz), train_s)
    quality = evaluate(model, split)
    users = np.random.default_rng(seed).permutation(split.test_users)[: 30 if fast else LATENCY_USERS]
    infer = latency_ms(lambda u: model.recommend(np.array([u]), K, split.train[[u]]), users.tolist())
    return Measured(quality, Timings(train_s, infer, peak_mb(), max(0.0, peak_mb() - baseline)), scaling)


def session_job(name: str, params: Params, split: SessionSplit, seed: int, fast: bool) -> Measured:
    """The time split's counterpart of :func:`holdout_job`; the scaling fits keep the most recent share of each
    user's training plays."""
    spec = SEQUENCE_MODELS[name]
    baseline = peak_mb()
    scaling = {}
    for fraction in SCALING_FRACTIONS:
        part = [s[len(s) - max(2, round(fraction * len(s))):] for s in split.train]
        scaling[fraction] = (sum(len(s) for s in part),
                             seconds(partial(spec.build(params, seed).fit, part, split.n_items)))
    model = spec.build(params, seed)
    train_s = seconds(lambda: model.fit(split.train, split.n_items))
    scaling[1.0] = (sum(len(s) for s in split.train), train_s)
    quality = evaluate_sessions(model, split)
    queries = np.random.default_rng(seed).permutation(len(split.targets))[: 30 if fast else LATENCY_USERS]
    infer = latency_ms(lambda q: model.recommend([split.histories[q]], K), queries.tolist())
    return Measured(quality, Timings(train_s, infer, peak_mb(), max(0.0, peak_mb() - baseline)), scaling)


def in_fresh_process(job: Callable[..., T], *args: Any) -> T:
    """``job(*args)`` in a newly spawned interpreter, which exits afterwards."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(job, *args).result()
