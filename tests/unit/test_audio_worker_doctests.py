"""The examples in the audio worker's docstrings run and hold (the same check as the core packages')."""

from __future__ import annotations

import pytest

from tests.unit.test_doctests import test_docstring_examples as examples_hold

MODULES = ["botify_audio.failures", "botify_audio.decode", "botify_audio.fetch", "botify_audio.spectrogram",
           "botify_audio.model", "botify_audio.training", "botify_audio.embedder", "botify_audio.ledger",
           "botify_audio.settings"]


@pytest.mark.parametrize("name", MODULES)
def test_audio_docstring_examples(name: str) -> None:
    examples_hold(name)
