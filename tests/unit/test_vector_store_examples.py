"""The docstring examples of the vector-store modules run and hold."""

from __future__ import annotations

import doctest
import importlib

MODULES = ["botify_core.vectors.contract", "botify_core.vectors.specs", "botify_core.vectors.checks",
           "botify_core.vectors.indexing"]


def test_every_vector_store_module_has_examples_and_they_hold() -> None:
    results = {name: doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
               for name in MODULES}
    assert {name: (r.failed, r.attempted > 0) for name, r in results.items()} == dict.fromkeys(MODULES, (0, True))
