"""Evaluating a search on one snapshot: which documents match, how far, how relevant, and the
requested page in order.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from indexer.geocode import Placement
from indexer.index import IndexUnavailable, NoIndexYet, SearchEngine, Snapshot, docs_of
from indexer.taxonomy import Taxonomy

from ..errors import ApiError
from .filters import Filter, apply_filters, build_filters
from .place import keep_nearby, resolve_location
from .query import ConceptMatch, match_concept, parse_query, scores

log = logging.getLogger(__name__)


@dataclass
class Hit:
    """One matching document: its distance (None when remote or no place) and score."""

    doc: int
    distance_km: float | None
    remote: bool = False
    score: float = 0.0


@dataclass
class Outcome:
    """Everything a search found. Only the requested page is ever put in order."""

    mask: int  # the matching documents
    place: Placement | None
    filters: list[Filter] = field(default_factory=list)
    concepts: list[ConceptMatch] = field(default_factory=list)
    distance: dict[int, float] = field(default_factory=dict)  # local hits: nearest office
    remote: set[int] = field(default_factory=set)
    scores: dict[int, float] = field(default_factory=dict)
    by_distance: bool = False
    ids: list = field(default_factory=list)
    # Nearest office of every document measured so far for this place, kept for other finds
    # of the same request (suggestions), so no distance is measured twice.
    measured: dict[int, float] = field(default_factory=dict)
    _docs: list[int] | None = None

    @property
    def total(self) -> int:
        return self.mask.bit_count()

    @property
    def docs(self) -> list[int]:
        """The matching documents, listed once."""
        if self._docs is None:
            self._docs = docs_of(self.mask)
        return self._docs

    def set_matches(self, mask: int, docs: list[int]) -> None:
        """Replace the matching documents (`docs` lists the bits of `mask`, in any order)."""
        self.mask, self._docs = mask, docs

    def page(self, start: int, count: int) -> list[Hit]:
        """Hits start..start+count in final order (a partial sort of the whole set)."""
        distance, remote, scores, ids = self.distance, self.remote, self.scores, self.ids
        if self.by_distance:

            def key(d: int) -> tuple:
                return (d in remote, distance.get(d, 0.0), -scores.get(d, 0.0), ids[d])
        else:

            def key(d: int) -> tuple:
                return (-scores.get(d, 0.0), d in remote, distance.get(d, 0.0), ids[d])

        docs, wanted = self.docs, start + count
        if not self.by_distance and not scores:
            top = docs[start : start + count]  # no ranking asked for: index order
        else:
            if not self.by_distance and len(docs) > 4 * wanted:
                # Keep the documents scoring at least the wanted-th best score (ties too)
                # before the full sort key, which costs a Python call per document.
                values = [scores.get(d, 0.0) for d in docs]
                floor = heapq.nlargest(wanted, values)[-1]
                docs = [d for d, v in zip(docs, values, strict=True) if v >= floor]
            top = heapq.nsmallest(wanted, docs, key=key)[start:]
        return [Hit(d, distance.get(d), d in remote, scores.get(d, 0.0)) for d in top]


def find(
    snap: Snapshot,
    args: dict,
    place: Placement | None,
    filters: list[Filter],
    taxonomy: Taxonomy,
    concepts: list[ConceptMatch] | None = None,
    distances: dict[int, float] | None = None,
) -> Outcome:
    """Run a search on one snapshot: filters, place, text. `concepts` (the matches of `q`)
    and `distances` (nearest office per document, for this place) may come from an earlier
    find of the same request: suggestions try many variants of one search."""
    if concepts is None:
        concepts = match_text(snap, args, taxonomy)
    mask = apply_filters(snap, filters)
    for match in concepts:
        mask &= match.mask
    outcome = Outcome(mask, place, filters, concepts, ids=snap.ids)
    if distances is not None:
        outcome.measured = distances
    if place is not None:
        keep_nearby(snap, outcome, args, outcome.measured)
    outcome.scores = scores(outcome.mask, concepts)
    sort = args.get("sort")
    outcome.by_distance = sort == "distance" or (
        sort is None and place is not None and not args.get("q")
    )
    return outcome


def match_text(snap: Snapshot, args: dict, taxonomy: Taxonomy) -> list[ConceptMatch]:
    """The concepts of `q` and the documents each matches (typos corrected once here)."""
    return [match_concept(snap, c) for c in parse_query(args.get("q") or "", taxonomy)]


def current_snapshot(engine: SearchEngine) -> Snapshot:
    """The engine's current snapshot; 503 while no index has been built yet, or when it
    cannot be read."""
    with index_errors(engine):
        return engine.snapshot()


@contextmanager
def index_errors(engine: SearchEngine, snap: Snapshot | None = None) -> Iterator[None]:
    """An index that cannot answer is a 503 with the reason in words, never a 500; one that
    cannot be read is reported to the engine, so that /readyz fails on this node."""
    try:
        yield
    except NoIndexYet:
        raise ApiError(503, "The search index is being built; try again shortly.") from None
    except IndexUnavailable as err:
        engine.report(snap, err)
        log.error("the search index cannot be read: %s", err)
        raise ApiError(
            503, "The search index on this server cannot be read; try again shortly."
        ) from None


def search(
    args: dict,
    *,
    engine: SearchEngine,
    taxonomy: Taxonomy,
    geocoder: Any,
    snap: Snapshot | None = None,
) -> tuple[Snapshot, Outcome]:
    """Resolve the place and the filters, then search a snapshot (the current one)."""
    place = resolve_location(args, geocoder)
    filters = build_filters(args, taxonomy)
    snap = snap or current_snapshot(engine)
    with index_errors(engine, snap):
        return snap, find(snap, args, place, filters, taxonomy)
