"""Filters: small objects that select documents and say, in words, what they require.

Each filter gives a set of documents of a snapshot and a phrase for the match explanation
("sees couples", "specialty: polyamory (you asked for \"ENM\")").
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import Snapshot


@dataclass(frozen=True)
class TermFilter:
    """Documents holding one structured term ("flag:couples", "specialty:polyamory")."""

    param: str        # the API parameter ("couples", "specialty", ...)
    term: str         # the index term
    phrase: str       # what a person reads
    asked: str | None = None  # the user's own word when it was a synonym

    def docs(self, snap: Snapshot) -> frozenset[int]:
        return snap.term_docs(self.term)

    @property
    def value(self) -> str:
        return self.term.split(":", 1)[1]

    def describe(self) -> str:
        if self.asked and self.asked.strip().lower() != self.value.replace("-", " "):
            return f'{self.phrase} (you asked for "{self.asked}")'
        return self.phrase


@dataclass(frozen=True)
class MaxFeeFilter:
    """Lowest fee at most `amount` dollars; profiles without a fee do not match."""

    amount: int
    param: str = "max_fee"

    def docs(self, snap: Snapshot) -> frozenset[int]:
        fees = snap.fees
        return frozenset(d for d in snap.live if fees[d] is not None and fees[d] <= self.amount)

    def describe(self) -> str:
        return f"fees from ${self.amount} or less"


FLAG_PHRASES = {
    "couples": "sees couples",
    "video": "offers video sessions",
    "intro_video": "has an intro video",
    "accepting": "accepting new clients",
    "free_consultation": "offers a free consultation",
    "sliding_scale": "offers a sliding scale",
}


def flag_filter(param: str) -> TermFilter:
    """The filter for a yes/no parameter set to true."""
    return TermFilter(param, f"flag:{param}", FLAG_PHRASES[param])


def apply_filters(snap: Snapshot, filters: list, start: frozenset[int] | None = None) -> set[int]:
    """Documents passing every filter (all live documents when there are none)."""
    sets = sorted((f.docs(snap) for f in filters), key=len)
    if start is not None:
        sets.insert(0, start)
    if not sets:
        return set(snap.live)
    result = set(sets[0])
    for other in sets[1:]:
        result &= other
        if not result:
            break
    return result
