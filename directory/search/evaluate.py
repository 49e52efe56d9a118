"""Evaluating a search on one snapshot: which documents match, how far, how relevant, and the
requested page in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.geocode import Placement
from indexer.index import (
    IndexUnavailable,
    NoIndexYet,
    SearchEngine,
    Snapshot,
    bits_at,
    doc_array,
    mask_of,
)
from indexer.taxonomy import Taxonomy

from ..errors import ApiError
from .filters import Filter, apply_filters, build_filters, passing
from .place import keep_nearby, resolve_location
from .query import ConceptMatch, match_concept, parse_query, scores

log = logging.getLogger(__name__)


@dataclass
class Hit:
    """One matching document: its distance (None when remote, without a place, or with no
    placed office) and score."""

    doc: int
    distance_km: float | None
    remote: bool = False
    score: float = 0.0
    therapist_id: int | None = None


_NONE = np.zeros(0, dtype=np.int64)


@dataclass
class Outcome:
    """Everything a search found, as arrays over the matching documents (ascending document
    numbers). Only the requested page is ever put in order."""

    place: Placement | None
    filters: list[Filter] = field(default_factory=list)
    concepts: list[ConceptMatch] = field(default_factory=list)
    docs: np.ndarray = field(default_factory=lambda: _NONE)
    km: np.ndarray | None = None  # distance to the nearest office (NaN: none known)
    remote: np.ndarray | None = None  # bool: matched as a remote (video) therapist
    scores: np.ndarray | None = None  # relevance, when there is free text
    by_distance: bool = False
    ids: Any = None  # the snapshot's document -> therapist id
    known_mask: int | None = None  # `mask`, when it has been made
    # The documents passing the filters and the free text, before the place, as a mask of
    # the whole index: made only when needed (a local search tests its candidates instead).
    filtered_mask: int | None = None

    def filtered(self, snap: Snapshot) -> int:
        """The documents passing the filters and the free text, before the place."""
        if self.filtered_mask is None:
            mask = apply_filters(snap, self.filters)
            for match in self.concepts:
                mask &= match.mask
            self.filtered_mask = mask
        return self.filtered_mask

    def passing(self, snap: Snapshot, docs: np.ndarray) -> np.ndarray:
        """Whether each of a few documents passes the filters and the free text: without free
        text, asked of those documents only (no operation over the whole index)."""
        if self.concepts or self.filtered_mask is not None:
            return bits_at(self.filtered(snap), docs)
        return passing(snap, self.filters, docs)

    @property
    def total(self) -> int:
        return len(self.docs)

    @property
    def mask(self) -> int:
        """The matching documents as a mask (made when asked: a local search needs none)."""
        if self.known_mask is None:
            self.known_mask = mask_of(self.docs)
        return self.known_mask

    def page(self, start: int, count: int) -> list[Hit]:
        """Hits start..start+count in final order: with a place and no free text, nearest
        first; with free text, most relevant first; ties by therapist id. Without either,
        by therapist id."""
        docs, wanted = self.docs, start + count
        n = len(docs)
        if not n or start >= n:
            return []
        scores = self.scores if self.scores is not None else np.zeros(n)
        remote = self.remote if self.remote is not None else np.zeros(n, dtype=bool)
        if self.km is None:
            distance = np.zeros(n)
        else:
            # Remote therapists count as 0 km among themselves; a local one with no placed
            # office comes after every local one with a distance.
            distance = np.where(remote, 0.0, np.where(np.isnan(self.km), np.inf, self.km))
        if not self.by_distance and self.scores is None:
            # Nothing to rank by: by therapist id, so that every node pages alike whatever
            # order its index holds the documents in (a rebuild and a long run of edits
            # leave them in different orders).
            ids = self.ids.of(docs)
            keep = np.argpartition(ids, wanted - 1)[:wanted] if n > wanted else np.arange(n)
            top = keep[np.argsort(ids[keep])][start:wanted]
        else:
            # The first key alone, coarsened so that it never contradicts the full order,
            # keeps every document that can be on the page; only those are sorted in full.
            first = np.where(remote, np.inf, distance) if self.by_distance else -scores
            keep = np.arange(n)
            if n > 4 * wanted:
                bound = np.partition(first, wanted - 1)[wanted - 1]
                keep = np.flatnonzero(first <= bound)
            ids = self.ids.of(docs[keep])
            if self.by_distance:
                keys = (ids, -scores[keep], distance[keep], remote[keep])
            else:
                keys = (ids, distance[keep], remote[keep], -scores[keep])
            top = keep[np.lexsort(keys)][start:wanted]
        km = [None] * len(top) if self.km is None else self.km[top].tolist()
        therapists = self.ids.of(docs[top]).tolist()
        return [
            Hit(
                doc,
                None if far or d is None or d != d else d,
                far,
                score,
                tid if tid >= 0 else None,
            )
            for doc, d, far, score, tid in zip(
                docs[top].tolist(),
                km,
                remote[top].tolist(),
                scores[top].tolist(),
                therapists,
                strict=True,
            )
        ]


def find(
    snap: Snapshot,
    args: dict,
    place: Placement | None,
    filters: list[Filter],
    taxonomy: Taxonomy,
    concepts: list[ConceptMatch] | None = None,
) -> Outcome:
    """Run a search on one snapshot: filters, place, text. `concepts` (the matches of `q`)
    may come from an earlier find of the same request: suggestions try many variants of one
    search."""
    if concepts is None:
        concepts = match_text(snap, args, taxonomy)
    outcome = Outcome(place, filters, concepts, ids=snap.ids)
    if place is not None:
        keep_nearby(snap, outcome, args)
    else:
        mask = outcome.filtered(snap)
        outcome.docs, outcome.known_mask = doc_array(mask), mask
    if concepts:
        outcome.scores = scores(outcome.docs, concepts)
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
