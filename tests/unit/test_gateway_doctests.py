"""The examples in the gateway's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["botify_api.blend", "botify_api.catalog", "botify_api.experiments", "botify_api.popularity",
           "botify_api.sessions", "botify_api.settings", "botify_api.sources.trending"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
