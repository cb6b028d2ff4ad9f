"""Identifiers: new event ids, and stable hashes for ids derived from names and for experiment buckets.

>>> len(new_id())
32
>>> stable_id("lastfm", "Deep Dish", "Fuck Me Im Famous") == stable_id("lastfm", "Deep Dish", "Fuck Me Im Famous")
True
>>> bucket("user_1", "exp-a", 100) == bucket("user_1", "exp-a", 100)
True
"""

from __future__ import annotations

import hashlib
import os
import random

#: seeded from the OS's randomness, again in a forked child (two processes never share a sequence); ids need to be
#: unique, not secret, and a system call per id costs more than a recommendation's id is worth
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def new_id() -> str:
    """A random 128-bit id as 32 hex digits."""
    return f"{_ids.getrandbits(128):032x}"


def stable_id(namespace: str, *parts: str) -> str:
    """A short id that depends only on its parts: ``namespace:`` and 16 hex digits of their SHA-256."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{namespace}:{digest}"


def bucket(key: str, salt: str, buckets: int) -> int:
    """A stable bucket in ``range(buckets)`` for ``key``; different salts split independently."""
    digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % buckets
