"""What the PyTorch models share: seeding, the thread count, and the user batches of one epoch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
import torch

THREADS = 2  # the lab machine's cores


def seeded(seed: int) -> torch.Generator:
    """Seed torch globally (layer initialisation) and return a generator for the model's own draws."""
    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    return torch.Generator().manual_seed(seed)


def dense_rows(matrix: sp.csr_matrix) -> torch.Tensor:
    return torch.from_numpy(np.asarray(matrix.todense(), dtype=np.float32))


def user_batches(n_users: int, batch: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """One epoch's user batches, in a seeded random order."""
    order = torch.randperm(n_users, generator=generator)
    for start in range(0, n_users, batch):
        yield order[start:start + batch]
