"""The examples in the stream processor's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import botify_recommender

MODULES = sorted(f"botify_recommender.{p.stem}" for p in Path(botify_recommender.__file__).parent.glob("*.py")
                 if ">>>" in p.read_text())


def test_the_modules_with_examples_are_found() -> None:
    assert "botify_recommender.windows" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
