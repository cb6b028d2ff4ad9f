"""End-to-end fixtures: every ``botify up`` of the run shares one trained demo audio model."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def audio_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``botify up`` keeps its audio model in these tests: the first start trains it, the others reuse it
    (training on every fresh var/ would cost each test about a minute and test nothing new)."""
    return tmp_path_factory.mktemp("audio-models")
