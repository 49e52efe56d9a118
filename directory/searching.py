"""One search request, start to finish: the response body that the JSON API, the pages and the
partner widget all render. There is no second implementation of search anywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from indexer.models import Therapist

from . import db
from .indexing import geocoder, search_engine, taxonomy
from .search.engine import Snapshot
from .search.facets import facet_counts
from .search.present import result_item
from .search.service import search, suggestions


def run_search(args: dict[str, Any], snap: Snapshot | None = None) -> dict[str, Any]:
    """The body of GET /api/v1/therapists for validated arguments (search/params.py):
    total, page, per_page, results, facets, location, and suggestions when nothing matched.
    Raises ApiError for an unknown place or term, 503 while no index exists."""
    snap, outcome = search(args, engine=search_engine(), taxonomy=taxonomy(),
                           geocoder=geocoder(), snap=snap)
    start = (args["page"] - 1) * args["per_page"]
    page_hits = outcome.page(start, args["per_page"])
    rows = load_therapists([snap.ids[h.doc] for h in page_hits])
    results = [result_item(rows[snap.ids[h.doc]], h, outcome, args, taxonomy())
               for h in page_hits if snap.ids[h.doc] in rows]
    body = {
        "total": outcome.total,
        "page": args["page"],
        "per_page": args["per_page"],
        "results": results,
        "facets": facet_counts(snap, outcome.mask, taxonomy()),
        "location": _location(args, outcome),
    }
    if not outcome.total:
        body["suggestions"] = suggestions(snap, args, outcome, taxonomy())
    return body


def load_therapists(ids: list[int]) -> dict[int, Therapist]:
    """Published or not, the rows for `ids` with their offices and licences, by id."""
    if not ids:
        return {}
    rows = db.session().scalars(
        select(Therapist).where(Therapist.id.in_(ids))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses)))
    return {t.id: t for t in rows}


def _location(args: dict, outcome) -> dict | None:
    place = outcome.place
    if place is None:
        return None
    return {"query": args.get("near") or f"{args['lat']},{args['lon']}", "lat": place.lat,
            "lon": place.lon, "label": place.label, "precision": place.precision,
            "state": place.state, "radius": args["radius"], "unit": args["unit"]}
