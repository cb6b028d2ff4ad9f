"""Experiments: the shipped file loads, users split by a stable hash in proportion to the shares, bad files are
refused with what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from botify_api.experiments import NO_EXPERIMENT, Arm, Experiment, load_experiment
from botify_api.settings import DEFAULT_EXPERIMENTS
from botify_api.sources import SOURCES

KNOWN = set(SOURCES)


def test_the_shipped_experiment_loads_with_its_arms() -> None:
    experiment = load_experiment(DEFAULT_EXPERIMENTS, KNOWN)
    assert experiment.name == "audio-weight"
    assert [(a.name, a.share) for a in experiment.arms] == [("control", 50.0), ("more-audio", 50.0)]
    assert experiment.arms[1].weights == {"audio": 1.6, "trending": 0.4} and experiment.arms[1].max_per_artist == 1


def test_assignment_is_stable_and_follows_the_shares() -> None:
    experiment = Experiment("e1", (Arm("a", 1.0), Arm("b", 3.0)))
    users = [f"user-{i}" for i in range(4000)]
    first = [experiment.assign(u).name for u in users]
    assert first == [experiment.assign(u).name for u in users]
    assert 0.22 < first.count("a") / len(users) < 0.28
    # another experiment splits the same users independently
    other = Experiment("e2", (Arm("a", 1.0), Arm("b", 3.0)))
    assert [other.assign(u).name for u in users] != first


def test_no_active_experiment_means_one_default_arm(tmp_path: Path) -> None:
    path = tmp_path / "experiments.toml"
    path.write_text('[[experiment]]\nname = "old"\nactive = false\n[[experiment.arm]]\nname = "x"\n')
    assert load_experiment(path, KNOWN) is NO_EXPERIMENT
    assert NO_EXPERIMENT.assign("anyone").name == "default"


@pytest.mark.parametrize(("text", "message"), [
    ('[[experiment]]\nname = "e"\nactive = true\n[[experiment.arm]]\nname = "x"\nsources = ["cf", "tarot"]\n',
     "unknown sources ['tarot']"),
    ('[[experiment]]\nname = "e"\nactive = true\n[[experiment.arm]]\nname = "x"\nshare = 0\n', "positive share"),
    ('[[experiment]]\nname = "e"\nactive = true\n', "at least one arm"),
    ('[[experiment]]\nname = "e"\nactive = true\n[[experiment.arm]]\nname = "x"\ngenre_penalty = 1.5\n',
     "genre_penalty must be in [0, 1"),
    ('[[experiment]]\nname = "e"\nactive = true\n[[experiment.arm]]\nname = "x"\nmax_per_artist = 0\n',
     "max_per_artist must be at least 1"),
    ("[[experiment]\n", "cannot read experiments"),
])
def test_a_bad_file_is_refused_with_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "experiments.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_experiment(path, KNOWN)
