"""Deterministic draws from a seeded `random.Random`, faster than its own helpers."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


# Faster than Random.choice/randint/sample (which draw bits in a loop) and just as deterministic.
def one(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


def between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


def some(rng: random.Random, seq: Sequence[T], k: int) -> list[T]:
    """k distinct items in random order."""
    pool, out = list(seq), []
    for _ in range(min(k, len(pool))):
        out.append(pool.pop(int(rng.random() * len(pool))))
    return out
