"""Experiments: arms are blend settings (source weights, which sources, diversity), read from a TOML file; a user
lands in an arm by a stable hash of (experiment, user), so the same user always gets the same arm.

The file (``BOTIFY_API_EXPERIMENTS_PATH``; the first experiment with ``active = true`` runs)::

    [[experiment]]
    name = "audio-weight"
    active = true

    [[experiment.arm]]
    name = "control"
    share = 50

    [[experiment.arm]]
    name = "more-audio"
    share = 50
    weights = { audio = 1.6 }
    max_per_artist = 1

>>> exp = Experiment("e", (Arm("a", 1), Arm("b", 3)))
>>> exp.assign("user-1") == exp.assign("user-1"), sorted({exp.assign(f"u{i}").name for i in range(50)})
(True, ['a', 'b'])
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botify_core.ids import bucket

BUCKETS = 10_000
#: users whose arm is remembered (beyond it the memory starts over)
REMEMBERED_USERS = 100_000


@dataclass(frozen=True)
class Arm:
    """One variant: overrides of the gateway's blend settings (None / empty: keep the setting)."""

    name: str
    share: float
    weights: dict[str, float] = field(default_factory=dict)
    sources: tuple[str, ...] | None = None
    max_per_artist: int | None = None
    genre_penalty: float | None = None
    drop_heard: bool | None = None

    def __post_init__(self) -> None:
        # the ranges of the settings these override (the diversity re-rank relies on them)
        if self.genre_penalty is not None and not 0.0 <= self.genre_penalty < 1.0:
            raise ValueError(f"arm {self.name!r}: genre_penalty must be in [0, 1), got {self.genre_penalty}")
        if self.max_per_artist is not None and self.max_per_artist < 1:
            raise ValueError(f"arm {self.name!r}: max_per_artist must be at least 1, got {self.max_per_artist}")


@dataclass(frozen=True)
class Experiment:
    name: str
    arms: tuple[Arm, ...]
    _assigned: dict[str, Arm] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.arms or any(arm.share <= 0 for arm in self.arms):
            raise ValueError(f"experiment {self.name!r} needs at least one arm, each with a positive share")
        if len({arm.name for arm in self.arms}) != len(self.arms):
            raise ValueError(f"experiment {self.name!r} has two arms with the same name")

    def assign(self, user_id: str) -> Arm:
        """The user's arm: a stable hash of (experiment, user) split by the arms' shares (remembered for the most
        recent users: the hash is a few microseconds of every request)."""
        arm = self._assigned.get(user_id)
        if arm is None:
            if len(self._assigned) >= REMEMBERED_USERS:
                self._assigned.clear()
            arm = self._assigned[user_id] = self._arm_of(user_id)
        return arm

    def _arm_of(self, user_id: str) -> Arm:
        point = bucket(user_id, self.name, BUCKETS) / BUCKETS * sum(arm.share for arm in self.arms)
        for arm in self.arms:
            if point < arm.share:
                return arm
            point -= arm.share
        return self.arms[-1]


#: what runs when no experiment is active: one arm, the settings as they are
NO_EXPERIMENT = Experiment("none", (Arm("default", 1.0),))


def load_experiment(path: Path, known_sources: set[str]) -> Experiment:
    """The active experiment of ``path`` (:data:`NO_EXPERIMENT` when none is active); ValueError with what is wrong."""
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read experiments from {path}: {exc}") from exc
    for entry in document.get("experiment", []):
        if entry.get("active", False):
            return Experiment(str(entry["name"]), tuple(_arm(arm, known_sources) for arm in entry.get("arm", [])))
    return NO_EXPERIMENT


def _arm(entry: dict[str, Any], known_sources: set[str]) -> Arm:
    sources = entry.get("sources")
    unknown = set(sources or ()) - known_sources | set(entry.get("weights", {})) - known_sources
    if unknown:
        raise ValueError(f"arm {entry.get('name')!r} names unknown sources {sorted(unknown)}; "
                         f"known: {sorted(known_sources)}")
    return Arm(name=str(entry["name"]), share=float(entry.get("share", 1.0)),
               weights={str(k): float(v) for k, v in entry.get("weights", {}).items()},
               sources=tuple(sources) if sources is not None else None,
               max_per_artist=entry.get("max_per_artist"), genre_penalty=entry.get("genre_penalty"),
               drop_heard=entry.get("drop_heard"))
