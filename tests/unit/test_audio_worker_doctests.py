"""The examples in the audio worker's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["botify_audio.failures", "botify_audio.decode", "botify_audio.fetch", "botify_audio.spectrogram",
           "botify_audio.model", "botify_audio.training", "botify_audio.embedder", "botify_audio.ledger",
           "botify_audio.settings"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
