"""Filters: small objects that select documents and say, in words, what they require.

Each filter gives the mask of documents of a snapshot and a phrase for the match explanation
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

    def mask(self, snap: Snapshot) -> int:
        return snap.term_mask(self.term)

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

    def mask(self, snap: Snapshot) -> int:
        return snap.fee_mask(self.amount)

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


def apply_filters(snap: Snapshot, filters: list) -> int:
    """The mask of documents passing every filter (all live documents when there are none)."""
    mask = snap.live
    for f in filters:
        mask &= f.mask(snap)
    return mask
