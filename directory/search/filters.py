"""Filters: small objects that select documents and say, in words, what they require.

Each filter gives the mask of documents of a snapshot and a phrase for the match explanation
("sees couples", "specialty: polyamory (you asked for \"ENM\")"). `build_filters` makes them
from the validated search parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer.index import Snapshot
from indexer.taxonomy import Taxonomy

from ..errors import ApiError

FLAG_PARAMS = ("couples", "video", "intro_video", "accepting", "free_consultation", "sliding_scale")
FLAG_PHRASES = {
    "couples": "sees couples",
    "video": "offers video sessions",
    "intro_video": "has an intro video",
    "accepting": "accepting new clients",
    "free_consultation": "offers a free consultation",
    "sliding_scale": "offers a sliding scale",
}
# Parameters whose values are taxonomy terms, with the kind of term and the index prefix.
TERM_PARAMS = (
    ("specialty", "specialty", "specialty"),
    ("modality", "modality", "modality"),
    ("format", "session_format", "format"),
    ("profession", "profession", "profession"),
)


class Filter(Protocol):
    """What every filter offers the search."""

    @property
    def param(self) -> str:
        """The search parameter it comes from."""

    def mask(self, snap: Snapshot) -> int: ...

    def at(self, snap: Snapshot, docs: np.ndarray) -> np.ndarray:
        """Whether each of a few documents passes (the same answer as `mask`)."""

    def describe(self) -> str: ...


@dataclass(frozen=True)
class TermFilter:
    """Documents holding one structured term ("flag:couples", "specialty:polyamory")."""

    param: str  # the API parameter ("couples", "specialty", ...)
    term: str  # the index term
    phrase: str  # what a person reads
    asked: str | None = None  # the user's own word when it was a synonym

    def mask(self, snap: Snapshot) -> int:
        return snap.term_mask(self.term)

    def at(self, snap: Snapshot, docs: np.ndarray) -> np.ndarray:
        return snap.term_at(self.term, docs)

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

    def at(self, snap: Snapshot, docs: np.ndarray) -> np.ndarray:
        return snap.fee_at_most(self.amount, docs)

    def describe(self) -> str:
        return f"fees from ${self.amount} or less"


def flag_filter(param: str) -> TermFilter:
    """The filter for a yes/no parameter set to true."""
    return TermFilter(param, f"flag:{param}", FLAG_PHRASES[param])


def build_filters(args: dict, taxonomy: Taxonomy) -> list[Filter]:
    """Filter objects for every structured parameter; 400 for unknown terms."""
    filters: list[Filter] = [flag_filter(p) for p in FLAG_PARAMS if args.get(p) is True]
    errors: dict[str, list[str]] = {}
    matches: dict[str, list] = {}
    for param, kind, prefix in TERM_PARAMS:
        for text in args.get(param, ()):
            res = taxonomy.resolve(kind, text)
            if res is None:
                close = taxonomy.suggest(kind, text)
                hint = f" Did you mean: {', '.join(t.slug for t in close)}?" if close else ""
                errors.setdefault(param, []).append(f"Unknown {param} {text!r}.{hint}")
                matches.setdefault(param, []).extend(
                    {"value": t.slug, "label": t.label} for t in close
                )
                continue
            filters.append(
                TermFilter(
                    param,
                    f"{prefix}:{res.term.slug}",
                    f"{param.replace('_', ' ')}: {res.term.label}",
                    text,
                )
            )
    if errors:
        raise ApiError(400, "Unknown terms: see fields.", fields=errors, close_matches=matches)
    for param in ("language", "insurance"):
        for text in args.get(param, ()):
            filters.append(
                TermFilter(param, f"{param}:{text.strip().lower()}", f"{param}: {text.strip()}")
            )
    if "max_fee" in args:
        filters.append(MaxFeeFilter(args["max_fee"]))
    return filters


def apply_filters(snap: Snapshot, filters: list[Filter]) -> int:
    """The mask of documents passing every filter (all live documents when there are none)."""
    mask = snap.live
    for f in filters:
        mask &= f.mask(snap)
    return mask


def passing(snap: Snapshot, filters: list[Filter], docs: np.ndarray) -> np.ndarray:
    """Whether each of a few documents is live and passes every filter: `apply_filters`
    asked of those documents only."""
    keep = snap.live_at(docs)
    for f in filters:
        if keep.any():
            keep[keep] = f.at(snap, docs[keep])
    return keep
