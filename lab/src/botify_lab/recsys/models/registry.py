"""Every model in the comparison: where it lives, its family, its tuning grid, and whether it learns
incrementally. A new model is one module plus one entry here.

Modules are imported only when a model is built, so a process measuring EASE never loads PyTorch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

from botify_lab.recsys.data import Interactions

_HERE = "botify_lab.recsys.models"
_TORCH = f"{_HERE}.torch_training"
Family = Literal["classical", "neural", "streaming"]
Params = dict[str, Any]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: Family
    module: str                      # under botify_lab.recsys.models
    cls: str
    grid: list[Params]               # tried on the validation split; the first is the fast mode's only one
    incremental: str                 # how it takes new events: "per event", "fold-in" or "no: refit"
    seeded: bool = True
    needs_genres: bool = False
    fast: Params = field(default_factory=dict)   # overrides in fast mode (fewer epochs)
    also_counts: tuple[str, ...] = ()            # other modules of ours it runs (they count in its lines of code)

    @property
    def module_path(self) -> str:
        return f"{_HERE}.{self.module}"

    def grid_for(self, fast: bool) -> list[Params]:
        return [{**self.grid[0], **self.fast}] if fast else self.grid

    def build(self, params: Params, seed: int, data: Interactions | None = None) -> Any:
        """The model with ``params`` (and the seed and item genres when it takes them)."""
        extra: Params = {"seed": seed} if self.seeded else {}
        if self.needs_genres:
            if data is None:
                raise ValueError(f"{self.name} needs the items' genres: pass the Interactions")
            extra["item_genres"] = data.item_genres
        return getattr(importlib.import_module(self.module_path), self.cls)(**params, **extra)


def _grid(**axes: list[Any]) -> list[Params]:
    """Every combination of the axes, the first value of each first."""
    grid: list[Params] = [{}]
    for key, values in axes.items():
        grid = [{**g, key: v} for g in grid for v in values]
    return grid


MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in [
    ModelSpec("MostPop", "classical", "most_pop", "MostPop", [{}], "per event (a counter)", seeded=False),
    ModelSpec("ItemKNN", "classical", "item_knn", "ItemKNN",
              _grid(neighbours=[100, 50, 400], shrink=[10.0, 50.0]), "no: refit (co-counts could be updated)",
              seeded=False),
    ModelSpec("RP3beta", "classical", "rp3beta", "RP3beta", _grid(alpha=[0.6, 0.8, 1.0], beta=[0.4, 0.2, 0.3]),
              "no: refit", seeded=False),
    ModelSpec("EASE", "classical", "ease", "EASE",
              _grid(l2=[3000.0, 1000.0, 6000.0], binary=[False]) + _grid(l2=[100.0, 300.0], binary=[True]),
              "no: refit", seeded=False),
    ModelSpec("ALS", "classical", "implicit_als", "ALS",
              _grid(factors=[64, 32, 128], l2=[0.1], alpha=[1.0, 3.0]), "fold-in (users; items need a refit)"),
    ModelSpec("BPR", "classical", "implicit_bpr", "BPR",
              _grid(factors=[64, 128], learning_rate=[0.05, 0.01], iterations=[200]), "no: refit",
              fast={"iterations": 50}),
    ModelSpec("Reranker (EASE+RP3beta+ALS, GBDT)", "classical", "reranker", "Reranker",
              _grid(candidates=[50, 100], trees=[300]), "no: refit", needs_genres=True, fast={"trees": 50},
              also_counts=(f"{_HERE}.ease", f"{_HERE}.rp3beta", f"{_HERE}.implicit_als")),
    ModelSpec("River FunkMF", "streaming", "river_mf", "RiverMF",
              [*_grid(epochs=[3], learning_rate=[0.05, 0.02], l2=[0.001]), {"epochs": 1, "l2": 0.001}],
              "per event", fast={"epochs": 1}, also_counts=(f"{_HERE}.stream_replay",)),
    ModelSpec("Streaming MF (ours)", "streaming", "streaming_mf", "StreamingMFModel",
              [*_grid(epochs=[10], learning_rate=[0.01, 0.02], factors=[32, 64]), {"epochs": 1, "learning_rate": 0.02}],
              "per event", fast={"epochs": 2}, also_counts=(f"{_HERE}.stream_replay", "botify_models.streaming_mf")),
    ModelSpec("Mult-VAE", "neural", "mult_vae", "MultVAE",
              [*_grid(epochs=[50], beta=[0.2, 0.5]), {"epochs": 50, "dropout": 0.7}], "no: refit (users fold in)",
              fast={"epochs": 5}, also_counts=(_TORCH,)),
    ModelSpec("Two-tower", "neural", "two_tower", "TwoTower",
              _grid(epochs=[60, 30], dim=[128], holdout=[0.3]), "no: refit (users fold in)",
              needs_genres=True, fast={"epochs": 5}, also_counts=(_TORCH,)),
]}

#: the time split's models (Last.fm 1K sample; sequences exist only there)
SEQUENCE_MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in [
    ModelSpec("MostPop (time split)", "classical", "most_pop", "SequencePop", [{}], "per event (a counter)",
              seeded=False),
    ModelSpec("Markov chain (time split)", "classical", "transitions", "Markov",
              _grid(popularity_weight=[0.01, 0.1, 1.0]), "per event (transition counts)", seeded=False),
    ModelSpec("SASRec (time split)", "neural", "sasrec", "SASRec",
              _grid(epochs=[100, 150], dropout=[0.2]), "no: refit (histories fold in)",
              fast={"epochs": 3}, also_counts=(_TORCH,)),
]}
