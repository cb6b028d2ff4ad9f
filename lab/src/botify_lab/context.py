"""What every lab section gets: where data is and where output goes, the seed, fast mode, and cached datasets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from botify_core.settings import REPO_ROOT, PathSettings
from botify_datasets.hetrec import HetRec, load_hetrec
from botify_datasets.jamendo import load_jamendo
from botify_datasets.lastfm1k import load_scrobbles
from botify_datasets.listening_log import ListeningLog, hetrec_log, lastfm1k_log

DOCS_DIR = REPO_ROOT / "docs" / "lab"


@dataclass
class LabContext:
    """``fast`` runs every section on a subsample small enough for the test suite; figures stay honest about it."""

    out_dir: Path = DOCS_DIR
    data_dir: Path = field(default_factory=lambda: PathSettings().data_dir)
    verify: bool = field(default_factory=lambda: PathSettings().verify_checksums)
    seed: int = 42
    fast: bool = False

    @property
    def figures_dir(self) -> Path:
        path = self.out_dir / "figures"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @cached_property
    def hetrec(self) -> HetRec:
        return load_hetrec(self.data_dir, verify=self.verify)

    @cached_property
    def jamendo(self) -> pd.DataFrame:
        return load_jamendo(self.data_dir, verify=self.verify)

    @cached_property
    def hetrec_log(self) -> ListeningLog:
        """HetRec expanded into dated plays (``botify_datasets.listening_log.hetrec_log``)."""
        return hetrec_log(self.hetrec, self.jamendo, scale=0.001 if self.fast else 0.005, seed=self.seed)

    @cached_property
    def lastfm1k_log(self) -> ListeningLog:
        return lastfm1k_log(load_scrobbles(self.data_dir, verify=self.verify), self.hetrec)
