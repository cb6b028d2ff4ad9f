"""Every benchmark runs from a fresh clone the way `make bench` runs it (as a module from the repository root), and
the README shows what it measured."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys

import pytest

from bench.machine import readme_table
from botify_core.settings import REPO_ROOT

BENCH = REPO_ROOT / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__")


def make_recipe(target: str) -> str:
    """The recipe lines of ``target`` in the Makefile."""
    text = (REPO_ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, f"no {target} target in the Makefile"
    return match.group(1)


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_bench_module_imports_in_a_fresh_interpreter_from_the_repo_root(name: str) -> None:
    # no PYTHONPATH and a fresh process: what a new clone has; the repo root is on the path only through `-m`/`-c`
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", f"import bench.{name}"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_make_bench_runs_scripts_as_modules_and_every_one_it_names_exists() -> None:
    recipe = make_recipe("bench")
    assert "python bench/" not in recipe, "run bench scripts with `python -m bench.NAME` (a path breaks imports)"
    named = re.findall(r"-m bench\.(\w+)", recipe)
    assert named, recipe
    assert set(named) <= set(SCRIPTS)


def test_bench_scripts_are_runnable_not_just_importable() -> None:
    runnable = [name for name in SCRIPTS if 'if __name__ == "__main__":' in (BENCH / f"{name}.py").read_text()]
    recipe = make_recipe("bench") + make_recipe("soak")
    missing = [name for name in runnable if f"bench.{name}" not in recipe and name not in OWNED_BY_ANOTHER]
    assert not missing, f"bench scripts that no make target runs: {missing}"


#: scripts measured as part of another one's run (their main is for running them alone)
OWNED_BY_ANOTHER = {"vector_store"}


def test_a_bench_script_runs_the_way_make_bench_runs_it() -> None:
    """The regression itself: `python bench/ingest.py` once failed with "No module named 'bench'"."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "bench.ingest", "--help"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


README = (REPO_ROOT / "README.md").read_text()
README_TABLES = re.findall(r"<!-- bench:([\w-]+) -->", README)


@pytest.mark.parametrize("marker", README_TABLES)
def test_the_readme_table_of_a_bench_is_what_its_results_file_says(marker: str) -> None:
    """A README figure comes from the results its command wrote, not from an edit of the README."""
    module = importlib.import_module(f"bench.{marker.replace('-', '_')}")
    assert module.RESULTS.exists(), f"bench:{marker} is in the README but {module.RESULTS} is not: run the bench"
    assert readme_table(README, f"bench:{marker}") == module.table(json.loads(module.RESULTS.read_text()))


def test_every_bench_with_results_has_its_table_in_the_readme() -> None:
    saved = {p.stem for p in (BENCH / "results").glob("*.json")}
    assert saved <= {m.replace("-", "_") for m in README_TABLES}, "a bench's results that no README table shows"
