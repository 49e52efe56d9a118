"""One search request, start to finish: the response body that the JSON API, the pages and the
partner widget all render. There is no second implementation of search anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from indexer.index import Snapshot

from ..parts import geocoder, search_engine, taxonomy
from .evaluate import Hit, Outcome, index_errors, search
from .facets import facet_counts
from .results import load_therapists, result_item
from .suggestions import suggestions


@dataclass
class Found:
    """A search answered from the index alone, before any database read: what the response
    is built from, and what benchmarks time."""

    snap: Snapshot
    outcome: Outcome
    hits: list[Hit]  # the requested page, in order
    facets: dict[str, list[dict]]
    suggestions: list[dict] | None  # only when nothing matched

    @property
    def total(self) -> int:
        return self.outcome.total

    @property
    def ids(self) -> list[int]:
        """Therapist ids of the page, in order."""
        return [h.therapist_id for h in self.hits if h.therapist_id is not None]


def find_page(args: dict[str, Any], snap: Snapshot | None = None) -> Found:
    """Search the index for validated arguments (params.py): the matches, the requested page,
    facet counts, and suggestions when nothing matched. Raises ApiError for an unknown place
    or term, 503 while no index exists."""
    tax = taxonomy()
    snap, outcome = search(
        args, engine=search_engine(), taxonomy=tax, geocoder=geocoder(), snap=snap
    )
    start = (args["page"] - 1) * args["per_page"]
    with index_errors(search_engine(), snap):
        hits = outcome.page(start, args["per_page"])
        facets = facet_counts(snap, outcome.docs, tax, mask=outcome.known_mask)
        more = suggestions(snap, args, outcome, tax) if not outcome.total else None
    return Found(snap, outcome, hits, facets, more)


def run_search(args: dict[str, Any], snap: Snapshot | None = None) -> dict[str, Any]:
    """The body of GET /api/v1/therapists for validated arguments (params.py): total, page,
    per_page, results, facets, location, and suggestions when nothing matched.
    Raises ApiError for an unknown place or term, 503 while no index exists."""
    tax = taxonomy()
    found = find_page(args, snap)
    snap, outcome = found.snap, found.outcome
    rows = load_therapists(found.ids)
    api_root = url_for("api.therapist", therapist_id=0)[:-1]  # once, not once per result
    results = [
        result_item(rows[h.therapist_id], h, outcome, args, tax, api_root)
        for h in found.hits
        if h.therapist_id in rows
    ]
    body = {
        "total": outcome.total,
        "page": args["page"],
        "per_page": args["per_page"],
        "results": results,
        "facets": found.facets,
        "location": _location(args, outcome),
    }
    if found.suggestions is not None:
        body["suggestions"] = found.suggestions
    return body


def _location(args: dict, outcome: Outcome) -> dict | None:
    place = outcome.place
    if place is None:
        return None
    return {
        "query": args.get("near") or f"{args['lat']},{args['lon']}",
        "lat": place.lat,
        "lon": place.lon,
        "label": place.label,
        "precision": place.precision,
        "state": place.state,
        "radius": args["radius"],
        "unit": args["unit"],
    }
