"""The examples in the docstrings of the core packages run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["botify_core.codecs", "botify_core.clock", "botify_core.heap", "botify_core.ids", "botify_core.topics",
           "botify_core.settings", "botify_datasets.genres", "botify_datasets.synthetic"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
