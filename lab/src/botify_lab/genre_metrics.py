"""How good genre probabilities and audio embeddings are: classification scores, calibration, neighbour precision.

>>> import numpy as np
>>> probabilities = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
>>> truth = np.array([0, 1, 1, 0])
>>> round(expected_calibration_error(probabilities, truth, bins=5), 3)
0.3
>>> vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
>>> precision_at_k(vectors, np.array(["a", "a", "b", "b"]), k=1)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from botify_audio.training import classification_metrics


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    confidence: float   # mean top-label probability in the bin (nan when empty)
    accuracy: float     # share of the bin's top labels that were right (nan when empty)


def reliability_bins(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """Top-label confidence in ``bins`` equal-width bins, each with how often that label was right."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    out = []
    for b in range(bins):
        members = which == b
        count = int(members.sum())
        out.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), count,
                                  float(confidence[members].mean()) if count else float("nan"),
                                  float(correct[members].mean()) if count else float("nan")))
    return out


def expected_calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over confidence bins weighted by their size."""
    total = len(truth)
    return float(sum(b.count / total * abs(b.accuracy - b.confidence)
                     for b in reliability_bins(probabilities, truth, bins) if b.count))


def scores(genres: Sequence[str], truth: Sequence[str], probabilities: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro-F1, log-loss, ECE and the confusion matrix of probabilities over ``genres`` columns."""
    index = {g: i for i, g in enumerate(genres)}
    result = classification_metrics(genres, truth, probabilities)
    result["ece"] = expected_calibration_error(probabilities, np.array([index[t] for t in truth]))
    return result


def precision_at_k(vectors: np.ndarray, labels: np.ndarray, k: int = 10,
                   queries: np.ndarray | None = None) -> float:
    """Mean share of each query's ``k`` nearest other items (cosine) that share its label.

    ``queries`` are row indices (default: every row); candidates are all other rows.
    """
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    rows = np.arange(len(unit)) if queries is None else np.asarray(queries)
    similarity = unit[rows] @ unit.T
    similarity[np.arange(len(rows)), rows] = -np.inf
    nearest = np.argsort(-similarity, axis=1)[:, :k]
    return float((labels[nearest] == labels[rows][:, None]).mean())
